// Bearer-token verification per request: jose's full check (WebCrypto, its job on the libuv thread
// pool) beside the verified-token cache (a SHA-256 of the token, a map lookup, the revocation check),
// each alone and while the thread pool is kept busy (as file reads and password hashing keep it on a
// loaded gateway). Figures: mean per verification and the longest single one.
import { pbkdf2 } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { TokenVerifier, loadOrCreateLocalKey, mintLocalToken } from '../src/auth/index.js';
import { fmt } from './stats.js';

const N = Number(process.env.BENCH_TOKENS ?? 5_000);
/** With the pool busy a full check waits tens of ms: fewer of them. */
const N_BUSY = Number(process.env.BENCH_TOKENS_BUSY ?? 200);

async function measure(v: TokenVerifier, token: string, n = N): Promise<{ meanUs: number; maxMs: number }> {
  await v.verify(token);
  let max = 0;
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await v.verify(token);
    max = Math.max(max, performance.now() - t);
  }
  return { meanUs: ((performance.now() - start) / n) * 1000, maxMs: max };
}

/** Keeps every thread-pool thread busy with short jobs until stopped. */
function busyPool(): () => void {
  let on = true;
  const size = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  const job = (): void => { if (on) pbkdf2('x', 'y', 20_000, 32, 'sha256', job); };
  for (let i = 0; i < size * 2; i++) job();
  return () => { on = false; };
}

export async function run(): Promise<void> {
  const key = await loadOrCreateLocalKey(mkdtempSync(path.join(os.tmpdir(), 'sb-bench-token-')));
  const token = await mintLocalToken(key, { scopes: ['system/Communication.rs'], audience: 'switchboard', ttlSeconds: 3600 });
  const revocations = { isRevoked: () => false };
  const full = new TokenVerifier({ localKey: key, audience: 'switchboard', revocations, cacheSize: 0 });
  const cached = new TokenVerifier({ localKey: key, audience: 'switchboard', revocations });
  const rows: [string, { meanUs: number; maxMs: number }, { meanUs: number; maxMs: number }][] = [];
  rows.push(['thread pool idle', await measure(full, token), await measure(cached, token)]);
  const stop = busyPool();
  rows.push(['thread pool busy', await measure(full, token, N_BUSY), await measure(cached, token, N_BUSY)]);
  stop();
  console.log(`${fmt(N)} verifications of one ES256 token per figure (${fmt(N_BUSY)} with the pool busy); load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log('\n| thread pool | full check: mean µs | full: max ms | cached: mean µs | cached: max ms | mean ratio |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const [label, f, c] of rows) console.log(`| ${label} | ${fmt(f.meanUs, 1)} | ${fmt(f.maxMs, 2)} | ${fmt(c.meanUs, 2)} | ${fmt(c.maxMs, 2)} | ${fmt(f.meanUs / c.meanUs, 0)}x |`);
}
