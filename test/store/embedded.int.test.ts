// The embedded default: a real PostgreSQL in DATA_DIR, started, adopted after a crash, never twice.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { startEmbedded, type EmbeddedServer } from '../../src/store/embedded.js';
import { openStore } from '../../src/store/open.js';
import { createLogger, silentLogger } from '../../src/obs/log.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-embedded-'));
const started: EmbeddedServer[] = [];

afterAll(async () => {
  for (const s of started.reverse()) await s.stop().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

const pidOf = () => Number(readFileSync(path.join(dir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);

describe('embedded PostgreSQL', () => {
  it('initialises a server in the data folder, migrates it and serves queries', async () => {
    const store = await openStore({ DATA_DIR: dir, EMBEDDED_PG_PORT: 0, DB_POOL_MAX: 2 }, silentLogger, { owner: false });
    const rows = await store.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM schema_migrations`;
    expect(rows[0]!.n).toBeGreaterThan(0);
    await store.sql.end();
    // not closed through store.close(): the server stays up, as after a SIGKILLed gateway
  }, 120_000);

  it('adopts the server a killed process left running instead of starting a second one', async () => {
    const pid = pidOf();
    const lines: string[] = [];
    const again = await startEmbedded(dir, 0, createLogger('info', (l) => lines.push(l)), [['max_wal_size', '2GB']]);
    started.push(again);
    expect(again.adopted).toBe(true);
    expect(pidOf()).toBe(pid);
    // EMBEDDED_PG_SETTINGS cannot reach a server already running: said, not silently dropped
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.event === 'embedded_pg_settings_not_applied'))
      .toEqual([expect.objectContaining({ level: 'warn', setting: 'EMBEDDED_PG_SETTINGS', count: 1 })]);
    const sql = postgres(again.url, { max: 1 });
    expect((await sql`SELECT 1 AS one`)[0]!.one).toBe(1);
    await sql.end();
  }, 60_000);

  it('starts cleanly after the server was stopped, on the same port and data', async () => {
    const before = started.pop()!;
    const { port } = before;
    await before.stop();
    const fresh = await startEmbedded(dir, 0, silentLogger, [['max_wal_size', '2GB'], ['checkpoint_timeout', '15min'], ['autovacuum_naptime', '5s']]);
    started.push(fresh);
    expect(fresh.adopted).toBe(false);
    expect(fresh.port).toBe(port);
    const sql = postgres(fresh.url, { max: 1 });
    expect((await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM schema_migrations`)[0]!.n).toBeGreaterThan(0);
    // the server it starts takes EMBEDDED_PG_SETTINGS, over the gateway's own defaults; the rest stay
    const shown = async (name: string) => (await sql.unsafe<{ v: string }[]>(`SELECT current_setting('${name}') AS v`))[0]!.v;
    expect(await shown('max_wal_size')).toBe('2GB');
    expect(await shown('checkpoint_timeout')).toBe('15min');
    expect(await shown('autovacuum_naptime')).toBe('5s');
    expect(await shown('listen_addresses')).toBe('127.0.0.1');
    await sql.end();
    // adopted again with the settings it was started with: nothing to warn about
    const lines: string[] = [];
    const same = await startEmbedded(dir, 0, createLogger('info', (l) => lines.push(l)), [['max_wal_size', '2GB'], ['checkpoint_timeout', '15min'], ['autovacuum_naptime', '5s']]);
    expect(same.adopted).toBe(true);
    expect(lines.filter((l) => l.includes('embedded_pg_settings_not_applied'))).toEqual([]);
  }, 60_000);

  it('a setting the server refuses fails the start with the server\'s reason, and leaves no server behind', async () => {
    const other = mkdtempSync(path.join(os.tmpdir(), 'sb-embedded-bad-'));
    try {
      await expect(startEmbedded(other, 0, silentLogger, [['max_wal_size', 'banana']]))
        .rejects.toThrow(/the embedded PostgreSQL did not start: invalid value for parameter "max_wal_size": "banana"/);
      expect(existsSync(path.join(other, 'pg', 'postmaster.pid'))).toBe(false);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  }, 60_000);
});
