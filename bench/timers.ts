// Timers in PostgreSQL: a well-kept job library or a table of our own? Each engine runs in its own
// process over its own fresh database, in the same run, on the same machine:
//   lateness: 10,000 timers due over 20 s; fire time minus due time, p50 / p99 / max
//   idle:     10,000 timers due in an hour, nothing due; the engine process's CPU (% of one core)
//             and the database transactions per second it causes (its polling)
// BENCH_TIMERS (default 10000), BENCH_IDLE_SECONDS (default 10), BENCH_SPREAD_SECONDS (default 20).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freshDatabase, adminUrl } from './db.js';
import { fmt, percentile } from './stats.js';

const N = Number(process.env.BENCH_TIMERS ?? 10_000);
const IDLE_S = Number(process.env.BENCH_IDLE_SECONDS ?? 10);
const SPREAD_S = Number(process.env.BENCH_SPREAD_SECONDS ?? 20);
const ENGINE = fileURLToPath(new URL('./timers-engine.ts', import.meta.url));

interface Config { label: string; engine: 'own' | 'graphile' | 'pgboss'; poll?: number; concurrency?: number; batch?: number }

const CONFIGS: Config[] = [
  { label: 'own table (due_at index, SKIP LOCKED, sleep until due, LISTEN/NOTIFY)', engine: 'own' },
  { label: 'graphile-worker 0.16, pollInterval 2 s (default), concurrency 10', engine: 'graphile', poll: 2000, concurrency: 10 },
  { label: 'graphile-worker 0.16, pollInterval 100 ms, concurrency 32', engine: 'graphile', poll: 100, concurrency: 32 },
  { label: 'pg-boss 10, pollingIntervalSeconds 2 (default), batchSize 100', engine: 'pgboss', poll: 2, batch: 100 },
  { label: 'pg-boss 10, pollingIntervalSeconds 0.5 (its minimum), batchSize 1000', engine: 'pgboss', poll: 0.5, batch: 1000 },
];

async function child(c: Config, url: string, mode: 'idle' | 'lateness'): Promise<Record<string, unknown>> {
  const opts = { mode, n: N, spreadS: SPREAD_S, idleS: IDLE_S, poll: c.poll, concurrency: c.concurrency, batch: c.batch };
  const p = spawn(process.execPath, ['--import', 'tsx', ENGINE, c.engine, url, JSON.stringify(opts)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  const code = await new Promise<number | null>((r) => p.once('exit', r));
  if (code !== 0) throw new Error(`${c.label}: engine exited ${code}`);
  return JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

async function measure(c: Config, mode: 'idle' | 'lateness'): Promise<Record<string, unknown>> {
  const db = await freshDatabase(adminUrl());
  try {
    return await child(c, db.url, mode);
  } finally {
    await db.drop();
  }
}

export async function run(): Promise<void> {
  console.log(`${fmt(N)} timers; lateness: due over ${SPREAD_S} s; idle: due in an hour, ${IDLE_S} s window. One engine at a time, each in its own process and database.`);
  console.log('\n| engine | lateness p50 / p99 / max (ms) | fired | idle CPU (% of a core) | idle DB transactions/s |');
  console.log('|---|---:|---:|---:|---:|');
  for (const c of CONFIGS) {
    const late = (await measure(c, 'lateness')).lateness as number[];
    const idle = await measure(c, 'idle');
    const s = [...late].sort((a, b) => a - b);
    console.log(`| ${c.label} | ${fmt(percentile(s, 50))} / ${fmt(percentile(s, 99))} / ${fmt(s.at(-1) ?? NaN)} | ${fmt(s.length)} | ${fmt(idle.cpuPct as number, 2)} | ${fmt(idle.xactPerS as number, 1)} |`);
  }
}
