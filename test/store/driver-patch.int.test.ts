// postgres.js 3.4.9 can end the process when the server drops a connection (a write scheduled
// with setImmediate runs after the socket is gone: `Cannot read properties of null (reading
// 'write')`). patches/postgres+3.4.9.patch guards that path; this runs the deterministic reproduction
// in a child process, so an unpatched driver shows up as a dead child, not a dead test runner.
// The second part fails connections while they start, through a TCP proxy (test/support/pg-proxy.ts).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, isUnavailable } from '../../src/store/db.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { PgProxy } from '../support/pg-proxy.js';

const SCRIPT = fileURLToPath(new URL('../support/driver-write-after-close.mjs', import.meta.url));

let db: TestDatabase;
beforeAll(async () => { db = await createTestDatabase({ migrate: false }); });
afterAll(async () => { await db.drop(); });

describe('postgres.js driver patch', () => {
  it('a query on a connection whose backend was terminated rejects (CONNECTION_CLOSED) instead of ending the process', async () => {
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [SCRIPT, db.url], { timeout: 20_000 }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
    });
    expect(stderr).not.toMatch(/reading 'write'/);
    expect(code).toBe(0);
    const result = JSON.parse(stdout.trim()) as { first: string; second: string; pooled: string; after: string };
    expect(['CONNECTION_CLOSED', 'ECONNRESET']).toContain(result.first);
    expect(result.second).not.toBe('ok');
    expect(['CONNECTION_CLOSED', 'ok']).toContain(result.pooled);
    expect(result.after).toBe('ok');
  });
});

/**
 * Every new postgres.js connection first fetches the array types; 3.4.9 drops that promise, so a
 * server that dies (or terminates the backend) while a connection starts turns into an unhandled
 * rejection — which ends the gateway (src/cli/serve.ts) — and a terminated start hands its stale
 * error to the next session's first query. patches/postgres+3.4.9.patch settles both.
 */
describe('postgres.js driver patch: a connection lost while it starts', () => {
  let proxy: PgProxy;
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => { unhandled.push(e); };
  beforeAll(async () => {
    proxy = await PgProxy.start(db.url);
    process.on('unhandledRejection', onUnhandled);
  });
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await proxy.close();
  });
  const settle = () => new Promise((r) => setTimeout(r, 100));
  const outcome = (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (isUnavailable(e) ? 'unavailable' : `other: ${(e as { code?: string }).code}`));

  it('reset during the array-type query: the waiting query is refused as unavailable, nothing escapes, the next connection works', async () => {
    proxy.mode = 'reset-at-types';
    proxy.failed = 0;
    proxy.failLimit = 1;
    const sql = connect(proxy.url(db.url), { max: 1 });
    try {
      expect(await outcome(sql`SELECT 1`)).toBe('unavailable');
      await settle();
      expect(unhandled).toEqual([]);
      // the next connection fetched the types: array parameters serialise
      const [row] = await sql<{ x: string[] }[]>`SELECT ${['a', 'b']}::text[] AS x`;
      expect(row!.x).toEqual(['a', 'b']);
      expect(proxy.failed).toBe(1);
    } finally {
      await sql.end({ timeout: 1 });
    }
  });

  it('backend terminated during the array-type query: the waiting query gets that error, the next runs, nothing escapes', async () => {
    proxy.mode = 'fatal-at-types';
    proxy.failed = 0;
    proxy.failLimit = 1;
    const sql = connect(proxy.url(db.url), { max: 1 });
    try {
      expect(await outcome(sql`SELECT 1`)).toBe('unavailable');
      expect(await outcome(sql`SELECT 1`)).toBe('ok');
      expect(await outcome(sql`SELECT 1`)).toBe('ok');
      await settle();
      expect(unhandled).toEqual([]);
      expect(proxy.failed).toBe(1);
    } finally {
      await sql.end({ timeout: 1 });
    }
  });

  it.each(['reset-at-types', 'fatal-at-types'] as const)('a server that keeps dying while connections start (%s): every query settles as unavailable and nothing escapes', async (mode) => {
    proxy.mode = mode;
    proxy.failed = 0;
    proxy.failLimit = Infinity;
    const sql = connect(proxy.url(db.url), { max: 3 });
    try {
      const results = await Promise.all(Array.from({ length: 12 }, () => outcome(sql`SELECT 1`)));
      expect(new Set(results)).toEqual(new Set(['unavailable']));
      await settle();
      expect(unhandled).toEqual([]);
      proxy.mode = 'pass';
      expect(await outcome(sql`SELECT 1`)).toBe('ok');
    } finally {
      await sql.end({ timeout: 1 });
    }
  });
});
