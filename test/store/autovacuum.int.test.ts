// The gateway says at start when the database will not analyze the tables every message grows: a
// plan made while such a table was small would keep reading all of it (src/store/open.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { GROWING_TABLES, openStore, warnIfNoAutovacuum } from '../../src/store/open.js';
import { createLogger } from '../../src/obs/log.js';
import { adminUrl, createTestDatabase, type TestDatabase } from '../support/db.js';

let db: TestDatabase;
let owner: postgres.Sql;

beforeAll(async () => {
  db = await createTestDatabase();
  owner = postgres(Object.assign(new URL(adminUrl()), { pathname: new URL(db.url).pathname }).toString(), { max: 1, onnotice: () => {} });
});

afterAll(async () => {
  await owner?.end();
  await db.drop();
});

/** The warnings warnIfNoAutovacuum gives for the test's database. */
async function warnings(): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  await warnIfNoAutovacuum(db.sql, createLogger('info', (l) => lines.push(l)));
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('autovacuum at start', () => {
  it('follows the server setting', async () => {
    const [s] = await owner<{ on: boolean }[]>`SELECT current_setting('autovacuum') = 'on' AND current_setting('track_counts') = 'on' AS on`;
    const server = (await warnings()).filter((w) => w.setting !== 'autovacuum_enabled');
    expect(server).toEqual(s!.on ? [] : [expect.objectContaining({ level: 'warn', event: 'db_autovacuum_off' })]);
  });

  it('names a growing table whose autovacuum is off, and only while it is', async () => {
    await owner`ALTER TABLE inbox SET (autovacuum_enabled = off)`;
    await owner`ALTER TABLE delivery_run SET (autovacuum_enabled = 'false')`;
    expect((await warnings()).filter((w) => w.setting === 'autovacuum_enabled')).toEqual([
      expect.objectContaining({ level: 'warn', event: 'db_autovacuum_off', table: 'delivery_run' }),
      expect.objectContaining({ level: 'warn', event: 'db_autovacuum_off', table: 'inbox' }),
    ]);
    await owner`ALTER TABLE inbox SET (autovacuum_enabled = on)`;
    await owner`ALTER TABLE delivery_run RESET (autovacuum_enabled)`;
    expect((await warnings()).filter((w) => w.setting === 'autovacuum_enabled')).toEqual([]);
  });

  it('every growing table exists', async () => {
    const rows = await owner<{ t: string }[]>`SELECT relname::text AS t FROM pg_class WHERE relname = ANY(${[...GROWING_TABLES]}::text[]) AND relkind = 'r'`;
    expect(rows.map((r) => r.t).sort()).toEqual([...GROWING_TABLES].sort());
  });

  it('is said when the gateway opens its store', async () => {
    await owner`ALTER TABLE fhir_resource SET (autovacuum_enabled = off)`;
    const lines: string[] = [];
    const store = await openStore({ DATABASE_URL: db.url, DATA_DIR: '/nonexistent', EMBEDDED_PG_PORT: 0, DB_POOL_MAX: 1 }, createLogger('info', (l) => lines.push(l)), { owner: true, migrate: false });
    await store.close();
    await owner`ALTER TABLE fhir_resource RESET (autovacuum_enabled)`;
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.event === 'db_autovacuum_off' && l.table !== undefined))
      .toEqual([expect.objectContaining({ level: 'warn', table: 'fhir_resource' })]);
  });
});
