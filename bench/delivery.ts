// Delivery, end to end, on the whole gateway (startGateway on its embedded PostgreSQL, as
// `switchboard serve` runs it on one machine). The lab system and the paging gateway run in a worker
// thread (bench/delivery-peer.ts): MLLP senders, and a webhook receiver that verifies each Standard
// Webhooks signature.
//   critical path: a steady 200 msg/s of routine ORU (H flags: held for the digest) and ADT over
//     MLLP, each message its own patient and each result its own order numbers; a critical ORU
//     (OBX-8 HH) every 200 ms from the same lab; time from sending the critical
//     message to its signed webhook arriving at the receiver, p50 / p99, beside the MLLP ACK latency
//     of the same run; and where the time goes, per stage, from clock_timestamp() marks that bench-only
//     triggers write (goal p99 < 100 ms)
//   timers: 10,000 active escalations whose step deadlines are spread over 20 s: fire time minus
//     deadline (the store's record of the step), and the page's arrival minus deadline (goal p99 < 1 s)
//   idle: the gateway's CPU over a 10 s window with nothing due, before any traffic and with the
//     10,000 escalations waiting on their next step (goal < 2% of a core); the database transactions
//     per second its polling causes. Before any traffic it is measured twice: 5 s after the start
//     (as earlier runs did) and once settled, BENCH_IDLE_SETTLE_SECONDS after the start: the first
//     window still holds start-up work (the first rounds of every loop, the sealing of the start-up's
//     audit events, the pipeline's first polls), which a gateway does once, not every 10 s; and
//     again at twice that: V8's memory reducer runs full collections some seconds after the
//     start-up's allocations stop (one of 111 ms on the gateway thread ~32 s after a start, in a
//     CPU profile of `switchboard serve` left idle), which the settled window may hold.
// Options: --thread 0|1 (the routine workers on the main thread or in the processing thread;
// default: the gateway's default, PROCESSING_THREAD), --gather N (WORKER_GATHER_MS), --db embedded|machine (machine: the database
// at TEST_DATABASE_URL, a fresh schema of its own, e.g. to read pg_stat_statements).
// Each measure starts warm: 10 webhook POSTs before the floor's 50, 2 s of critical messages alone
// (printed on a line of their own, the first one apart) before the critical path's phases.
// BENCH_SECONDS (default 30), BENCH_ALONE_SECONDS (critical messages alone first, 10), BENCH_TIMERS (10000), BENCH_SPREAD_SECONDS (20), BENCH_IDLE_SECONDS (10), BENCH_IDLE_SETTLE_SECONDS (30).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import type { CommunicationRequest } from 'fhir/r4.js';
import { loadConfig } from '../src/config/index.js';
import { startGateway, type Gateway } from '../src/gateway.js';
import { createLogger } from '../src/obs/index.js';
import { saveResources } from '../src/fhir/index.js';
import { startEscalations, type EscalationStart } from '../src/delivery/index.js';
import { postWebhook } from '../src/delivery/webhook.js';
import { notifyDeliveryWake, type Sql } from '../src/store/index.js';
import { connect } from '../src/store/db.js';
import type { ScheduleInput } from '../src/routing/index.js';
import { fmt, percentile } from './stats.js';
import { adminUrl, freshDatabase } from './db.js';
import type { Critical, Hook, LoadResult, PeerCommand } from './delivery-peer.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const ALONE_SECONDS = Number(process.env.BENCH_ALONE_SECONDS ?? 10);
const WARM_SECONDS = 2;
const TIMERS = Number(process.env.BENCH_TIMERS ?? 10_000);
const SPREAD_S = Number(process.env.BENCH_SPREAD_SECONDS ?? 20);
const IDLE_S = Number(process.env.BENCH_IDLE_SECONDS ?? 10);
const SETTLE_S = Number(process.env.BENCH_IDLE_SETTLE_SECONDS ?? 30);
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const THREAD = arg('thread');
const DB = arg('db') ?? 'embedded';
/** WORKER_GATHER_MS for the gateway (default: the gateway's) */
const GATHER = arg('gather');
const RATE = 200; // background msg/s
const CRITICAL_EVERY_MS = 200;
/** paced senders: 25 msg/s each, so an ACK slower than 40 ms does not hold the rate down */
const BACKGROUND_CONNECTIONS = 8;
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const GOAL = { criticalP99Ms: 100, timerP99Ms: 1_000, idleCpuPct: 2 };

/** Critical results page dr-crit (webhook); routine ones go to dr-day (held for the digest); `timers` and `timers-inbox` hold the bench's runs (a webhook page, the inbox alone). */
function schedule(receiver: string): ScheduleInput {
  const hook = (p: string) => ({ kind: 'webhook' as const, address: `${receiver}/${p}`, secret: SECRET });
  return {
    version: 1,
    timeZone: 'UTC',
    practitioners: [
      { id: 'dr-crit', name: 'Critical on call', channels: [hook('critical')] },
      { id: 'dr-back', name: 'Backup', channels: [hook('backup')] },
      { id: 'dr-day', name: 'Day team', channels: [hook('routine')] },
      { id: 'dr-timer', name: 'Timer on call', channels: [hook('timers')] },
      { id: 'dr-inbox', name: 'Inbox only', channels: [{ kind: 'inbox', address: 'app' }] },
    ],
    roles: [
      { id: 'critical', name: 'Critical results', escalationPolicy: 'critical', layers: [{ id: 'all', practitioner: 'dr-crit' }], backups: [{ id: 'b', practitioner: 'dr-back' }] },
      { id: 'routine', name: 'Routine results', escalationPolicy: 'critical', layers: [{ id: 'all', practitioner: 'dr-day' }] },
      { id: 'timers', name: 'Timers', escalationPolicy: 'critical', layers: [{ id: 'all', practitioner: 'dr-timer' }], backups: [{ id: 'b', practitioner: 'dr-back' }] },
      { id: 'timers-inbox', name: 'Timers, inbox only', escalationPolicy: 'critical', layers: [{ id: 'all', practitioner: 'dr-inbox' }], backups: [{ id: 'b', practitioner: 'dr-back' }] },
    ],
    // an hour between steps: within a run, only step 1 fires
    escalationPolicies: [{ id: 'critical', steps: [{ targets: [{ kind: 'role' }], wait: 'PT1H' }, { targets: [{ kind: 'backups' }], wait: 'PT1H' }] }],
    routing: { rules: [{ id: 'critical-lab', when: { messageType: 'ORU', category: 'critical-result' }, role: 'critical' }], default: { role: 'routine' } },
  };
}

class Peer {
  private readonly w: Worker;
  private waiting = new Map<string, (m: Record<string, unknown>) => void>();
  receiver = '';

  constructor() {
    // tsx does not reach into worker threads by itself: register it there, then load the peer
    const boot = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(new URL('./delivery-peer.ts', import.meta.url).href)}); })`;
    this.w = new Worker(boot, { eval: true, workerData: { secret: SECRET } });
    // a failed thread fails whatever waits on it
    this.w.on('error', (e) => { for (const f of this.waiting.values()) f({ kind: 'error', message: String(e) }); this.waiting.clear(); });
    this.w.on('message', (m: Record<string, unknown>) => {
      const k = m.kind === 'error' ? [...this.waiting.keys()][0] : String(m.kind);
      const f = k === undefined ? undefined : this.waiting.get(k);
      if (k !== undefined) this.waiting.delete(k);
      f?.(m);
    });
  }

  private next(kind: string): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      this.waiting.set(kind, (m) => (m.kind === 'error' ? reject(new Error(String(m.message))) : resolve(m)));
    });
  }

  async ready(): Promise<void> { this.receiver = String((await this.next('ready')).receiver); }
  async load(c: Omit<Extract<PeerCommand, { kind: 'load' }>, 'kind'>): Promise<LoadResult> {
    const r = this.next('load');
    this.w.postMessage({ kind: 'load', ...c } satisfies PeerCommand);
    return (await r).result as LoadResult;
  }
  async hooks(): Promise<Hook[]> {
    const r = this.next('hooks');
    this.w.postMessage({ kind: 'hooks' } satisfies PeerCommand);
    return (await r).hooks as Hook[];
  }
  async stop(): Promise<void> {
    const r = this.next('stopped');
    this.w.postMessage({ kind: 'stop' } satisfies PeerCommand);
    await r;
    await this.w.terminate();
  }
}

const loadavg = () => os.loadavg().map((x) => x.toFixed(1)).join(' / ');

/** The machine's CPU time so far (/proc/stat: busy and all, in clock ticks, every core). */
function cpuTicks(): { busy: number; all: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = f as [number, number, number, number, number, number, number, number];
  return { busy: user + nice + system + irq + softirq + steal, all: user + nice + system + idle + iowait + irq + softirq + steal };
}

/** Share of all cores busy between two readings, % (every process: gateway, database, the bench's sender and receiver). */
const busyPct = (a: { busy: number; all: number }, b: { busy: number; all: number }) => (100 * (b.busy - a.busy)) / Math.max(1, b.all - a.all);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sorted = (xs: readonly number[]) => [...xs].sort((a, b) => a - b);
const p = (xs: readonly number[], q: number) => percentile(sorted(xs), q);
const met = (ok: boolean) => (ok ? 'met' : 'NOT met');

async function waitFor(what: string, ms: number, cond: () => Promise<boolean>): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return true;
    await sleep(200);
  }
  console.log(`(gave up waiting for ${what} after ${ms / 1000} s)`);
  return false;
}

/** The gateway process's CPU (% of one core) and the database's transactions/s over an idle window. */
async function idle(sql: Sql, label: string, settleMs = 5_000): Promise<{ label: string; cpuPct: number; xactPerS: number; gcMs: number }> {
  await sleep(settleMs); // past the work that just finished (and, at start, the schedule's worker threads)
  const xacts = async () => Number((await sql<{ n: string }[]>`SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()`)[0]!.n);
  const x0 = await xacts();
  // garbage collection only: an event-loop monitor's 1 ms timer would be CPU of its own in an idle window
  const gcDone = watchGc();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(IDLE_S * 1000);
  const c = process.cpuUsage(c0);
  const gcMs = gcDone().reduce((a, b) => a + b, 0);
  const secs = (performance.now() - t0) / 1000;
  const x1 = await xacts();
  return { label, cpuPct: ((c.user + c.system) / 1e6 / secs) * 100, xactPerS: (x1 - x0 - 1) / secs, gcMs };
}

/** Bench-only triggers: clock_timestamp() when a critical message is claimed, and when its webhook is claimed. */
async function installMarks(sql: Sql): Promise<void> {
  await sql`CREATE TABLE bench_mark (k text NOT NULL, what text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())`;
  await sql.unsafe(`
    CREATE FUNCTION bench_inbox_mark() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN INSERT INTO bench_mark (k, what) VALUES (NEW.control_id, NEW.state); RETURN NEW; END $$;
    CREATE TRIGGER bench_inbox_mark AFTER UPDATE OF state ON inbox FOR EACH ROW
      WHEN (NEW.control_id LIKE 'CRIT%' AND NEW.state IS DISTINCT FROM OLD.state) EXECUTE FUNCTION bench_inbox_mark();
    CREATE FUNCTION bench_attempt_mark() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN INSERT INTO bench_mark (k, what) VALUES (NEW.request_id, 'sending'); RETURN NEW; END $$;
    CREATE TRIGGER bench_attempt_mark AFTER UPDATE OF state ON delivery_attempt FOR EACH ROW
      WHEN (NEW.state = 'sending' AND OLD.state = 'scheduled' AND NEW.channel = 'webhook' AND NEW.attempts = 1) EXECUTE FUNCTION bench_attempt_mark();`);
}

async function dropMarks(sql: Sql): Promise<void> {
  await sql.unsafe('DROP TRIGGER bench_inbox_mark ON inbox; DROP TRIGGER bench_attempt_mark ON delivery_attempt;');
}

interface Stages { controlId: string; requestId: string; sent: number; ack: number; claim: number; txStart: number; runAt: number; sending: number; hook: number }

/** Each critical message's stage times (epoch ms), from the sender, the store's marks and the receiver. */
async function stagesOf(sql: Sql, criticals: readonly Critical[], hooks: readonly Hook[]): Promise<Stages[]> {
  const rows = await sql<{ control_id: string; request_id: string; claim: number; tx_start: number; run_at: number; sending: number }[]>`
    SELECT i.control_id, r.request_id,
      (SELECT extract(epoch FROM min(m.at)) * 1000 FROM bench_mark m WHERE m.k = i.control_id AND m.what = 'processing')::float8 AS claim,
      (extract(epoch FROM i.processed_at) * 1000)::float8 AS tx_start,
      (extract(epoch FROM r.created_at) * 1000)::float8 AS run_at,
      (SELECT extract(epoch FROM min(m.at)) * 1000 FROM bench_mark m WHERE m.k = r.request_id AND m.what = 'sending')::float8 AS sending
    FROM inbox i JOIN delivery_run r ON r.inbox_id = i.id
    WHERE i.control_id = ANY(${criticals.map((c) => c.controlId)})`;
  const hookAt = new Map<string, number>();
  for (const h of hooks) if (h.path === '/critical' && h.valid && h.messageId !== null && !hookAt.has(h.messageId)) hookAt.set(h.messageId, h.at);
  const byControl = new Map(rows.map((r) => [r.control_id, r]));
  const out: Stages[] = [];
  for (const c of criticals) {
    const r = byControl.get(c.controlId);
    const hook = r === undefined ? undefined : hookAt.get(r.request_id);
    if (r === undefined || hook === undefined) continue;
    out.push({ controlId: c.controlId, requestId: r.request_id, sent: c.sentAt, ack: c.sentAt + c.ackMs, claim: r.claim, txStart: r.tx_start, runAt: r.run_at, sending: r.sending, hook });
  }
  return out;
}

/** The gateway thread's stalls over a phase: its event loop's delay and its garbage-collection pauses. */
interface Stalls { loopP99: number; loopMax: number; gcOver10: number; gcMax: number; gcMs: number }

/** Records the gateway thread's garbage-collection pauses until the returned function is called, which returns them (ms). */
function watchGc(): () => number[] {
  const gc: number[] = [];
  const obs = new PerformanceObserver((list) => { for (const e of list.getEntries()) gc.push(e.duration); });
  obs.observe({ entryTypes: ['gc'] });
  return () => { obs.disconnect(); return gc; };
}

function watchStalls(): () => Stalls {
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const gcDone = watchGc();
  return () => {
    loop.disable();
    const gc = gcDone();
    return { loopP99: loop.percentile(99) / 1e6, loopMax: loop.max / 1e6, gcOver10: gc.filter((d) => d > 10).length, gcMax: Math.max(0, ...gc), gcMs: gc.reduce((a, b) => a + b, 0) };
  };
}

interface Phase { label: string; loadavg: string; busyPct: number; stalls: Stalls; load: LoadResult; backlog: number; drainS: number; hooks: Hook[]; stages: Stages[] }

/** One load: background at `rate` over `connections` (0: none) with the criticals; waits for every page. */
async function phase(gw: Gateway, peer: Peer, label: string, tag: string, seconds: number, connections: number): Promise<Phase> {
  const sql = gw.store.sql;
  const pendingSql = async () => Number((await sql<{ n: string }[]>`SELECT count(*) AS n FROM inbox WHERE state IN ('received', 'processing')`)[0]!.n);
  const c0 = cpuTicks();
  const stalls = watchStalls();
  const load = await peer.load({ port: gw.mllpPort, seconds, rate: RATE, connections, criticalEveryMs: CRITICAL_EVERY_MS, tag });
  const busy = busyPct(c0, cpuTicks());
  const stalled = stalls();
  const avg = loadavg();
  const backlog = await pendingSql();
  const drainStart = performance.now();
  await waitFor('the inbox to drain', 600_000, async () => (await pendingSql()) === 0);
  const drainS = (performance.now() - drainStart) / 1000;
  const hooks: Hook[] = [];
  await waitFor('every critical page', 60_000, async () => {
    hooks.push(...(await peer.hooks()));
    return hooks.filter((h) => h.path === '/critical').length >= load.criticals.length;
  });
  return { label, loadavg: avg, busyPct: busy, stalls: stalled, load, backlog, drainS, hooks, stages: await stagesOf(sql, load.criticals, hooks) };
}

function report(x: Phase, floor: readonly number[]): void {
  const { load, stages } = x;
  const crit = x.hooks.filter((h) => h.path === '/critical');
  const e2e = stages.map((s) => s.hook - s.sent);
  const critAck = load.criticals.map((c) => c.ackMs);
  console.log(`\n### Critical result -> webhook, ${x.label}  (${fmt(load.seconds, 0)} s; one critical ORU (OBX-8 HH) every ${CRITICAL_EVERY_MS} ms; ${os.cpus().length} cores, load average ${x.loadavg}; the machine's cores ${fmt(x.busyPct, 0)}% busy while the senders ran)`);
  if (load.background.length > 0) {
    const sent = load.background.length + load.criticals.length;
    console.log(`background: ${fmt(load.background.length)} routine ORU/ADT from the same lab and an ADT system at ${fmt(load.background.length / load.seconds)} msg/s (${load.backgroundRefused} not AA); inbox backlog when the senders stopped: ${fmt(x.backlog)} messages, drained ${fmt(x.drainS, 1)} s later`);
    console.log(`processing throughput (map, route, save): ${fmt((sent - x.backlog) / load.seconds)} msg/s while the senders ran, ${fmt(x.backlog / Math.max(x.drainS, 0.001))} msg/s draining the backlog; offered ${fmt(sent / load.seconds)} msg/s`);
  }
  const st = x.stalls;
  console.log(`the gateway's thread while the senders ran: event-loop delay p99 ${fmt(st.loopP99, 1)} / max ${fmt(st.loopMax, 1)} ms; garbage collection ${fmt(st.gcMs, 0)} ms in all, ${st.gcOver10} pauses over 10 ms, the longest ${fmt(st.gcMax, 1)} ms`);
  console.log(`criticals: ${load.criticals.length} sent, ${load.criticals.filter((c) => !c.accepted).length} not AA, ${crit.length} webhooks received (${crit.filter((h) => !h.valid).length} with a bad signature), ${stages.length} matched to their message`);
  console.log('\n| figure | p50 ms | p99 ms | max ms | goal |');
  console.log('|---|---:|---:|---:|---|');
  console.log(`| critical ORU sent -> signed webhook received | ${fmt(p(e2e, 50), 1)} | ${fmt(p(e2e, 99), 1)} | ${fmt(Math.max(...e2e), 1)} | p99 < ${GOAL.criticalP99Ms} ms: ${met(p(e2e, 99) < GOAL.criticalP99Ms)} |`);
  console.log(`| MLLP ACK of the critical messages | ${fmt(p(critAck, 50), 2)} | ${fmt(p(critAck, 99), 2)} | ${fmt(Math.max(...critAck), 2)} | |`);
  if (load.background.length > 0) console.log(`| MLLP ACK of the background messages | ${fmt(p(load.background, 50), 2)} | ${fmt(p(load.background, 99), 2)} | ${fmt(Math.max(...load.background), 2)} | |`);
  console.log(`| baseline: a signed webhook POST alone (gateway thread -> receiver, nothing stored) | ${fmt(p(floor, 50), 2)} | ${fmt(p(floor, 99), 2)} | ${fmt(Math.max(...floor), 2)} | |`);
  const stage = (label: string, f: (s: Stages) => number) => {
    const xs = stages.map(f).filter((v) => Number.isFinite(v));
    console.log(`| ${label} | ${fmt(p(xs, 50), 1)} | ${fmt(p(xs, 99), 1)} | ${fmt(Math.max(...xs), 1)} | ${fmt(xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length), 1)} |`);
  };
  console.log('\nwhere the time goes, per critical message (boundaries: the sender, clock_timestamp() marks in the store, the receiver):\n');
  console.log('| stage | p50 ms | p99 ms | max ms | mean ms |');
  console.log('|---|---:|---:|---:|---:|');
  stage('ACK: MLLP frame -> inbox group commit -> AA received', (s) => s.ack - s.sent);
  stage('claim wait: ACK -> a worker claims the row (behind the same lab\'s earlier messages)', (s) => s.claim - s.ack);
  stage('claimed batch: the rows ahead of it in the same claim (up to 16), then map + route', (s) => s.txStart - s.claim);
  // an urgent run's step 1 is fired in the transaction that saved its message (the lane's save), and
  // its outbox row claimed there: the commit comes after the 'sending' mark
  stage('save: FHIR Bundle written, escalation run started', (s) => s.runAt - s.txStart);
  stage('step 1 fired in the same transaction: notification, outbox rows, Communication, timeline; its outbox row claimed', (s) => s.sending - s.runAt);
  stage('the rest of that transaction (inbox row, audit) and its commit, then sign, POST, received', (s) => s.hook - s.sending);
  stage('total', (s) => s.hook - s.sent);
}

/**
 * The embedded server's schema owner (the gateway itself runs as a role without DDL): the bench's
 * marks are tables and triggers, so they are installed and dropped as the owner.
 */
function ownerSql(gw: Gateway, dataDir: string): Sql {
  if (machineDb) return connect(machineDb.url, { max: 1 }); // a machine database: the gateway connects as its owner
  const state = JSON.parse(readFileSync(path.join(dataDir, 'embedded-pg.json'), 'utf8')) as { ownerPassword: string };
  const u = new URL(gw.store.url);
  u.username = 'switchboard_owner';
  u.password = encodeURIComponent(state.ownerPassword);
  return connect(u.toString(), { max: 1 });
}

async function criticalPath(gw: Gateway, peer: Peer, dataDir: string): Promise<void> {
  const owner = ownerSql(gw, dataDir);
  await installMarks(owner);
  // the floor of the last hop: a signed webhook POST from this process to the receiver, nothing stored
  // each measure starts warm, as a gateway in service is: the first run of each code path (module
  // loading, compiling, the first connection of each pool) comes before it, and is printed apart
  const floor: number[] = [];
  for (let i = -10; i < 50; i++) {
    const s = performance.now();
    const r = await postWebhook({ url: `${peer.receiver}/floor`, secret: SECRET, id: `floor-${i}`, body: JSON.stringify({ type: 'floor', i }), at: new Date(), timeoutMs: 5_000 });
    if (r.outcome !== 'delivered') throw new Error('the receiver refused a signed webhook');
    if (i >= 0) floor.push(performance.now() - s);
  }
  await peer.hooks();
  const warm = await phase(gw, peer, 'warm-up', 'W', WARM_SECONDS, 0);
  const warmE2e = warm.stages.map((s) => s.hook - s.sent);
  console.log(`\nwarm-up, not counted below: ${warm.stages.length} critical messages alone over ${WARM_SECONDS} s after the start; the first: ${fmt(warmE2e[0] ?? NaN, 1)} ms sent -> webhook, the rest: p50 ${fmt(p(warmE2e.slice(1), 50), 1)} / max ${fmt(Math.max(...warmE2e.slice(1)), 1)} ms`);
  report(await phase(gw, peer, 'alone (no background traffic)', 'A', ALONE_SECONDS, 0), floor);
  report(await phase(gw, peer, `under ${RATE} msg/s of routine ORU/ADT over ${BACKGROUND_CONNECTIONS} connections`, 'B', SECONDS, BACKGROUND_CONNECTIONS), floor);
  await dropMarks(owner);
  await owner.end();
}

/** TIMERS runs of `role` whose step 1 is due over the next SPREAD_S seconds: fire lateness (and page lateness when step 1 pages). */
async function timers(gw: Gateway, peer: Peer, role: 'timers' | 'timers-inbox'): Promise<void> {
  const sql = gw.store.sql;
  const prefix = role === 'timers' ? 'bench-page-' : 'bench-inbox-'; // neither is a prefix of the other (LIKE)
  const pages = role === 'timers';
  const ids = Array.from({ length: TIMERS }, (_, i) => `${prefix}${i}`);
  const created = new Date();
  await sql.begin(async (tx) => {
    for (let i = 0; i < ids.length; i += 1_000) {
      const chunk = ids.slice(i, i + 1_000);
      const crs: CommunicationRequest[] = chunk.map((id) => ({ resourceType: 'CommunicationRequest', id, status: 'active', priority: 'stat', subject: { reference: 'Patient/bench' } }));
      await saveResources(tx, crs, { now: created });
      const starts: EscalationStart[] = chunk.map((id) => ({ requestId: id, inboxId: null, priority: 'stat', role, policy: 'critical', directTo: null, routedTo: null, receivedAt: created }));
      await startEscalations(tx, starts, created);
    }
    // their first step is due later, not at once: spread over the next SPREAD_S seconds (set below)
    await tx`UPDATE delivery_run SET due_at = now() + interval '1 hour' WHERE request_id LIKE ${`${prefix}%`}`;
  });
  const base = Date.now() + 2_000;
  const due = ids.map((_, i) => base + Math.floor((i / ids.length) * SPREAD_S * 1000));
  await sql.begin(async (tx) => {
    await tx`UPDATE delivery_run r SET due_at = to_timestamp(d.ms / 1000.0) FROM unnest(${ids}::text[], ${due}::float8[]) AS d(id, ms) WHERE r.request_id = d.id`;
    await notifyDeliveryWake(tx, 'run'); // as any write of an earlier timer does
  });
  const fired = async () => Number((await sql<{ n: string }[]>`SELECT count(*) AS n FROM delivery_notification WHERE request_id LIKE ${`${prefix}%`} AND kind = 'step'`)[0]!.n);
  const hooks: Hook[] = [];
  await waitFor('every timer to fire and page', SPREAD_S * 1000 + 120_000, async () => {
    hooks.push(...(await peer.hooks()));
    return (await fired()) >= TIMERS && (!pages || hooks.filter((h) => h.path === '/timers').length >= TIMERS);
  });
  const rows = await sql<{ request_id: string; at: number; n: number }[]>`
    SELECT request_id, (extract(epoch FROM min(created_at)) * 1000)::float8 AS at, count(*)::int AS n
    FROM delivery_notification WHERE request_id LIKE ${`${prefix}%`} AND kind = 'step' GROUP BY request_id`;
  const dueOf = new Map(ids.map((id, i) => [id, due[i]!]));
  const late = rows.map((r) => r.at - dueOf.get(r.request_id)!);
  const pageAt = new Map<string, number>();
  let dupPages = 0;
  for (const h of hooks) {
    if (h.path !== '/timers' || h.messageId === null) continue;
    if (pageAt.has(h.messageId)) dupPages++;
    else pageAt.set(h.messageId, h.at);
  }
  const pageLate = [...pageAt].map(([id, at]) => at - dueOf.get(id)!);
  console.log(`\n### ${fmt(TIMERS)} active escalations, step deadlines spread over ${SPREAD_S} s; step 1 ${pages ? 'pages a webhook' : 'goes to the inbox only (no channel send)'}  (load average ${loadavg()})`);
  console.log(`fired: ${fmt(rows.length)} runs, ${rows.filter((r) => r.n !== 1).length} with more than one notification for the step${pages ? `; pages received: ${fmt(pageAt.size)} (${dupPages} duplicates, ${hooks.filter((h) => h.path === '/timers' && !h.valid).length} bad signatures)` : ''}`);
  console.log('\n| figure | p50 ms | p99 ms | max ms | goal |');
  console.log('|---|---:|---:|---:|---|');
  console.log(`| timer lateness: step fired minus deadline | ${fmt(p(late, 50))} | ${fmt(p(late, 99))} | ${fmt(Math.max(...late))} | p99 < ${GOAL.timerP99Ms} ms: ${met(p(late, 99) < GOAL.timerP99Ms)} |`);
  if (pages) console.log(`| page lateness: signed webhook received minus deadline | ${fmt(p(pageLate, 50))} | ${fmt(p(pageLate, 99))} | ${fmt(Math.max(...pageLate))} | |`);
}

let machineDb: { url: string; drop: () => Promise<void> } | undefined;

export async function run(): Promise<void> {
  machineDb = DB === 'machine' ? await freshDatabase(adminUrl()) : undefined;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-bench-delivery-'));
  const peer = new Peer();
  await peer.ready();
  const scheduleFile = path.join(dir, 'schedule.json');
  writeFileSync(scheduleFile, JSON.stringify(schedule(peer.receiver)));
  const config = loadConfig({
    DATA_DIR: path.join(dir, 'data'), PORT: '0', MLLP_PORT: '0', HOST: '127.0.0.1', MLLP_HOST: '127.0.0.1',
    SCHEDULE_FILE: scheduleFile, VAPID_SUBJECT: 'off', PUBLIC_BASE_URL: 'https://switchboard.example',
    ...(THREAD !== undefined ? { PROCESSING_THREAD: THREAD === '1' ? 'true' : 'false' } : {}),
    ...(GATHER !== undefined ? { WORKER_GATHER_MS: GATHER } : {}),
    ...(machineDb ? { DATABASE_URL: machineDb.url } : {}),
    ...(process.env.EMBEDDED_PG_SETTINGS ? { EMBEDDED_PG_SETTINGS: process.env.EMBEDDED_PG_SETTINGS } : {}),
  });
  const t0 = performance.now();
  const gw = await startGateway(config, createLogger('error'));
  const started = performance.now();
  console.log(`gateway on ${DB === 'machine' ? 'a fresh database at TEST_DATABASE_URL' : 'its embedded PostgreSQL'}, started in ${fmt((performance.now() - t0) / 1000, 1)} s; routine workers ${config.PROCESSING_THREAD ? 'in the processing thread' : 'on the main thread'}; settings (WORKER_CONCURRENCY ${config.WORKER_CONCURRENCY}, DELIVERY_POLL_MS ${config.DELIVERY_POLL_MS}, WORKER_POLL_MS ${config.WORKER_POLL_MS}, WORKER_GATHER_MS ${config.WORKER_GATHER_MS})`);
  try {
    const idleStart = await idle(gw.store.sql, `idle, nothing stored, 5 s after the start`);
    const idleEmpty = await idle(gw.store.sql, `idle, nothing stored, settled (${SETTLE_S} s after the start)`, Math.max(0, SETTLE_S * 1000 - (performance.now() - started)));
    const idleLater = await idle(gw.store.sql, `idle, nothing stored, ${2 * SETTLE_S} s after the start`, Math.max(0, 2 * SETTLE_S * 1000 - (performance.now() - started)));
    await criticalPath(gw, peer, config.DATA_DIR);
    await timers(gw, peer, 'timers-inbox');
    await timers(gw, peer, 'timers');
    const active = Number((await gw.store.sql<{ n: string }[]>`SELECT count(*) AS n FROM delivery_run WHERE due_at IS NOT NULL`)[0]!.n);
    const idleActive = await idle(gw.store.sql, `idle, ${fmt(active)} escalations waiting on a future deadline`);
    console.log(`\n### Gateway idle (${IDLE_S} s window; process.cpuUsage of the bench process, which is the gateway plus an idle peer thread)`);
    console.log('\n| state | CPU, % of a core | of which garbage collection on the gateway thread, ms | database transactions/s | goal |');
    console.log('|---|---:|---:|---:|---|');
    for (const x of [idleStart, idleEmpty, idleLater, idleActive]) console.log(`| ${x.label} | ${fmt(x.cpuPct, 2)} | ${fmt(x.gcMs, 0)} | ${fmt(x.xactPerS, 1)} | < ${GOAL.idleCpuPct}%: ${met(x.cpuPct < GOAL.idleCpuPct)} |`);
  } finally {
    await gw.close();
    await peer.stop();
    rmSync(dir, { recursive: true, force: true });
    await machineDb?.drop();
  }
}
