// The database fails under MLLP and HTTP load — stopped (pg_ctl stop -m fast), killed (SIGKILL of the
// postmaster), frozen (SIGSTOP, then SIGCONT) — over and over, against a gateway process on a
// PostgreSQL of this test's own. Each time: the gateway process never exits; no answer waits a second
// (AE/CE and 503 at once, also with the server frozen, when nothing fails and nothing answers); no AA
// or 201 without a commit (every one is in the inbox afterwards); and everything resumes, no restart.
//
// FAULT_CYCLES (default 20) cycles, the three faults in turn; `npm run chaos` runs 60 (20 of each).
// FAULT_KINDS (e.g. `kill`) repeats only some faults; FAULT_LOG_FILE keeps the gateway's whole log of
// a failed cycle there (the failure message shows its last lines).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { readAck } from '../../src/hl7/index.js';
import { MllpClient } from '../../src/mllp/index.js';
import { withControlId } from '../support/messages.js';
import { spawnGateway, type GatewayProcess } from '../support/process.js';
import { FaultyServer, type FaultKind } from '../support/pg-faults.js';

const CYCLES = Number(process.env.FAULT_CYCLES ?? 20);
/** FAULT_KINDS (comma-separated, default all three) picks the faults the cycles take in turn. */
const KINDS = (process.env.FAULT_KINDS ?? 'stop,kill,freeze').split(',') as FaultKind[];
/**
 * An answer that says the store is away (AE/CE, 503) comes within this of the fault or of its own
 * start, whichever is later, ms. FAULT_BUDGET_MS overrides it on a machine too loaded to keep it.
 */
const ANSWER_BUDGET_MS = Number(process.env.FAULT_BUDGET_MS ?? 1000);
/** A client's pause after a negative answer before its next request, ms. */
const RETRY_PAUSE_MS = 20;
/** How long each fault lasts under load, ms: no answer at all may wait this long. */
const FAULT_MS = 1500;

const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-dbfaults-'));
let server: FaultyServer;
let gw: GatewayProcess;

beforeAll(async () => {
  server = await FaultyServer.start(path.join(dir, 'db'));
  gw = await spawnGateway({ DATABASE_URL: server.url, DATA_DIR: path.join(dir, 'gw'), DEV_NO_AUTH: '1', WORKER_CONCURRENCY: '1' });
}, 60_000);
afterAll(async () => {
  if (gw && gw.child.exitCode === null) { gw.child.kill('SIGTERM'); await gw.exited; }
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Answer { what: string; code: string; ms: number; at: number; id?: string }

/** Load from now until stop(): 2 MLLP senders and 1 HTTP client (POST /hl7, POST /calls, GET /fhir, /readyz). */
function load(tag: string) {
  const answers: Answer[] = [];
  let stopped = false;
  const mllp = async (k: number) => {
    let c: MllpClient | undefined;
    for (let i = 0; !stopped; i++) {
      const id = `${tag}-M${k}-${i}`;
      const t0 = performance.now();
      try {
        if (!c) { c = new MllpClient({ port: gw.mllpPort, timeoutMs: 5000 }); await c.connect(); }
        const ack = readAck((await c.send(withControlId('spine/adt-a01.hl7', id))).toString('latin1'));
        answers.push({ what: 'mllp', code: ack.code, ms: performance.now() - t0, at: t0, id });
        // as a real sender does, a moment before the next try after an AE (else thousands per second)
        if (ack.code !== 'AA') await sleep(RETRY_PAUSE_MS);
      } catch {
        answers.push({ what: 'mllp', code: 'NO_ANSWER', ms: performance.now() - t0, at: t0, id });
        c?.close();
        c = undefined;
      }
    }
    c?.close();
  };
  const http = async () => {
    const base = `http://127.0.0.1:${gw.httpPort}`;
    for (let i = 0; !stopped; i++) {
      const id = `${tag}-H-${i}`;
      const kind = i % 4;
      const t0 = performance.now();
      const req: [string, string, RequestInit] =
        kind === 0 ? ['hl7', '/hl7', { method: 'POST', body: withControlId('spine/adt-a01.hl7', id) }]
          : kind === 1 ? ['calls', '/calls', { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': id }, body: JSON.stringify(CALL) }]
            : kind === 2 ? ['fhir', '/fhir/CommunicationRequest?_count=1', {}] : ['readyz', '/readyz', {}];
      try {
        const res = await fetch(base + req[1], { ...req[2], signal: AbortSignal.timeout(5000) });
        const body = await res.text();
        const code = kind === 0 ? (res.headers.get('x-hl7-ack-code') ?? String(res.status)) : String(res.status);
        answers.push({ what: req[0], code, ms: performance.now() - t0, at: t0, id: kind === 1 && res.status === 201 ? (JSON.parse(body) as { id: string }).id : id });
        if (res.status === 503 && kind !== 0 && kind !== 3) expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
        if (res.status >= 500) await sleep(RETRY_PAUSE_MS);
      } catch {
        answers.push({ what: req[0], code: 'NO_ANSWER', ms: performance.now() - t0, at: t0 });
      }
    }
  };
  const running = Promise.all([mllp(0), mllp(1), http()]);
  return { answers, stop: async () => { stopped = true; await running; } };
}

const CALL = {
  caller: { type: 'pharmacist', name: 'Pat Pharmacist', callbackNumber: '+1 555 010 0199' },
  patient: { name: 'Alex Testpatient', birthDate: '1980-02-29', mrn: 'MRN100234' },
  practice: 'north-cardiology', service: 'cardiology', reason: 'Dose clarification', urgency: 'urgent',
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until an MLLP message is stored (AA) and /readyz says ready; returns how long it took, ms. */
async function recovered(tag: string): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; ; i++) {
    if (performance.now() - t0 > 30_000) throw new Error(`${tag}: no recovery within 30 s`);
    try {
      const ready = (await fetch(`http://127.0.0.1:${gw.httpPort}/readyz`, { signal: AbortSignal.timeout(2000) })).status === 200;
      const c = new MllpClient({ port: gw.mllpPort, timeoutMs: 2000 });
      await c.connect();
      const code = readAck((await c.send(withControlId('spine/adt-a01.hl7', `${tag}-RECOVER-${i}`))).toString('latin1')).code;
      c.close();
      if (ready && code === 'AA') return performance.now() - t0;
    } catch { /* not yet */ }
    await sleep(50);
  }
}

describe('chaos: database faults under load', () => {
  it(`survives ${CYCLES} cycles of a stopped, killed and frozen PostgreSQL`, async () => {
    const all: Answer[] = [];
    const stat = () => ({ worstMs: 0, worstOutageMs: 0, recoveryMs: [] as number[], faultAnswers: 0 });
    const stats: Record<FaultKind, ReturnType<typeof stat>> = { stop: stat(), kill: stat(), freeze: stat() };
    // warm up (first connections, first statements prepared), then the faults
    await recovered('WARM');
    const warm = load('WARM');
    await sleep(500);
    await warm.stop();
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const kind = KINDS[cycle % KINDS.length]!;
      const tag = `C${cycle}${kind[0]}`;
      const l = load(tag);
      await sleep(300);
      const faultAt = performance.now();
      await Promise.all([server.fault(kind), sleep(FAULT_MS)]);
      await l.stop();
      await server.repair(kind);
      const during = l.answers.filter((a) => a.at + a.ms >= faultAt);
      if (process.env.FAULT_DEBUG) {
        const tally = (xs: Answer[]) => Object.entries(xs.reduce<Record<string, number>>((m, a) => { m[`${a.what}:${a.code}`] = (m[`${a.what}:${a.code}`] ?? 0) + 1; return m; }, {})).join(' ');
        process.stdout.write(`${tag} before: ${tally(l.answers.filter((a) => a.at + a.ms < faultAt))} | during: ${tally(during)}\n`);
        process.stdout.write(gw.log.filter((x) => /store_(up|down)/.test(x)).slice(-4).join('\n') + '\n');
      }
      stats[kind].faultAnswers += during.length;
      stats[kind].worstMs = Math.max(stats[kind].worstMs, ...l.answers.map((a) => a.ms));
      // every request was answered; with the server frozen none waited as long as the freeze (a
      // stopping server may finish a commit slowly, and that AA is right); the store's absence was
      // said within the budget, also to those in flight when it failed
      const negative = (a: Answer) => a.code === 'AE' || a.code === 'CE' || a.code === '503' || a.code === 'NO_ANSWER';
      const late = l.answers.filter((a) => a.code === 'NO_ANSWER' || (kind === 'freeze' && a.ms >= FAULT_MS) || (negative(a) && a.at + a.ms - Math.max(a.at, faultAt) > ANSWER_BUDGET_MS))
        .map((a) => ({ ...a, sinceFault: Math.round(a.at - faultAt), ms: Math.round(a.ms) }));
      if (late.length && process.env.FAULT_LOG_FILE) (await import('node:fs')).writeFileSync(process.env.FAULT_LOG_FILE, gw.log.join('\n'));
      if (late.length) process.stdout.write(`${tag} gateway log:\n${gw.log.filter((x) => !/store_ping_failed|http.store_unavailable/.test(x)).slice(-40).join('\n')}\nexit: ${gw.child.exitCode}\n`);
      expect(late, `${tag}: late or unanswered`).toEqual([]);
      for (const a of during) stats[kind].worstOutageMs = Math.max(stats[kind].worstOutageMs, negative(a) ? a.at + a.ms - Math.max(a.at, faultAt) : 0);
      // while the store was away the answers said so (AE, 503), never a positive ACK without a commit
      expect(during.filter((a) => a.at >= faultAt + 100).some((a) => a.code === 'AE' || a.code === '503'), `${tag}: the outage was noticed`).toBe(true);
      expect(gw.child.exitCode, `${tag}: the gateway process lives`).toBeNull();
      stats[kind].recoveryMs.push(await recovered(tag));
      all.push(...l.answers);
    }

    // no AA / 201 without a commit: everything acknowledged is stored
    const sql = postgres(server.url, { max: 1, onnotice: () => {} });
    try {
      const acked = all.filter((a) => (a.what === 'mllp' || a.what === 'hl7') && a.code === 'AA').map((a) => a.id!);
      const stored = new Set((await sql<{ control_id: string }[]>`SELECT control_id FROM inbox WHERE control_id = ANY(${acked})`).map((r) => r.control_id));
      expect(acked.filter((id) => !stored.has(id))).toEqual([]);
      const calls = all.filter((a) => a.what === 'calls' && a.code === '201').map((a) => a.id!);
      const storedCalls = await sql`SELECT id FROM inbox WHERE id = ANY(${calls}::bigint[])`;
      expect(storedCalls.length).toBe(calls.length);
      expect(acked.length).toBeGreaterThan(CYCLES);
    } finally {
      await sql.end();
    }
    expect(gw.child.exitCode).toBeNull();
    const summary = Object.fromEntries(Object.entries(stats).map(([k, s]) => [k, {
      worstAnswerMs: Math.round(s.worstMs), worstOutageAnswerMs: Math.round(s.worstOutageMs), answersDuringFaults: s.faultAnswers,
      recoveryMs: { median: Math.round([...s.recoveryMs].sort((a, b) => a - b)[Math.floor(s.recoveryMs.length / 2)] ?? 0), max: Math.round(Math.max(0, ...s.recoveryMs)) },
    }]));
    process.stdout.write(`db faults: ${CYCLES} cycles ${JSON.stringify(summary)}\n`);
  }, 600_000);
});
