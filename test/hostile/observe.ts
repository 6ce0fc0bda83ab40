// What a running gateway looks like from outside while it is fed hostile input: a /healthz probe,
// a sender of normal ORUs over MLLP, the gateway's own event-loop delay metric, its peak RSS.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readAck } from '../../src/hl7/index.js';
import { MllpClient } from '../../src/mllp/index.js';
import { withControlId } from '../support/messages.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Nearest-rank percentile of the values (0 for none). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

export interface Sample { at: number; ms: number; ok: boolean }

/** GET /healthz every `everyMs` (the next one when the last has answered, at most 2 s each) until stopped. */
export function startProbe(base: string, everyMs = 20, timeoutMs = 2000) {
  const samples: Sample[] = [];
  let stopped = false;
  const running = (async () => {
    while (!stopped) {
      const at = performance.now();
      let ok = false;
      try {
        const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
        await res.arrayBuffer();
        ok = res.status === 200;
      } catch { /* a timeout or a refused connection: not ok */ }
      const ms = performance.now() - at;
      samples.push({ at, ms, ok });
      await sleep(Math.max(0, everyMs - ms));
    }
  })();
  return {
    samples,
    /** The samples started in [from, to). */
    between: (from: number, to: number) => samples.filter((s) => s.at >= from && s.at < to),
    stop: async () => { stopped = true; await running; },
  };
}

export interface Ack { at: number; ms: number; code: string }

/**
 * A well-behaved interface engine: one MLLP connection, one ORU at a time (a fresh MSH-10 each),
 * a short pause between them. Records every answer; a failed send is recorded as NO_ANSWER and the
 * connection is made again.
 */
export function startSender(mllpPort: number, tag: string, pauseMs = 20) {
  const acks: Ack[] = [];
  let stopped = false;
  const running = (async () => {
    let c: MllpClient | undefined;
    for (let i = 0; !stopped; i++) {
      const at = performance.now();
      try {
        if (!c) { c = new MllpClient({ port: mllpPort, timeoutMs: 10_000 }); await c.connect(); }
        const code = readAck((await c.send(withControlId('spine/oru-r01.hl7', `${tag}${i}`))).toString('latin1')).code;
        acks.push({ at, ms: performance.now() - at, code });
      } catch {
        acks.push({ at, ms: performance.now() - at, code: 'NO_ANSWER' });
        c?.close();
        c = undefined;
      }
      await sleep(pauseMs);
    }
    c?.close();
  })();
  return { acks, between: (from: number, to: number) => acks.filter((a) => a.at >= from && a.at < to), stop: async () => { stopped = true; await running; } };
}

/**
 * The gateway's worst event-loop delay since the previous read, ms (switchboard_event_loop_delay_seconds;
 * each scrape starts a new interval). NaN when the gateway did not answer.
 */
export async function loopDelayMaxMs(base: string): Promise<number> {
  try {
    const text = await (await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
    const m = /^switchboard_event_loop_delay_seconds\{stat="max"\} (\S+)$/m.exec(text);
    return m ? Number(m[1]) * 1000 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Peak resident set of a process so far (VmHWM of /proc/PID/status), MB; NaN where there is no /proc. */
export function peakRssMb(pid: number): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Longest time between two answers in [from, to), counting from `from` and up to `to`, ms. */
export function longestGap(acks: Ack[], from: number, to: number): number {
  const times = [from, ...acks.filter((a) => a.at >= from && a.at < to && a.code !== 'NO_ANSWER').map((a) => a.at + a.ms), to].sort((a, b) => a - b);
  let gap = 0;
  for (let i = 1; i < times.length; i++) gap = Math.max(gap, times[i]! - times[i - 1]!);
  return gap;
}

/**
 * An idle Node process beside the gateway that measures its own event-loop delay: on a shared
 * machine a process that does nothing is delayed too when the cores are busy elsewhere, so a stall
 * the canary saw at the same time is the machine's, not the gateway's work. Reports every 100 ms.
 */
export function startCanary() {
  const code = `const h = require('node:perf_hooks').monitorEventLoopDelay({ resolution: 10 }); h.enable();
setInterval(() => { process.stdout.write(JSON.stringify({ at: Date.now(), ms: h.count ? Math.max(0, h.max / 1e6 - 10) : 0 }) + '\\n'); h.reset(); }, 100);`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'ignore'] });
  const points: { at: number; ms: number }[] = [];
  let buf = '';
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      try { points.push(JSON.parse(buf.slice(0, nl)) as { at: number; ms: number }); } catch { /* partial */ }
      buf = buf.slice(nl + 1);
    }
  });
  const epoch = (t: number) => performance.timeOrigin + t;
  return {
    /** The canary's worst delay in [from, to] (performance.now() times), ms; its reports lag by up to 100 ms. */
    maxBetween: (from: number, to: number) => Math.max(0, ...points.filter((p) => p.at >= epoch(from) && p.at <= epoch(to) + 100).map((p) => p.ms)),
    stop: () => { child.kill(); },
  };
}
