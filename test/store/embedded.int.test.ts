// The embedded default: a real PostgreSQL in DATA_DIR, started, adopted after a crash, never twice.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { startEmbedded, type EmbeddedServer } from '../../src/store/embedded.js';
import { openStore } from '../../src/store/open.js';
import { silentLogger } from '../../src/obs/log.js';

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
    const again = await startEmbedded(dir, 0, silentLogger);
    started.push(again);
    expect(again.adopted).toBe(true);
    expect(pidOf()).toBe(pid);
    const sql = postgres(again.url, { max: 1 });
    expect((await sql`SELECT 1 AS one`)[0]!.one).toBe(1);
    await sql.end();
  }, 60_000);

  it('starts cleanly after the server was stopped, on the same port and data', async () => {
    const before = started.pop()!;
    const { port } = before;
    await before.stop();
    const fresh = await startEmbedded(dir, 0, silentLogger);
    started.push(fresh);
    expect(fresh.adopted).toBe(false);
    expect(fresh.port).toBe(port);
    const sql = postgres(fresh.url, { max: 1 });
    expect((await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM schema_migrations`)[0]!.n).toBeGreaterThan(0);
    await sql.end();
  }, 60_000);
});
