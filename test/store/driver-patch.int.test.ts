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

/**
 * The patch also has Bind measure its parameters and size its message once, with Execute and Sync
 * written after it in the same buffer, and hands the first chunk of a write to the socket uncopied:
 * what travels must be exactly what was bound, whatever the parameters' sizes, encodings and mix.
 */
describe('postgres.js driver patch: Bind sized once', () => {
  let sql: ReturnType<typeof connect>;
  beforeAll(() => { sql = connect(db.url, { max: 2 }); });
  afterAll(async () => { await sql.end({ timeout: 1 }); });

  it('parameters of every size and encoding, nulls among them, come back as bound', async () => {
    const big = 'x'.repeat(3_000_000) + 'é';
    const wide = '漢字🙂é'.repeat(50_000);
    const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 256));
    const [row] = await sql<{ a: string | null; b: string; c: string; d: number; e: string | null; f: Buffer; g: string; lb: number; lc: number }[]>`
      SELECT ${null}::text AS a, ${big}::text AS b, ${wide}::text AS c, ${42}::int AS d, ${null}::text AS e, ${bytes}::bytea AS f,
             ${''}::text AS g, octet_length(${big}::text) AS lb, octet_length(${wide}::text) AS lc`;
    expect(row!.a).toBeNull();
    expect(row!.e).toBeNull();
    expect(row!.b).toBe(big);
    expect(row!.c).toBe(wide);
    expect(row!.d).toBe(42);
    expect(Buffer.compare(row!.f, bytes)).toBe(0);
    expect(row!.g).toBe('');
    expect(row!.lb).toBe(Buffer.byteLength(big));
    expect(row!.lc).toBe(Buffer.byteLength(wide));
  });

  it('many pipelined statements, small and large, each gets its own parameters back', async () => {
    const values = Array.from({ length: 300 }, (_, i) => (i % 7 === 0 ? 'ü'.repeat(20_000 + i) : `v${i}`));
    const got = await Promise.all(values.map((v, i) => sql<{ v: string; i: number }[]>`SELECT ${v}::text AS v, ${i}::int AS i`));
    got.forEach((rows, i) => {
      expect(rows[0]!.i).toBe(i);
      expect(rows[0]!.v).toBe(values[i]);
    });
  });

  it('a cursor (Bind followed by a partial Execute and Flush) reads every row in order', async () => {
    const pad = 'p'.repeat(100_000);
    const seen: number[] = [];
    await sql.begin(async (tx) => {
      for await (const rows of tx<{ n: number; l: number }[]>`SELECT n, octet_length(${pad}::text) AS l FROM generate_series(1, 250) n ORDER BY n`.cursor(40)) {
        for (const r of rows) {
          expect(r.l).toBe(pad.length);
          seen.push(r.n);
        }
      }
    });
    expect(seen).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
  });
});

/** The patch sends a bytea parameter given as bytes in binary format: the bytes must arrive unchanged, beside text parameters. */
describe('postgres.js driver patch: bytes as bytes', () => {
  let sql: ReturnType<typeof connect>;
  beforeAll(() => { sql = connect(db.url, { max: 1 }); });
  afterAll(async () => { await sql.end({ timeout: 1 }); });

  it('empty, small and large Buffers and a plain Uint8Array round-trip, with text and nulls between them', async () => {
    const large = Buffer.from(Array.from({ length: 2_500_000 }, (_, i) => (i * 7) % 256));
    const plain = new Uint8Array([0, 255, 92, 120, 48]); // NUL, 0xff, '\', 'x', '0': what hex text would have to escape
    const [row] = await sql<{ e: Buffer; s: Buffer; t: string; n: null; l: Buffer; p: Buffer; len: number; hex: string }[]>`
      SELECT ${Buffer.alloc(0)}::bytea AS e, ${Buffer.from([1, 2, 3])}::bytea AS s, ${'tëxt'}::text AS t, ${null}::bytea AS n,
             ${large}::bytea AS l, ${plain}::bytea AS p, octet_length(${large}::bytea) AS len, encode(${plain}::bytea, 'hex') AS hex`;
    expect(row!.e.length).toBe(0);
    expect([...row!.s]).toEqual([1, 2, 3]);
    expect(row!.t).toBe('tëxt');
    expect(row!.n).toBeNull();
    expect(Buffer.compare(row!.l, large)).toBe(0);
    expect([...row!.p]).toEqual([...plain]);
    expect(row!.len).toBe(large.length);
    expect(row!.hex).toBe('00ff5c7830');
  });

  it('bytes in a multi-row insert and in an unsafe statement are stored as given', async () => {
    await sql`CREATE TEMP TABLE IF NOT EXISTS patch_bytes (i int, b bytea, t text)`;
    const rows = Array.from({ length: 50 }, (_, i) => ({ i, b: Buffer.from(`row-${i}-\u0000-\\x`, 'utf8'), t: `t${i}` }));
    await sql`INSERT INTO patch_bytes ${sql(rows, 'i', 'b', 't')}`;
    await sql.unsafe('INSERT INTO patch_bytes (i, b, t) VALUES ($1, $2, $3)', [99, Buffer.from([9, 9]), 'u']);
    const back = await sql<{ i: number; b: Buffer; t: string }[]>`SELECT i, b, t FROM patch_bytes ORDER BY i`;
    expect(back).toHaveLength(51);
    back.slice(0, 50).forEach((r, i) => {
      expect(r.i).toBe(i);
      expect(Buffer.compare(r.b, rows[i]!.b)).toBe(0);
      expect(r.t).toBe(`t${i}`);
    });
    expect([...back[50]!.b]).toEqual([9, 9]);
  });
});

/**
 * A savepoint (`tx.savepoint(fn)`, the critical lane's step 1 runs in one) went out and was waited
 * for before fn's first statement was sent: a round trip of its own. Patched, fn starts at once and
 * its statements go out behind the SAVEPOINT, which the connection runs first; what it means is
 * unchanged.
 */
describe('postgres.js driver patch: a savepoint sent with its first statements', () => {
  let sql: ReturnType<typeof connect>;
  beforeAll(() => { sql = connect(db.url, { max: 1 }); });
  afterAll(async () => { await sql.end({ timeout: 1 }); });

  it('starts the scope without waiting for the SAVEPOINT\'s answer; its statements run inside it, a failure rolls back to it and the transaction goes on', async () => {
    const out = await sql.begin(async (tx) => {
      await tx`CREATE TEMP TABLE sp_t (v int)`;
      // a statement ahead of the savepoint on the same connection, still running when it is asked for
      let aheadDone = false;
      const ahead = tx`SELECT pg_sleep(0.2)`.then(() => { aheadDone = true; });
      let startedBeforeAhead: boolean | undefined;
      await tx.savepoint(async (sp) => {
        startedBeforeAhead = !aheadDone;
        await sp`INSERT INTO sp_t VALUES (1)`;
        // nested, failing: back to its own savepoint only
        await expect(sp.savepoint(async (inner) => { await inner`INSERT INTO sp_t VALUES (2)`; await inner`SELECT 1 / 0`; })).rejects.toThrow(/division by zero/);
      });
      await ahead;
      await expect(tx.savepoint(async (sp) => { await sp`INSERT INTO sp_t VALUES (3)`; await sp`SELECT 1 / 0`; })).rejects.toThrow(/division by zero/);
      await tx`INSERT INTO sp_t VALUES (4)`;
      return { startedBeforeAhead, rows: (await tx<{ v: number }[]>`SELECT v FROM sp_t ORDER BY v`).map((r) => r.v) };
    });
    expect(out.startedBeforeAhead).toBe(true);
    expect(out.rows).toEqual([1, 4]);
  });
});
