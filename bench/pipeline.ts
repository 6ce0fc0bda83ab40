// npm run bench -- pipeline [--n 4000] [--senders 1,50] [--preload 0,100000,1000000] [--trials 3] [--burst 5000] [--one-connection 3000] [--db embedded|machine] [--thread 0|1] [--nice 10] [--inflight N] [--gather 20] [--workers 2] [--young 16] [--peer 0|1]
//
// The processing pipeline end to end: a gateway (intake, MLLP listener, workers with their mapping
// threads, routing on a stored schedule) on a fresh database, its routine workers in the processing
// thread beside the critical lane on the main one, as the gateway runs them by default (--thread 0:
// on the main thread, as PROCESSING_THREAD=false; --nice: PROCESSING_NICE; --young: PROCESSING_YOUNG_MB; --gather: WORKER_GATHER_MS;
// routine runs start held for their digest, as the gateway's workers start them); a sender process sends the traffic mix
// (ORU^R01 with 15 OBX, ADT A01/A08, call notes; a few critical results) over MLLP while the workers
// process. Printed: intake and processing msg/s, time per stage per message, statements per message
// (counted on the workers' connections: each is one round trip; only with --thread 0, where those
// connections are this thread's), the mapping-only rate on
// one core (the ceiling), the ACK p99 while processing runs; with --preload, the same on a store
// holding that many resources; one lab over one connection (intake against processing: does the
// pipeline keep up with it); and a critical result sent behind a routine burst: ACK -> routed.
// After the fast send, 1,000 more at a steady 200 msg/s while the backlog drains (their ACK p99).
// The CPU per message (this process, the gateway: the sender is not in it; and the database's backends read from /proc: the server must
// run on this machine) gives the rate both cores could reach whatever else shares them.
import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import { fork, type ChildProcess } from 'node:child_process';
import postgres from 'postgres';
import { MllpListener } from '../src/mllp/index.js';
import * as ingest from '../src/ingest/index.js';
import * as pipeline from '../src/pipeline/index.js';
import { createMetrics } from '../src/obs/metrics.js';
import { randomBytes } from 'node:crypto';
import { Keyring, installKeyring, pooledRandom, type KeyMaterial } from '../src/crypto/index.js';
import { DB_TIMEOUT_DEFAULTS } from '../src/store/index.js';
import { silentLogger } from '../src/obs/log.js';
import { DEFAULT_SITE_CONFIG } from '../src/mapping/index.js';
import { DEFAULT_SCHEDULE_LIMITS, ScheduleService, saveSchedule } from '../src/oncall/index.js';
import { parseScheduleFile } from '../src/routing/index.js';
import { DELIVERY_DEFAULTS } from '../src/delivery/index.js';
import { migrate } from '../src/store/migrate.js';
import { ensureIdKey } from '../src/store/index.js';
import { startEmbedded } from '../src/store/embedded.js';
import { loadConfig } from '../src/config/index.js';
import { adminUrl, freshDatabase, preloadResources } from './db.js';
import { fmt, percentile } from './stats.js';
import { oru, rng, trafficItem, type Traffic } from './pipeline-messages.js';

const arg = (name: string, def: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
};
/** The gateway's ACK latency histogram (switchboard_ack_latency_seconds, MLLP): cumulative count per bucket bound, s. */
async function ackBuckets(metrics: ReturnType<typeof createMetrics>): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const v of (await metrics.ackLatency.get()).values) {
    if (v.metricName !== 'switchboard_ack_latency_seconds_bucket' || v.labels.source !== 'mllp') continue;
    const bound = (v.labels as { le?: string | number }).le;
    const le = bound === '+Inf' ? Infinity : Number(bound);
    out.set(le, v.value);
  }
  return out;
}
const list = (s: string) => s.split(',').filter(Boolean).map(Number);
const WORKERS = Number(arg('workers', '2'));
const MAP_THREADS = 2;
const BATCH = 32;
/** the gateway's MAP_INLINE_MAX_BYTES default (--inline 0: every message in the threads) */
const INLINE = Number(arg('inline', '16384'));
/** the routine workers in the processing thread (the gateway's default, PROCESSING_THREAD) */
const THREAD = arg('thread', '1') !== '0';
/** with --thread 1: how many processing threads share the routine workers (the gateway's PROCESSING_THREADS) */
const THREADS = Number(arg('threads', '1'));
/** with --thread 1: the CPU priority of the processing thread, its mapping threads and its server processes (the gateway's PROCESSING_NICE; 0: unchanged) */
const NICE = Number(arg('nice', '10'));
/** with --thread 1: the processing thread's young generation, MiB (the gateway's PROCESSING_YOUNG_MB) */
const YOUNG = Number(arg('young', '16'));
/**
 * --peer 1: the processing thread hosted by a second process (bench/pipeline-peer.ts), every task of
 * it at --nice, instead of by the gateway's: what a separate processing process would change (the
 * gateway does not run one). Its CPU is counted with the gateway's.
 */
const PEER = arg('peer', '0') !== '0';
/** the routine workers' WORKER_GATHER_MS (the gateway's default; 0: claim at once) */
const GATHER = Number(arg('gather', '20'));
/** routine runs start held for their digest, as the gateway's workers start them (delivery's defaults) */
const HOLD = { startOfDay: DELIVERY_DEFAULTS.startOfDay, maxAgeMs: DELIVERY_DEFAULTS.maxAgeMs };

/** Counts statements per connection pool (postgres.js `debug` runs once per query sent). */
class Counter { n = 0; }

function connectCounted(url: string, counter: Counter, max: number) {
  return postgres(url, { max, onnotice: () => {}, types: {}, debug: () => { counter.n++; } });
}

interface Stages { rows: number; claim: number; map: number; route: number; save: number; commit: number; rounds: number }
const zeroStages = (): Stages => ({ rows: 0, claim: 0, map: 0, route: 0, save: 0, commit: 0, rounds: 0 });

async function gateway(url: string) {
  const intakeCount = new Counter();
  const workCount = new Counter();
  const sql = connectCounted(url, intakeCount, 8);
  const wsql = connectCounted(url, workCount, 8);
  await migrate(sql);
  const parsed = parseScheduleFile(readFileSync(new URL('../fixtures/schedules/example.json', import.meta.url), 'utf8'), 'example.json');
  if (!parsed.ok) throw new Error('example schedule does not parse');
  await saveSchedule(sql, parsed.value, { by: 'bench', now: new Date() });
  const idKey = await ensureIdKey(sql);
  const metrics = createMetrics();
  const schedules = new ScheduleService({ sql: wsql });
  await schedules.start();
  const stages = zeroStages();
  const onStages = (s: Omit<Stages, 'rounds'>) => { stages.rows += s.rows; stages.claim += s.claim; stages.map += s.map; stages.route += s.route; stages.save += s.save; stages.commit += s.commit; stages.rounds++; };
  const mapper = new pipeline.MapPool({ config: DEFAULT_SITE_CONFIG, idKey, threads: MAP_THREADS, budgetMs: 2_000, log: silentLogger });
  const workers: InstanceType<typeof pipeline.InboxWorker>[] = [];
  const processing: pipeline.ProcessingThread[] = [];
  const commits = { on: false, ms: [] as number[] };
  const writer = new ingest.InboxWriter(sql, { maxBatch: 256, onBatch: (_n, seconds) => { if (commits.on) commits.ms.push(seconds * 1000); }, ...(arg('inflight', '') ? { maxInFlight: Number(arg('inflight', '')) } : {}), onInserted: (p) => { workers.forEach((w) => w.poke(p)); processing.forEach((t) => t.poke(p)); peer?.send({ t: 'poke', p }); } });
  const intake = new ingest.Hl7Intake({ sql, writer, metrics, log: silentLogger, appName: 'SWITCHBOARD' });
  const listener = new MllpListener({ host: '127.0.0.1', port: 0, maxFrameBytes: 1 << 20, idleTimeoutMs: 60_000, frameTimeoutMs: 10_000, maxConnections: 200, log: silentLogger }, intake.mllpHandlers(1 << 20));
  const port = await listener.listen();
  // the gateway's critical lane (src/gateway.ts), sharing its state with the processing thread
  const shared = THREAD ? new pipeline.SharedLane() : undefined;
  const lane = new pipeline.InboxWorker({
    sql: wsql, config: DEFAULT_SITE_CONFIG, log: silentLogger, metrics, claimMs: 60_000, pollMs: 1_000, maxAttempts: 5, appName: 'SWITCHBOARD',
    schedules, idKey, batch: 4, minPriority: 1, hold: HOLD, mapper, inlineMaxBytes: INLINE, ...(shared ? { onLaneState: (l: pipeline.Lane) => shared.publish(l) } : {}),
  });
  workers.push(lane);
  // a processing thread's setup, as the gateway's processingSetup makes it from its settings
  const threadSetup = (concurrency: number, keys: KeyMaterial): pipeline.ProcessingSetup => ({
    db: { url, max: concurrency + 1, name: 'bench-processing', timeouts: DB_TIMEOUT_DEFAULTS },
    workers: { concurrency, batch: BATCH, gatherMs: GATHER, claimMs: 60_000, pollMs: 1_000, maxAttempts: 5, appName: 'SWITCHBOARD', inlineMaxBytes: INLINE, mapThreads: MAP_THREADS, mapBudgetMs: 2_000, nice: NICE, youngMb: YOUNG },
    siteConfig: DEFAULT_SITE_CONFIG, idKey, keys, scheduleLimits: DEFAULT_SCHEDULE_LIMITS, route: true, hold: HOLD,
  });
  let peer: ChildProcess | undefined;
  if (shared && PEER) {
    const keys = benchKeys();
    const child = fork(new URL('./pipeline-peer.ts', import.meta.url), [], { execArgv: ['--import', 'tsx'], serialization: 'advanced' });
    child.on('message', (m: { t: string; s?: pipeline.StageTimes }) => { if (m.t === 'stages' && m.s) onStages(m.s); });
    child.send({ nice: NICE, keys, setup: threadSetup(WORKERS, keys) });
    await new Promise<void>((resolve, reject) => {
      child.on('message', (m: { t: string }) => { if (m.t === 'ready') resolve(); });
      child.once('exit', (code) => reject(new Error(`the processing peer exited with ${code}`)));
    });
    peer = child;
  } else if (shared) {
    // the routine workers as the gateway runs them: the same host (one per processing thread, the
    // workers shared among them as the gateway shares them), their stage times posted back
    const keys = benchKeys();
    pipeline.processingShares(WORKERS, THREADS, availableParallelism()).forEach((concurrency, index) => processing.push(new pipeline.ProcessingThread({
      setup: threadSetup(concurrency, keys),
      log: silentLogger, metrics, lane: shared, onStages, index, ...(NICE > 0 ? { lowerBackends: sql } : {}),
    })));
  } else {
    for (let i = 0; i < WORKERS; i++) {
      workers.push(new pipeline.InboxWorker({
        sql: wsql, config: DEFAULT_SITE_CONFIG, log: silentLogger, metrics, claimMs: 60_000, pollMs: 1_000, maxAttempts: 5, appName: 'SWITCHBOARD',
        schedules, idKey, batch: BATCH, gatherMs: GATHER, hold: HOLD, mapper, inlineMaxBytes: INLINE, lane, onStages,
      }));
    }
  }
  for (const w of workers) await w.start();
  for (const t of processing) await t.start();
  return {
    port, sql, writer, metrics, intakeCount, workCount, stages, commits,
    /** CPU ms of the --peer process so far (0 without one): counted with the gateway's */
    peerCpuMs: () => (peer?.pid === undefined ? 0 : procCpu(peer.pid)),
    close: async () => {
      await listener.close(1000);
      await Promise.all([...workers.map((w) => w.stop()), ...processing.map((t) => t.stop()), ...(peer ? [new Promise<void>((resolve) => { peer!.once('exit', () => resolve()); peer!.send({ t: 'stop' }); })] : [])]);
      await mapper.close();
      await schedules.stop();
      await sql.end();
      await wsql.end();
    },
  };
}


/**
 * A PHI keyring of this run, installed here and handed to the processing thread (bench/run.ts
 * installs one too, but its bytes are not to be had back from it).
 */
function benchKeys(): KeyMaterial {
  const keys: KeyMaterial = { keys: [{ id: 'bench', key: randomBytes(32) }], active: 'bench', searchKey: randomBytes(32) };
  installKeyring(new Keyring({ ...keys, random: pooledRandom() }));
  return keys;
}

async function send(port: number, o: { connections: number; n: number; tag: string; traffic: Traffic; seed: number; burst?: boolean; rate?: number }) {
  // a process of its own, as a lab system is: its CPU is not counted as the gateway's
  const child = fork(new URL('./pipeline-sender.ts', import.meta.url), [JSON.stringify({ port, ...o })], { execArgv: ['--import', 'tsx'] });
  const r = await new Promise<{ lat: number[]; seconds: number; refused: number; sent: number }>((resolve, reject) => {
    child.once('message', (m) => resolve(m as { lat: number[]; seconds: number; refused: number; sent: number }));
    child.once('error', reject);
    child.once('exit', (code) => { if (code !== 0) reject(new Error(`the sender process exited with ${code}`)); });
  });
  if (r.refused) throw new Error(`${r.refused} benchmark messages were not accepted`);
  return r;
}

const pending = async (sql: postgres.Sql) => (await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM inbox WHERE state IN ('received', 'processing')`)[0]!.n;

async function drained(sql: postgres.Sql, timeoutMs: number): Promise<number> {
  const until = performance.now() + timeoutMs;
  while (performance.now() < until) {
    if ((await pending(sql)) === 0) return performance.now();
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('processing did not finish in time');
}

/** The mapping-only rate on this thread (one core): the ceiling of any processing rate per mapping core. */
function mappingCeiling(traffic: Traffic, idKey: Uint8Array, ms = 2000): number {
  const rand = rng(7);
  const rows = Array.from({ length: 500 }, (_, i) => trafficItem(i, 'C', traffic, rand)).filter((m) => m.kind === 'hl7').map((m, i) => ({ id: String(i), source: 'mllp', raw: (m as { bytes: Buffer }).bytes, received_at: new Date() }));
  const w = new pipeline.InboxWorker({ config: DEFAULT_SITE_CONFIG } as ConstructorParameters<typeof pipeline.InboxWorker>[0]);
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < ms) for (const r of rows) { w.mapRow(r, idKey); n++; }
  return n / ((performance.now() - t0) / 1000);
}

async function preload(sql: postgres.Sql, count: number): Promise<number> {
  const t0 = performance.now();
  await preloadResources(sql, count);
  // and the processed inbox rows such a store comes from (one per 15 resources), so the inbox's
  // statistics are those of a store in use, not of an empty table
  await sql.unsafe(`
    INSERT INTO inbox (source, sender_app, sender_facility, control_id, message_type, raw, content_hash, state, processed_at, order_patient)
    SELECT 'mllp', 'PRE' || (g % 50), 'F', 'PRE' || g, 'ORU^R01', '\\x00'::bytea, sha256(g::text::bytea), 'processed', now() - interval '1 day', md5((g % 3000)::text)
    FROM generate_series(1, ${Math.ceil(count / 15)}) g`);
  // a store in use has been vacuumed (visibility map set, GIN pending lists merged): without it,
  // autovacuum of the fresh rows runs during the measurement
  await sql.unsafe('VACUUM (ANALYZE) fhir_resource, inbox');
  return (performance.now() - t0) / 1000;
}

interface RunResult {
  ceiling: number; intake: number; processing: number; ackP99: number; perMsg: Record<string, number>; stmts: number; n: number; batch: number;
  /** CPU ms per message: this process (the gateway and its threads; the sender is a process of its own) and the database's backends */
  cpu: { gateway: number; db: number };
  /** ACK p99 of 200 msg/s sent while the backlog drains (NaN: the backlog was gone first) */
  pacedAckP99: number; pacedBacklog: number;
  /** share of the paced messages whose ACK was ready within 10 / 20 ms of the message, as the gateway's own histogram saw it (the sender process's scheduling excluded) */
  pacedInGateway: { ms10: number; ms20: number };
  /** the intake's group commits meanwhile (the insert and its commit, from sent to committed), ms, and how many */
  pacedCommit: { p50: number; p99: number; n: number };
}

/** CPU ms of one process (utime + stime, clock ticks of 10 ms), 0 when it is gone. */
function procCpu(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return 0;
  }
}

/** The CPU its database's backends used since `start` (a map from the previous call): the server runs on this machine. */
async function dbCpu(sql: postgres.Sql, start?: Map<number, number>): Promise<{ total: number; now: Map<number, number> }> {
  const pids = await sql<{ pid: number }[]>`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`;
  const now = new Map(pids.map((p) => [p.pid, procCpu(p.pid)]));
  let total = 0;
  for (const [pid, c] of now) total += c - (start?.get(pid) ?? 0);
  return { total, now };
}

async function throughput(url: string, n: number, senders: number, preloaded: number): Promise<RunResult> {
  const gw = await gateway(url);
  try {
    if (preloaded > 0) console.log(`  preloaded ${fmt(preloaded)} resources in ${fmt(await preload(gw.sql, preloaded), 1)} s`);
    const traffic: Traffic = { senders, patients: Math.max(50, Math.floor(n / 4)), criticalShare: 0.02 };
    // call notes of the mix go in beside the MLLP traffic, as POST /calls would store them
    const rand = rng(11);
    const calls = Array.from({ length: n }, (_, i) => trafficItem(i, 'N', traffic, rand)).filter((m) => m.kind === 'call') as { note: unknown; key: string }[];
    // the machine's speed at this moment (it is shared): the growth comparison divides by it
    const ceiling = mappingCeiling(traffic, new Uint8Array(32), 1000);
    const w0 = gw.workCount.n;
    const s0 = { ...gw.stages };
    // this run's rows are those after the last one stored before it (the preload's inbox rows are not
    // its work); the sampler below reads only them, through the primary key, so its cost does not grow
    // with the store it measures
    const [{ id0 } = { id0: '0' }] = await gw.sql<{ id0: string }[]>`SELECT coalesce(max(id), 0)::text AS id0 FROM inbox`;
    const db0 = await dbCpu(gw.sql);
    const c0 = process.cpuUsage();
    const p0 = gw.peerCpuMs();
    const t0 = performance.now();
    const callsDone = Promise.all(calls.map((c) => ingest.receiveCall(gw.writer, gw.metrics, c.note, { idempotencyKey: c.key, submitter: 'bench', peer: null })));
    const r = await send(gw.port, { connections: 8, n, tag: `T${senders}-${preloaded}`, traffic, seed: 11 });
    await callsDone;
    // then 200 msg/s while the backlog drains: the ACK latency a steady sender sees meanwhile. The
    // processing rate is read when the backlog is gone (two batches or fewer left), not diluted by
    // the paced tail.
    const pacedBacklog = await pending(gw.sql);
    let caughtUp: { at: number; done: number } | undefined;
    let sampling = true;
    const sampler = (async () => {
      while (sampling && caughtUp === undefined) {
        // Both counts from indexes (the partial index of pending rows, the primary key's last entry):
        // a count over every row of the run took ~5 ms of the database's CPU every 100 ms, beside the
        // intake whose ACK latency this phase measures. Rows since id0 are dense (one sequence, no
        // rollbacks in a bench run), so done = rows stored since id0 - pending.
        const [x] = await gw.sql<{ pending: number; done: number }[]>`
          SELECT p.n AS pending, (coalesce((SELECT max(id) FROM inbox), ${id0}::bigint) - ${id0}::bigint)::int - p.n AS done
          FROM (SELECT count(*)::int AS n FROM inbox WHERE state IN ('received', 'processing')) p`;
        if (x!.pending <= 2 * BATCH) caughtUp = { at: performance.now(), done: x!.done };
        else await new Promise((res) => setTimeout(res, 100));
      }
    })();
    gw.commits.on = true;
    const h0 = await ackBuckets(gw.metrics);
    const paced = await send(gw.port, { connections: 8, n: 1000, tag: `P${senders}-${preloaded}`, traffic, seed: 12, rate: 200 });
    const h1 = await ackBuckets(gw.metrics);
    gw.commits.on = false;
    const commitMs = [...gw.commits.ms].sort((a, b) => a - b);
    const within = (le: number) => ((h1.get(le) ?? 0) - (h0.get(le) ?? 0)) / Math.max(1, (h1.get(Infinity) ?? 0) - (h0.get(Infinity) ?? 0));
    const total = r.sent + calls.length + paced.sent;
    const intake = (r.sent + calls.length) / r.seconds;
    const t1 = await drained(gw.sql, 600_000);
    sampling = false;
    await sampler;
    const c1 = process.cpuUsage(c0);
    const peerMs = gw.peerCpuMs() - p0;
    const db1 = await dbCpu(gw.sql, db0.now);
    const st = gw.stages;
    const rows = st.rows - s0.rows;
    const per = (k: keyof Stages) => (rows ? (st[k] - s0[k]) / rows : NaN);
    const sorted = [...r.lat].sort((a, b) => a - b);
    return {
      ceiling, intake, processing: caughtUp ? caughtUp.done / ((caughtUp.at - t0) / 1000) : total / ((t1 - t0) / 1000), ackP99: percentile(sorted, 99), n: total,
      perMsg: { claim: per('claim'), map: per('map'), route: per('route'), save: per('save'), commit: per('commit') },
      stmts: (gw.workCount.n - w0) / total, batch: rows / Math.max(1, st.rounds - s0.rounds),
      cpu: { gateway: ((c1.user + c1.system) / 1000 + peerMs) / total, db: db1.total / total },
      pacedAckP99: percentile([...paced.lat].sort((a, b) => a - b), 99), pacedBacklog, pacedInGateway: { ms10: within(0.01), ms20: within(0.02) },
      pacedCommit: { p50: percentile(commitMs, 50), p99: percentile(commitMs, 99), n: commitMs.length },
    };
  } finally {
    await gw.close();
  }
}

/**
 * One lab sending over one MLLP connection as fast as its ACKs come back (each message waits for the
 * previous one's ACK, as an MLLP sender does): does processing keep up with it? Read from the rows'
 * own times: intake msg/s from the first to the last receipt, processing msg/s from the first receipt
 * to the last row done, and how far processing trailed the last ACK. The whole-run processing rate
 * also counts that trail, the time the last batches take, which a short run cannot amortise; so the
 * two rates are also read over the run's steady part (its last 80%, the first 20% being the
 * workers' warm-up): rows received and rows done within that window, per second. The backlog
 * (rows not yet done) sampled every 500 ms shows the trend: level when processing keeps up.
 */
async function oneConnection(url: string, n: number): Promise<{ intake: number; processing: number; backlogAtLastAck: number; lagMs: number; ackP99: number; steadyIntake: number; steadyProcessing: number; backlog: number[] }> {
  const gw = await gateway(url);
  const backlog: number[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      await new Promise((r) => setTimeout(r, 500));
      if (sampling) backlog.push(await pending(gw.sql));
    }
  })();
  try {
    const [{ id0 } = { id0: '0' }] = await gw.sql<{ id0: string }[]>`SELECT coalesce(max(id), 0)::text AS id0 FROM inbox`;
    const r = await send(gw.port, { connections: 1, n, tag: 'ONE', traffic: { senders: 1, patients: Math.max(50, Math.floor(n / 4)), criticalShare: 0.02 }, seed: 13 });
    sampling = false;
    await sampler;
    const backlogAtLastAck = await pending(gw.sql);
    await drained(gw.sql, 600_000);
    const [x] = await gw.sql<{ n: number; intake_s: number; processing_s: number; lag_ms: number; window_s: number; received_w: number; done_w: number }[]>`
      WITH rows AS (SELECT received_at, processed_at FROM inbox WHERE id > ${id0}::bigint),
           span AS (SELECT min(received_at) AS t0, max(received_at) AS t1 FROM rows),
           w AS (SELECT t0 + (t1 - t0) * 0.2 AS a, t1 AS b FROM span)
      SELECT (SELECT count(*) FROM rows)::int AS n,
             extract(epoch FROM t1 - t0)::float8 AS intake_s,
             extract(epoch FROM (SELECT max(processed_at) FROM rows) - t0)::float8 AS processing_s,
             (extract(epoch FROM (SELECT max(processed_at) FROM rows) - t1) * 1000)::float8 AS lag_ms,
             extract(epoch FROM w.b - w.a)::float8 AS window_s,
             (SELECT count(*) FROM rows WHERE received_at > w.a AND received_at <= w.b)::int AS received_w,
             (SELECT count(*) FROM rows WHERE processed_at > w.a AND processed_at <= w.b)::int AS done_w
      FROM span, w`;
    return {
      intake: x!.n / x!.intake_s, processing: x!.n / x!.processing_s, backlogAtLastAck, lagMs: x!.lag_ms,
      ackP99: percentile([...r.lat].sort((a, b) => a - b), 99),
      steadyIntake: x!.received_w / x!.window_s, steadyProcessing: x!.done_w / x!.window_s, backlog,
    };
  } finally {
    sampling = false;
    await sampler;
    await gw.close();
  }
}

async function criticalBehindBurst(url: string, burst: number, trials: number): Promise<number[]> {
  const gw = await gateway(url);
  const { MllpClient } = await import('../src/mllp/index.js');
  const out: number[] = [];
  try {
    for (let t = 0; t < trials; t++) {
      await send(gw.port, { connections: 8, n: burst, tag: `BURST${t}`, traffic: { senders: 1, patients: 2000, criticalShare: 0 }, seed: 100 + t, burst: true });
      const c = new MllpClient({ port: gw.port });
      await c.connect();
      const id = `CRIT${t}`;
      const ack = await c.send(Buffer.from(oru(id, 'LAB0', `MRNCRIT${t}`, `C${t}`, true), 'latin1'));
      const acked = performance.now();
      c.close();
      if (ack.indexOf('MSA|AA|') < 0) throw new Error('critical result not accepted');
      const backlog = await pending(gw.sql);
      for (;;) {
        const [row] = await gw.sql<{ state: string; routed: boolean }[]>`SELECT state, routing IS NOT NULL AS routed FROM inbox WHERE control_id = ${id}`;
        if (row && row.state !== 'received' && row.state !== 'processing') {
          if (!row.routed) throw new Error(`critical result ended ${row.state} without routing`);
          break;
        }
        await new Promise((r) => setTimeout(r, 2));
      }
      out.push(performance.now() - acked);
      console.log(`  trial ${t + 1}: backlog at its ACK ${fmt(backlog)} rows; ACK -> routed ${fmt(out[out.length - 1]!, 0)} ms`);
      await drained(gw.sql, 600_000);
    }
  } finally {
    await gw.close();
  }
  return out;
}

async function onServer(label: string, admin: string): Promise<void> {
  const n = Number(arg('n', '4000'));
  const senderCounts = list(arg('senders', '1,50'));
  const preloads = list(arg('preload', '0'));
  const trials = Number(arg('trials', '3'));
  const burst = Number(arg('burst', '5000'));
  console.log(`\n### ${label}  (${availableParallelism()} cores, shared; ${WORKERS} workers x batch ${BATCH}, ${MAP_THREADS} mapping threads, messages up to ${fmt(INLINE)} bytes mapped inline; routine workers ${THREAD ? `in the processing thread (young generation ${YOUNG} MB)${PEER ? `, hosted by a second process at nice ${NICE}` : ''}` : 'on the main thread'}; N = ${fmt(n)} per run: 70% ORU^R01 with 15 OBX (2% critical), 20% ADT A01/A08, 10% call notes)`);
  const ceiling = mappingCeiling({ senders: 1, patients: 1000, criticalShare: 0.02 }, new Uint8Array(32));
  console.log(`mapping only, one core (the ceiling per mapping core): ${fmt(ceiling)} msg/s`);
  console.log('\n| senders | store preloaded | intake msg/s | processing msg/s (stored -> FHIR saved, routed) | mapping-only msg/s on one core, same moment | processing / that ceiling | ACK p99 ms while processing (as fast as ACKs come) | ACK p99 ms at 200 msg/s while the backlog drains (backlog) | of those, ACK ready in the gateway within 10 / 20 ms | per message ms: claim / parse+map / route / FHIR save / commit | worker statements per message | rows per batch | CPU ms per message: gateway process / database | the 2 cores\' ceiling at that CPU, msg/s |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|');
  const byPreload = new Map<number, number>();
  for (const preloaded of preloads) {
    for (const senders of preloaded === preloads[0] ? senderCounts : [senderCounts[senderCounts.length - 1]!]) {
      const db = await freshDatabase(admin);
      try {
        const r = await throughput(db.url, n, senders, preloaded);
        const p = r.perMsg;
        console.log(`| ${senders} | ${fmt(preloaded)} | ${fmt(r.intake)} | ${fmt(r.processing)} | ${fmt(r.ceiling)} | ${fmt(r.processing / r.ceiling, 3)} | ${fmt(r.ackP99, 1)} | ${fmt(r.pacedAckP99, 1)} (${fmt(r.pacedBacklog)}) | ${fmt(100 * r.pacedInGateway.ms10, 1)}% / ${fmt(100 * r.pacedInGateway.ms20, 1)}% | ${fmt(p.claim!, 2)} / ${fmt(p.map!, 2)} / ${fmt(p.route!, 2)} / ${fmt(p.save!, 2)} / ${fmt(p.commit!, 2)} | ${THREAD ? 'n/a (in the thread)' : fmt(r.stmts, 2)} | ${fmt(r.batch, 1)} | ${fmt(r.cpu.gateway, 2)} / ${fmt(r.cpu.db, 2)} | ${fmt(2000 / (r.cpu.gateway + r.cpu.db))} |`);
        console.log(`  intake's group commits at 200 msg/s while draining: ${fmt(r.pacedCommit.n)}, from sent to committed p50 ${fmt(r.pacedCommit.p50, 1)} / p99 ${fmt(r.pacedCommit.p99, 1)} ms; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' / ')}`);
        byPreload.set(preloaded, r.processing);
      } finally {
        await db.drop();
      }
    }
  }
  if (preloads.length > 1) {
    const base = byPreload.get(preloads[0]!)!;
    // raw rates: on a shared machine compare them with the mapping-only column of the same rows
    for (const p of preloads.slice(1)) console.log(`growth: processing at ${fmt(p)} preloaded resources is ${fmt(byPreload.get(p)! / base, 2)}x the rate at ${fmt(preloads[0]!)} (goal: within 20%: ${byPreload.get(p)! >= 0.8 * base ? 'met' : 'NOT met'})`);
  }
  const single = Number(arg('one-connection', '3000'));
  if (single > 0) {
    const db = await freshDatabase(admin);
    try {
      const o = await oneConnection(db.url, single);
      console.log(`\none lab over one MLLP connection, ${fmt(single)} messages of the mix as fast as its ACKs come: intake ${fmt(o.intake)} msg/s (ACK p99 ${fmt(o.ackP99, 1)} ms), processing ${fmt(o.processing)} msg/s over the same rows (the last row's trail included); backlog at the last ACK ${fmt(o.backlogAtLastAck)} rows, the last row done ${fmt(o.lagMs)} ms after it`);
      console.log(`  over the run's steady part (its last 80%): rows received ${fmt(o.steadyIntake)} msg/s, rows done ${fmt(o.steadyProcessing)} msg/s (${fmt(o.steadyProcessing / o.steadyIntake, 2)}x; goal: processing no less than intake at one connection: ${o.steadyProcessing >= 0.98 * o.steadyIntake ? 'met' : 'NOT met'}); backlog every 500 ms: ${o.backlog.map((b) => fmt(b)).join(', ')}`);
    } finally {
      await db.drop();
    }
  }
  if (trials > 0) {
    const db = await freshDatabase(admin);
    try {
      console.log(`\ncritical result (OBX-8 HH) sent behind a ${fmt(burst)}-message routine burst, ${trials} trials:`);
      const lat = (await criticalBehindBurst(db.url, burst, trials)).sort((a, b) => a - b);
      console.log(`ACK -> routed: p50 ${fmt(percentile(lat, 50))} ms, p99 ${fmt(percentile(lat, 99))} ms (goal < 1,000 ms: ${percentile(lat, 99) < 1000 ? 'met' : 'NOT met'})`);
    } finally {
      await db.drop();
    }
  }
}

export async function run(): Promise<void> {
  if (arg('db', 'embedded') === 'machine') {
    await onServer('machine PostgreSQL', adminUrl());
    return;
  }
  // EMBEDDED_PG_SETTINGS, as the gateway takes it
  const embedded = await startEmbedded('.bench-pg', 0, silentLogger, loadConfig({ EMBEDDED_PG_SETTINGS: process.env.EMBEDDED_PG_SETTINGS ?? '' }).EMBEDDED_PG_SETTINGS);
  try {
    await onServer('embedded PostgreSQL', embedded.url);
  } finally {
    await embedded.stop();
  }
}
