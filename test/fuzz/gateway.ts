// The long fuzz of a running gateway (`npm run fuzz`, `npm run fuzz -- gateway`): for FUZZ_SECONDS
// (default 60) HTTP clients send random, structure-aware requests to the whole route table
// (http-requests.ts) while MLLP senders send structure-aware HL7 mutations and broken framing
// (hl7-mutations.ts), each followed by a good sentinel message whose ACK must come back. Counts
// requests by status, MLLP replies by ACK code, inbox rows by outcome, the gateway's exits, and
// event-loop stalls (switchboard_event_loop_delay_seconds, read every second). Exits 1 on any 5xx,
// any exit or uncaught error of the gateway, any sentinel not answered, any stall past FUZZ_STALL_MS
// (default 100). FUZZ_SEED replays a run (requests and messages; their interleaving is the machine's).
// FUZZ_HTTP_CLIENTS (3) and FUZZ_MLLP_SENDERS (2) set the concurrency.
import fc from 'fast-check';
import postgres from 'postgres';
import net from 'node:net';
import { frame, readAck } from '../../src/hl7/index.js';
import { MllpFramer } from '../../src/hl7/frame.js';
import { adminUrl, freshDatabase } from '../../bench/db.js';
import { withControlId as fixtureWithControlId } from '../support/messages.js';
import { startTarget, storeExampleSchedule, type GatewayTarget } from './gateway-target.js';
import { describeRequest, request, toFetch, type FuzzRequest } from './http-requests.js';
import { hl7Case, messageOf, wireOf, type Hl7Case } from './hl7-mutations.js';
import { loopDelayMaxMs, sleep, startCanary } from '../hostile/observe.js';

/** Concurrent HTTP clients and MLLP senders (FUZZ_HTTP_CLIENTS, FUZZ_MLLP_SENDERS): enough to keep the gateway's one thread busy. */
const HTTP_CLIENTS = Number(process.env.FUZZ_HTTP_CLIENTS ?? 3);
const MLLP_SENDERS = Number(process.env.FUZZ_MLLP_SENDERS ?? 2);
/** Largest MLLP frame of the gateway under test (its default), bytes: the oversize case is one byte past it. */
const MAX_FRAME_BYTES = 1024 * 1024;
/** A sentinel's ACK must come within this, ms (the gateway's frame timeout is 30 s; a healthy one answers in ms). */
const SENTINEL_TIMEOUT_MS = 15_000;

const inc = (m: Map<string, number>, k: string, by = 1) => m.set(k, (m.get(k) ?? 0) + by);
const fmt = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`).join(', ') || '-';

interface Counts {
  requests: number;
  byStatus: Map<string, number>;
  fiveXx: string[];
  /** requests that got no answer, by why: the client could not send it, a timeout, a reset connection */
  networkErrors: Map<string, number>;
  mllpCases: number;
  replies: Map<string, number>;
  sentinels: Map<string, number>;
  unanswered: string[];
  stalls: { atS: number; ms: number; from: number; to: number }[];
  loopMaxMs: number;
  /** the cases sent, by control id: to show the input of a row the mapper failed on */
  sent: Map<string, Hl7Case>;
}

/** Endless samples of an arbitrary, in seeded batches. */
function* samples<T>(arb: fc.Arbitrary<T>, seed: number): Generator<T> {
  for (let batch = 0; ; batch++) yield* fc.sample(arb, { numRuns: 500, seed: seed + batch });
}

async function httpClient(t: GatewayTarget, reqs: Generator<FuzzRequest>, until: number, c: Counts): Promise<void> {
  while (performance.now() < until) {
    const r = reqs.next().value as FuzzRequest;
    const { url, init } = toFetch(r, t.tokens);
    c.requests++;
    try {
      const res = await fetch(t.base + url, { ...init, signal: AbortSignal.timeout(30_000) });
      const body = await res.text();
      inc(c.byStatus, `${Math.floor(res.status / 100)}xx`);
      if (res.status >= 500) c.fiveXx.push(`${res.status} ${describeRequest(r, url)} -> ${body.slice(0, 200)}`);
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code;
      inc(c.networkErrors, [(e as Error).name, cause].filter(Boolean).join(' '));
    }
  }
}

/** Writes a case and a sentinel on one connection; resolves with the replies before the sentinel's and the sentinel's code. */
function exchange(port: number, chunks: Buffer[], sentinelId: string): Promise<{ replies: Buffer[]; sentinel: string }> {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host: '127.0.0.1' });
    const framer = new MllpFramer(4 * MAX_FRAME_BYTES);
    const replies: Buffer[] = [];
    const done = (sentinel: string) => { clearTimeout(timer); sock.destroy(); resolve({ replies, sentinel }); };
    const timer = setTimeout(() => done('NO_ANSWER'), SENTINEL_TIMEOUT_MS);
    sock.on('error', () => {});
    sock.on('close', () => done('CLOSED'));
    sock.on('data', (d: Buffer) => {
      for (const ev of framer.push(d)) {
        const payload = ev.kind === 'frame' ? ev.payload : ev.head;
        const ack = readAck(payload.toString('latin1'));
        if (ack.controlId === sentinelId) return done(ack.code);
        replies.push(payload);
      }
    });
    sock.once('connect', () => {
      for (const ch of chunks) sock.write(ch);
      // an end block closes whatever frame the case left open, then the sentinel
      sock.write(Buffer.concat([Buffer.from('\x1c\r', 'latin1'), frame(fixtureWithControlId('spine/adt-a01.hl7', sentinelId))]));
    });
  });
}

async function mllpSender(t: GatewayTarget, cases: Generator<Hl7Case>, tag: string, until: number, c: Counts): Promise<void> {
  for (let i = 0; performance.now() < until; i++) {
    const k = cases.next().value as Hl7Case;
    const id = `${tag}${i}`;
    c.mllpCases++;
    c.sent.set(id, k);
    const { replies, sentinel } = await exchange(t.gw.mllpPort, wireOf(k, id, MAX_FRAME_BYTES), `${id}S`);
    for (const r of replies) inc(c.replies, readAck(r.toString('latin1')).code || 'not an ACK');
    inc(c.sentinels, sentinel);
    if (sentinel !== 'AA') c.unanswered.push(`${sentinel} after ${k.wire} of ${JSON.stringify(k.source).slice(0, 200)}`);
  }
}

async function watchLoop(t: GatewayTarget, until: number, started: number, stallMs: number, c: Counts): Promise<void> {
  await loopDelayMaxMs(t.base);
  for (let from = performance.now(); performance.now() < until;) {
    await sleep(1000);
    const ms = await loopDelayMaxMs(t.base);
    const to = performance.now();
    if (Number.isFinite(ms)) {
      c.loopMaxMs = Math.max(c.loopMaxMs, ms);
      if (ms > stallMs) c.stalls.push({ atS: (to - started) / 1000, ms, from, to });
    }
    from = to;
  }
}

/** Waits (at most 120 s) until the worker has settled every row; returns the rows by state and error code. */
async function rowOutcomes(url: string): Promise<{ byOutcome: Map<string, number>; internal: { controlId: string; error: string | null }[] }> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    for (const t0 = performance.now(); performance.now() - t0 < 120_000; await sleep(500)) {
      const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM inbox WHERE state IN ('received', 'processing')`;
      if ((row?.n ?? 0) === 0) break;
    }
    const rows = await sql<{ state: string; code: string | null; n: number }[]>`SELECT state, error_code AS code, count(*)::int AS n FROM inbox GROUP BY 1, 2`;
    const internal = await sql<{ controlId: string; error: string | null }[]>`SELECT control_id AS "controlId", error FROM inbox WHERE error_code = 'ERR_MAPPING_INTERNAL' ORDER BY id LIMIT 20`;
    return { byOutcome: new Map(rows.map((r) => [r.code ? `${r.state} ${r.code}` : r.state, r.n])), internal };
  } finally {
    await sql.end();
  }
}

export async function run(args: string[]): Promise<number> {
  const seconds = Number(process.env.FUZZ_SECONDS ?? 60);
  const stallMs = Number(process.env.FUZZ_STALL_MS ?? 100);
  const seedAt = args.indexOf('--seed');
  const seed = seedAt >= 0 ? Number(args[seedAt + 1]) : Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
  console.log(`gateway fuzz: ${seconds} s, ${HTTP_CLIENTS} HTTP clients, ${MLLP_SENDERS} MLLP senders, seed ${seed}, stall threshold ${stallMs} ms`);
  const db = await freshDatabase(adminUrl());
  let t: GatewayTarget | undefined;
  try {
    t = await startTarget(db.url);
    const target = t;
    await storeExampleSchedule(target);
    const exits: string[] = [];
    void target.gw.exited.then((code) => exits.push(`exited with ${code} during the run`));
    const c: Counts = { requests: 0, byStatus: new Map(), fiveXx: [], networkErrors: new Map(), mllpCases: 0, replies: new Map(), sentinels: new Map(), unanswered: [], stalls: [], loopMaxMs: 0, sent: new Map() };
    const canary = startCanary();
    const started = performance.now();
    const until = started + seconds * 1000;
    const progress = setInterval(() => console.log(`  ${((performance.now() - started) / 1000).toFixed(0)} s: ${c.requests} requests (${c.fiveXx.length} 5xx), ${c.mllpCases} MLLP cases, ${c.stalls.length} stalls`), 10_000);
    const tag = `FZ${Date.now().toString(36).toUpperCase()}`;
    await Promise.all([
      ...Array.from({ length: HTTP_CLIENTS }, (_, k) => httpClient(target, samples(request, seed + k * 1_000_003), until, c)),
      ...Array.from({ length: MLLP_SENDERS }, (_, k) => mllpSender(target, samples(hl7Case, seed + 7_919 + k * 1_000_003), `${tag}M${k}-`, until, c)),
      watchLoop(target, until, started, stallMs, c),
    ]);
    clearInterval(progress);
    canary.stop();
    // a stall an idle process on the same machine saw too (at least half as long) is the machine's
    const machine = c.stalls.filter((st) => canary.maxBetween(st.from, st.to) >= st.ms / 2);
    const elapsed = (performance.now() - started) / 1000;
    const rows = await rowOutcomes(db.url);
    const errors = new Map<string, number>();
    for (const line of target.gw.log) {
      try {
        const ev = JSON.parse(line) as { level?: string; event?: string; code?: string; errorCode?: string };
        if (ev.level === 'error') inc(errors, [ev.event, ev.code ?? ev.errorCode].filter(Boolean).join(' '));
      } catch { /* not JSON */ }
    }
    const crashed = [...errors.keys()].filter((k) => /uncaught|unhandled|gateway_fatal/.test(k));
    const exitsDuring = exits.length;
    const code = exitsDuring ? null : await target.stop();
    t = undefined;

    console.log(`\nafter ${elapsed.toFixed(0)} s (seed ${seed}):`);
    console.log(`HTTP: ${c.requests.toLocaleString('en-US')} requests (${(c.requests / elapsed).toFixed(0)}/s): ${fmt(c.byStatus)}; no answer: ${fmt(c.networkErrors)}`);
    console.log(`MLLP: ${c.mllpCases.toLocaleString('en-US')} cases, replies by ACK code: ${fmt(c.replies)}; sentinels: ${fmt(c.sentinels)}`);
    console.log(`inbox rows: ${fmt(rows.byOutcome)}`);
    // a mapper must turn every message into resources or a specific code: an internal error is a mapper bug (the fixtures are synthetic: no PHI)
    for (const r of rows.internal) {
      const k = c.sent.get(r.controlId.replace(/B$/, ''));
      console.log(`ERR_MAPPING_INTERNAL: ${r.error ?? ''} (control id ${r.controlId})${k ? `\n  case: ${JSON.stringify(k.source).slice(0, 2000)}\n  message: ${JSON.stringify(messageOf(k, r.controlId)).slice(0, 4000)}` : ''}`);
    }
    console.log(`gateway: ${exitsDuring} exits during the run, error log lines: ${fmt(errors)}; clean shutdown at the end: ${code === 0 ? 'yes' : `no (${code})`}`);
    console.log(`event loop: worst delay ${c.loopMaxMs.toFixed(0)} ms; ${c.stalls.length} seconds with a stall past ${stallMs} ms${c.stalls.length ? `: ${c.stalls.slice(0, 20).map((st) => `${st.atS.toFixed(0)} s ${st.ms.toFixed(0)} ms (idle process ${canary.maxBetween(st.from, st.to).toFixed(0)} ms)`).join(', ')}` : ''}`);
    if (c.stalls.length) console.log(`  ${machine.length} of the ${c.stalls.length} were seen, at least half as long, by an idle process on the same machine: the machine's load, not the gateway's work`);
    for (const b of c.fiveXx.slice(0, 20)) console.log(`5xx: ${b}`);
    for (const u of c.unanswered.slice(0, 20)) console.log(`sentinel: ${u}`);
    const failed = c.fiveXx.length > 0 || rows.internal.length > 0 || exitsDuring > 0 || crashed.length > 0 || code !== 0 || c.unanswered.length > 0 || c.stalls.length > 0;
    console.log(failed ? 'FAILED' : 'passed');
    return failed ? 1 : 0;
  } finally {
    await t?.stop();
    await db.drop();
  }
}
