// Durable ingest: MLLP -> parse -> group-commit to PostgreSQL -> ACK, at 1, 4 and 16 connections,
// beside the baseline of raw postgres.js single-row insert-and-commit at the same concurrency.
// Also p99 ACK latency at a steady 200 messages/s. Runs on the machine's PostgreSQL (TEST_DATABASE_URL
// or postgres://postgres@127.0.0.1:5432/test when it answers) and on the embedded server.
import { createHash, randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { readFileSync } from 'node:fs';
import postgres from 'postgres';
import { Worker } from 'node:worker_threads';
import { MllpListener } from '../src/mllp/index.js';
import { Hl7Intake } from '../src/ingest/index.js';
import { InboxWriter } from '../src/ingest/index.js';
import { createMetrics } from '../src/obs/metrics.js';
import { silentLogger } from '../src/obs/log.js';
import { connect, type Sql } from '../src/store/db.js';
import { migrate } from '../src/store/migrate.js';
import { startEmbedded } from '../src/store/embedded.js';
import { fmt, summarise } from './stats.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
// The gateway under test runs in this thread; the senders run in a worker thread (bench/ingest-sender.ts).
const TEMPLATE = readFileSync(new URL('../fixtures/spine/oru-r01.hl7', import.meta.url), 'latin1').replace(/\n/g, '\r');
const message = (id: string) => Buffer.from(TEMPLATE.replace('|CTRL0001|', `|${id}|`), 'latin1');

/** Busy CPU time of the whole machine (every process: PostgreSQL, gateway, senders), in core-seconds. */
function machineBusy(): number {
  return cpus().reduce((a, c) => a + c.times.user + c.times.nice + c.times.sys + c.times.irq, 0) / 1000;
}

/** fn's result, with the machine's busy CPU per message while it ran (µs). */
async function withCpu<T extends { n: number }>(fn: () => Promise<T>): Promise<T & { cpuUs: number }> {
  const before = machineBusy();
  const r = await fn();
  return { ...r, cpuUs: ((machineBusy() - before) * 1e6) / Math.max(r.n, 1) };
}

async function freshDatabase(adminUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  const name = `sb_bench_${randomBytes(4).toString('hex')}`;
  await admin.unsafe(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const a = postgres(adminUrl, { max: 1, onnotice: () => {} });
      await a.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

/**
 * n loops, each inserting one row and waiting for its commit, for SECONDS. `bare`: a table of id,
 * control id and bytes; `inbox`: a copy of the inbox table with its dedupe key and queue index
 * (the write any correct durable gateway must make), the row the gateway itself stores.
 */
async function baseline(url: string, n: number, shape: 'bare' | 'inbox'): Promise<ReturnType<typeof summarise>> {
  const sql = postgres(url, { max: n, onnotice: () => {} });
  if (shape === 'bare') await sql`CREATE TABLE IF NOT EXISTS bench_baseline (id bigserial PRIMARY KEY, control_id text, raw bytea, received_at timestamptz DEFAULT now())`;
  else await sql`CREATE TABLE IF NOT EXISTS bench_baseline_inbox (LIKE inbox INCLUDING ALL)`;
  const raw = message('BASE');
  const ack = raw.subarray(0, 160);
  const contentHash = createHash('sha256').update(raw).digest();
  const lat: number[] = [];
  const until = performance.now() + SECONDS * 1000;
  let seq = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: n }, async () => {
    while (performance.now() < until) {
      const s = performance.now();
      const id = `B${n}-${seq++}`;
      if (shape === 'bare') await sql`INSERT INTO bench_baseline (control_id, raw) VALUES (${id}, ${raw})`;
      else await sql`INSERT INTO bench_baseline_inbox (source, sender_app, sender_facility, control_id, message_type, version, charset, raw, content_hash, peer, ack_mode, ack)
        VALUES ('mllp', 'LAB', 'NORTHLAB', ${id}, 'ORU^R01', '2.5.1', 'ASCII', ${raw}, ${contentHash}, '127.0.0.1:1', 'original', ${ack})`;
      lat.push(performance.now() - s);
    }
  }));
  const secs = (performance.now() - t0) / 1000;
  await sql.end();
  return summarise(lat, secs);
}

async function gateway(sql: Sql) {
  const metrics = createMetrics();
  const writer = new InboxWriter(sql, { maxBatch: 256 }); // the gateway's defaults
  const intake = new Hl7Intake({ sql, writer, metrics, log: silentLogger, appName: 'SWITCHBOARD' });
  const listener = new MllpListener({ host: '127.0.0.1', port: 0, maxFrameBytes: 1 << 20, idleTimeoutMs: 60_000, frameTimeoutMs: 10_000, maxConnections: 100, log: silentLogger }, intake.mllpHandlers(1 << 20));
  const port = await listener.listen();
  return { port, close: () => listener.close(1000) };
}

/** n MLLP connections from a sender thread, each sending one message after another (or paced). */
async function ingest(port: number, n: number, tag: string, rate?: number): Promise<ReturnType<typeof summarise>> {
  // tsx does not reach into worker threads by itself: register it in the worker, then load the sender
  const boot = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(new URL('./ingest-sender.ts', import.meta.url).href)}); })`;
  const w = new Worker(boot, { eval: true, workerData: { port, connections: n, seconds: SECONDS, tag, rate } });
  const r = await new Promise<{ lat: number[]; seconds: number; refused: number }>((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });
  await w.terminate();
  if (r.refused) throw new Error(`${r.refused} benchmark messages were not accepted`);
  return summarise(r.lat, r.seconds);
}

/** The floor: an MLLP listener that answers AA at once, storing nothing (framing + one round trip). */
async function echoListener() {
  const ack = Buffer.from('MSH|^~\\&|SB||||20260101000000+0000||ACK|1|P|2.5.1\rMSA|AA|ECHO\r', 'latin1');
  const listener = new MllpListener({ host: '127.0.0.1', port: 0, maxFrameBytes: 1 << 20, idleTimeoutMs: 60_000, frameTimeoutMs: 10_000, maxConnections: 100, log: silentLogger }, {
    message: async () => ack,
    oversize: async () => ack,
  });
  const port = await listener.listen();
  return { port, close: () => listener.close(1000) };
}

async function onServer(label: string, adminUrl: string): Promise<void> {
  const db = await freshDatabase(adminUrl);
  const sql = connect(db.url, { max: 16 });
  await migrate(sql);
  const gw = await gateway(sql);
  const echo = await echoListener();
  console.log(`\n### ${label}  (${SECONDS}s per run; ORU^R01 ${TEMPLATE.length} bytes; ${cpus().length} cores)`);
  console.log('| connections | ingest msg/s | p50 / p99 ms | baseline, bare table: commits/s, p50 ms | ratio | baseline, inbox-shaped table: commits/s, p50 ms | ratio | MLLP round trip alone, p50 ms | machine CPU per message, µs: ingest / bare baseline |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const ratios = new Map<number, number>();
  const floors: string[] = [];
  for (const n of [1, 4, 16]) {
    const bare = await withCpu(() => baseline(db.url, n, 'bare'));
    const same = await baseline(db.url, n, 'inbox');
    const g = await withCpu(() => ingest(gw.port, n, `${label}-${n}`));
    const e = await withCpu(() => ingest(echo.port, n, `echo-${n}`));
    ratios.set(n, g.rate / bare.rate);
    console.log(`| ${n} | ${fmt(g.rate)} | ${fmt(g.p50, 2)} / ${fmt(g.p99, 2)} | ${fmt(bare.rate)}, ${fmt(bare.p50, 2)} | ${fmt(g.rate / bare.rate, 2)}x | ${fmt(same.rate)}, ${fmt(same.p50, 2)} | ${fmt(g.rate / same.rate, 2)}x | ${fmt(e.p50, 2)} | ${fmt(g.cpuUs)} / ${fmt(bare.cpuUs)} |`);
    // 1 connection: a sender waits for each ACK, so no gateway can beat the baseline's commit plus
    // one MLLP round trip; 16: the machine's cores spent at the CPU cost per message measured above
    if (n === 1) floors.push(`1 connection: the baseline's commit plus one MLLP round trip allows at most ${fmt(bare.p50 / (bare.p50 + e.p50), 2)}x (p50s) with zero gateway work`);
    if (n === 16) floors.push(`16 connections: ${cpus().length} cores at ${fmt(g.cpuUs)} µs of machine CPU per ingested message (the senders and MLLP alone, the echo run: ${fmt(e.cpuUs)} µs) allow at most ${fmt((cpus().length * 1e6) / g.cpuUs)} msg/s = ${fmt((cpus().length * 1e6) / g.cpuUs / bare.rate, 2)}x the baseline`);
  }
  const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
  console.log(`\ngoals vs the bare-table baseline: >= 0.80x at 1 connection: ${met(ratios.get(1)! >= 0.8)}; >= 1.5x at 16 connections: ${met(ratios.get(16)! >= 1.5)}`);
  console.log(`ceilings on this machine (same run): ${floors.join('; ')}`);
  await echo.close();
  const paced = await ingest(gw.port, 4, `${label}-paced`, 200);
  console.log(`steady 200 msg/s over 4 connections: ${fmt(paced.rate)} msg/s, ACK latency p50 ${fmt(paced.p50, 2)} ms, p99 ${fmt(paced.p99, 2)} ms (goal p99 < 20 ms: ${paced.p99 < 20 ? 'met' : 'NOT met'})`);
  await gw.close();
  await sql.end();
  await db.drop();
}

async function machineUrl(): Promise<string | undefined> {
  const url = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} });
  try { await sql`SELECT 1`; return url; } catch { return undefined; } finally { await sql.end({ timeout: 1 }).catch(() => {}); }
}

export async function run(): Promise<void> {
  const machine = await machineUrl();
  if (machine) await onServer('machine PostgreSQL', machine);
  else console.log('\n(machine PostgreSQL not reachable: skipped)');
  const embedded = await startEmbedded('.bench-pg', 0, silentLogger);
  try {
    await onServer('embedded PostgreSQL', embedded.url);
  } finally {
    await embedded.stop();
  }
}
