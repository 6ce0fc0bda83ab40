// An idle gateway's database transactions per second over a long window (pg_stat_database; backends
// flush their counts lazily, so short windows are noisy). Run as `node --import tsx bench/idle-xacts.ts`
// (BENCH_IDLE_SECONDS, default 30).
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../src/config/index.js';
import { startGateway } from '../src/gateway.js';
import { createLogger } from '../src/obs/index.js';

const IDLE_S = Number(process.env.BENCH_IDLE_SECONDS ?? 30);
const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-bench-idle-'));
const config = loadConfig({ DATA_DIR: path.join(dir, 'data'), PORT: '0', MLLP_PORT: '0', HOST: '127.0.0.1', MLLP_HOST: '127.0.0.1', VAPID_SUBJECT: 'off', PUBLIC_BASE_URL: 'https://switchboard.example' });
const gw = await startGateway(config, createLogger('error'));
try {
  await sleep(5_000);
  // backends flush their statistics at most once a second, idle ones later: a long window evens that out
  const xacts = async () => Number((await gw.store.sql<{ n: string }[]>`SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()`)[0]!.n);
  const x0 = await xacts();
  await sleep(IDLE_S * 1000);
  const x1 = await xacts();
  console.log(`idle gateway: ${((x1 - x0 - 1) / IDLE_S).toFixed(2)} database transactions/s over ${IDLE_S} s; load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
} finally {
  await gw.close();
}
