// The hostile-input scenario against a running gateway, shared by the must-show test
// (running-gateway.int.test.ts, which asserts) and `npm run fuzz -- hostile` (which prints the
// figures against the goals). While a probe asks /healthz every 20 ms and a sender streams normal
// ORUs over MLLP, each hostile item is sent in turn; per item: its answer, /healthz latency, the
// gateway's own worst event-loop delay (switchboard_event_loop_delay_seconds), the sender's ACKs
// and the longest wait between two of them, and the gateway's peak RSS so far (VmHWM).
import type { Sql } from 'postgres';
import { storeExampleSchedule, type GatewayTarget } from '../fuzz/gateway-target.js';
import { HOSTILE_ITEMS, type HostileItem, type Observed } from './items.js';
import { longestGap, loopDelayMaxMs, peakRssMb, percentile, sleep, startCanary, startProbe, startSender } from './observe.js';

/** The goals the figures are printed against: no answer of /healthz slower than this, ms ... */
export const HEALTHZ_GOAL_MS = 100;
/** ... and the gateway's peak resident set below this, MB. */
export const RSS_GOAL_MB = 300;

export interface ItemFigures {
  name: string;
  goal: string;
  observed: Observed;
  meets: boolean;
  /** from sending it to its answer (HL7: to its row processed or failed) plus the settle time, ms */
  ms: number;
  healthz: { n: number; failed: number; maxMs: number; p99Ms: number };
  /** the gateway's worst event-loop delay in the window, ms */
  loopMaxMs: number;
  /** the worst event-loop delay of an idle process on the same machine in the window, ms (the machine's share) */
  idleMaxMs: number;
  sender: { aa: number; other: number; longestGapMs: number };
  peakRssMb: number;
}

export interface HostileReport {
  items: ItemFigures[];
  healthz: { n: number; failed: number; maxMs: number; p99Ms: number };
  sender: { sent: number; aa: number; other: number };
  peakRssMb: number;
}

/** A quiet window first (normal load only), for comparison. */
const BASELINE: HostileItem = { name: 'baseline: normal load only', goal: '-', send: async () => { await sleep(2000); return {}; }, meets: () => true };

/** Runs the scenario; the gateway must be serving with no schedule or any schedule stored. */
export async function runHostile(t: GatewayTarget, sql: Sql, opts: { settleMs?: number; onItem?: (f: ItemFigures) => void } = {}): Promise<HostileReport> {
  const settleMs = opts.settleMs ?? 500;
  const headers = t.auth('admin');
  await storeExampleSchedule(t); // the import merges into a stored schedule
  const tag = `H${Date.now().toString(36).toUpperCase()}`;
  const probe = startProbe(t.base);
  const sender = startSender(t.gw.mllpPort, `${tag}N`);
  const canary = startCanary();
  const items: ItemFigures[] = [];
  try {
    await sleep(1000); // both running
    for (const item of [BASELINE, ...HOSTILE_ITEMS]) {
      await loopDelayMaxMs(t.base); // starts the metric's interval
      const from = performance.now();
      const observed = await item.send({ base: t.base, mllpPort: t.gw.mllpPort, sql, headers, tag });
      await sleep(settleMs);
      const to = performance.now();
      const loopMaxMs = await loopDelayMaxMs(t.base);
      const h = probe.between(from, to);
      const acks = sender.between(from, to);
      const f: ItemFigures = {
        name: item.name, goal: item.goal, observed, meets: item.meets(observed), ms: to - from,
        healthz: { n: h.length, failed: h.filter((s) => !s.ok).length, maxMs: Math.max(0, ...h.map((s) => s.ms)), p99Ms: percentile(h.map((s) => s.ms), 99) },
        loopMaxMs, idleMaxMs: canary.maxBetween(from, to),
        sender: { aa: acks.filter((a) => a.code === 'AA').length, other: acks.filter((a) => a.code !== 'AA').length, longestGapMs: longestGap(sender.acks, from, to) },
        peakRssMb: peakRssMb(t.gw.child.pid!),
      };
      items.push(f);
      opts.onItem?.(f);
    }
  } finally {
    canary.stop();
    await Promise.all([probe.stop(), sender.stop()]);
  }
  const all = probe.samples.map((s) => s.ms);
  return {
    items,
    healthz: { n: all.length, failed: probe.samples.filter((s) => !s.ok).length, maxMs: Math.max(0, ...all), p99Ms: percentile(all, 99) },
    sender: { sent: sender.acks.length, aa: sender.acks.filter((a) => a.code === 'AA').length, other: sender.acks.filter((a) => a.code !== 'AA').length },
    peakRssMb: peakRssMb(t.gw.child.pid!),
  };
}

const n0 = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : '?');

/** One line per item: its answer, /healthz max/p99, the loop delay, the sender's ACKs, peak RSS. */
export function formatItem(f: ItemFigures): string {
  const o = f.observed;
  const answer = [o.status, o.code, o.state, o.errorCode, o.truncated ? `truncated ${JSON.stringify(o.truncated)}` : undefined].filter((x) => x !== undefined && x !== null).join(' ');
  return `${f.meets ? 'ok  ' : 'BAD '} ${f.name}: ${answer || '-'} | ${n0(f.ms)} ms | healthz max ${n0(f.healthz.maxMs)} ms p99 ${n0(f.healthz.p99Ms)} ms (${f.healthz.n}, ${f.healthz.failed} failed)`
    + ` | loop delay max ${n0(f.loopMaxMs)} ms (idle process ${n0(f.idleMaxMs)} ms) | sender ${f.sender.aa} AA ${f.sender.other} other, longest gap ${n0(f.sender.longestGapMs)} ms | VmHWM ${n0(f.peakRssMb)} MB`;
}

export function formatSummary(r: HostileReport): string {
  const hz = r.healthz.maxMs < HEALTHZ_GOAL_MS ? 'meets' : 'MISSES';
  const rss = r.peakRssMb < RSS_GOAL_MB ? 'meets' : 'MISSES';
  return [
    `/healthz: ${r.healthz.n} requests, ${r.healthz.failed} failed, max ${n0(r.healthz.maxMs)} ms, p99 ${n0(r.healthz.p99Ms)} ms — ${hz} the goal (< ${HEALTHZ_GOAL_MS} ms)`,
    `gateway VmHWM ${n0(r.peakRssMb)} MB — ${rss} the goal (< ${RSS_GOAL_MB} MB)`,
    `normal sender: ${r.sender.sent} sent, ${r.sender.aa} AA, ${r.sender.other} other`,
  ].join('\n');
}
