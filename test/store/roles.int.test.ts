// Least privilege on an external database: migrations as the admin (DATABASE_ADMIN_URL), the runtime
// as an app role granted rows only at the end of each migrate run. What the app role cannot do is
// tried, each refused with insufficient_privilege; what the gateway needs is tried, each working.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { openStore, type Store } from '../../src/store/open.js';
import { listMigrations, migrate, MigrationPrivilegeError } from '../../src/store/migrate.js';
import { appRoleScript, grantAppRole, roleFacts } from '../../src/store/roles.js';
import { rekeyStoredResources } from '../../src/store/id-key.js';
import { createLogger, silentLogger } from '../../src/obs/log.js';
import { runCli } from '../../src/cli/commands.js';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { adminUrl, createTestDatabase, ensureLoginRole, urlAs, type TestDatabase } from '../support/db.js';

const APP = `sb_roles_app_${randomBytes(4).toString('hex')}`;
const SCRIPTED = `sb_roles_script_${randomBytes(4).toString('hex')}`;
const PASSWORD = randomBytes(12).toString('hex');
let db: TestDatabase;
/** The owner's url of the test's database (under TEST_DB_ROLE=app db.url is the suite's runtime role; this suite makes its own roles). */
let dbUrl: string;
let store: Store;
let app: postgres.Sql;

beforeAll(async () => {
  db = await createTestDatabase({ migrate: false });
  dbUrl = Object.assign(new URL(adminUrl()), { pathname: new URL(db.url).pathname }).toString();
  const admin = postgres(dbUrl, { max: 1, onnotice: () => {} });
  await ensureLoginRole(admin, APP, PASSWORD);
  await admin.end();
  // the gateway's own path: migrations on DATABASE_ADMIN_URL, the pool on DATABASE_URL as the app role
  store = await openStore({ DATABASE_URL: urlAs(dbUrl, APP, PASSWORD), DATABASE_ADMIN_URL: dbUrl, DATA_DIR: '/nonexistent', EMBEDDED_PG_PORT: 0, DB_POOL_MAX: 2 }, silentLogger);
  app = postgres(urlAs(dbUrl, APP, PASSWORD), { max: 1, onnotice: () => {} });
});

afterAll(async () => {
  await app?.end();
  await store?.close();
  await db.drop();
  const a = postgres(adminUrl(), { max: 1, onnotice: () => {} });
  for (const r of [APP, SCRIPTED]) await a.unsafe(`DROP ROLE IF EXISTS ${r}`);
  await a.end();
});

/** The SQLSTATE a statement fails with, or 'ok'. */
async function outcome(sql: postgres.Sql, statement: string): Promise<string> {
  try {
    await sql.unsafe(statement);
    return 'ok';
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}

const DENIED = '42501'; // insufficient_privilege

describe('the app role (DATABASE_URL) after a migrate run as the admin', () => {
  it('is the runtime connection, and is neither superuser nor owner of anything', async () => {
    expect(store.applied.length).toBe(listMigrations().length);
    const f = await roleFacts(store.sql);
    expect(f).toEqual({ user: APP, superuser: false, createRole: false, ownedTables: 0 });
  });

  it.each([
    ['CREATE TABLE', 'CREATE TABLE intruder (id int)'],
    ['DROP a table', 'DROP TABLE inbox'],
    ['ALTER a table', 'ALTER TABLE inbox ADD COLUMN intruder text'],
    ['TRUNCATE', 'TRUNCATE inbox'],
    ['CREATE INDEX', 'CREATE INDEX intruder ON inbox (peer)'],
    ['CREATE FUNCTION', 'CREATE FUNCTION intruder() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$'],
    ['read pg_authid (password hashes)', 'SELECT rolpassword FROM pg_authid'],
    ['UPDATE the migration history', 'UPDATE schema_migrations SET name = name'],
    ['INSERT into the migration history', "INSERT INTO schema_migrations (version, name) VALUES (999, 'x')"],
    ['DELETE the migration history', 'DELETE FROM schema_migrations'],
    ['become the superuser', 'SET ROLE postgres'],
    ['create a role', 'CREATE ROLE intruder'],
    ['change server settings', "ALTER SYSTEM SET log_statement = 'none'"],
    ['read server files', "SELECT pg_read_file('postgresql.conf')"],
    ['run programs', "COPY inbox TO PROGRAM 'true'"],
    ['reset a sequence', "SELECT setval('inbox_id_seq', 1)"],
  ])('cannot %s', async (_what, statement) => {
    expect(await outcome(app, statement)).toBe(DENIED);
  });

  it('cannot create a database', async () => {
    expect(await outcome(app, 'CREATE DATABASE intruder')).toBe(DENIED);
  });

  it('can do what the gateway does: rows, sequences, the migration history read, LISTEN/NOTIFY, advisory locks', async () => {
    expect(await outcome(app, "INSERT INTO inbox (source, control_id, message_type, raw) VALUES ('http', 'ROLE1', 'ORU^R01', '\\x00')")).toBe('ok');
    expect(await outcome(app, "UPDATE inbox SET state = 'failed' WHERE control_id = 'ROLE1'")).toBe('ok');
    expect(await outcome(app, "DELETE FROM inbox WHERE control_id = 'ROLE1'")).toBe('ok');
    expect((await app<{ n: number }[]>`SELECT count(*)::int AS n FROM schema_migrations`)[0]!.n).toBe(listMigrations().length);
    expect(await outcome(app, 'SELECT pg_advisory_xact_lock(42)')).toBe('ok');
    // the trigger function on inbox runs for the app role's insert (EXECUTE granted)
    expect(await outcome(app, "SELECT inbox_hl7_content_hash('\\x00'::bytea)")).toBe('ok');
    const got: string[] = [];
    const l = await store.sql.listen('sb_roles_test', (p) => got.push(p));
    await app`SELECT pg_notify('sb_roles_test', 'hello')`;
    for (let i = 0; i < 50 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    await l.unlisten();
    expect(got).toEqual(['hello']);
  });

  it('can re-key stored resources (a temporary table in its transaction), as a gateway does once after an upgrade', async () => {
    await app`INSERT INTO fhir_resource (resource_type, id, resource) VALUES ('Patient', 'old-id', '{"resourceType":"Patient","id":"old-id"}')`;
    await app`UPDATE mapping_id_key SET rekey_pending = true`;
    const counts = await rekeyStoredResources(store.sql, (x) => x.replace('old-id', 'new-id'));
    expect(counts).toMatchObject({ resources: 1, rewritten: 1 });
    expect((await app<{ id: string }[]>`SELECT id FROM fhir_resource`).map((r) => r.id)).toEqual(['new-id']);
  });

  it('is granted the tables of a later migration in the run that creates them', async () => {
    const admin = postgres(dbUrl, { max: 1, onnotice: () => {} });
    try {
      const later = [...listMigrations(), { version: 990, name: '990_later', sql: 'CREATE TABLE later_table (id bigserial PRIMARY KEY, v text)' }];
      expect(await migrate(admin, later, { appRole: APP })).toEqual(['990_later']);
      expect(await outcome(app, "INSERT INTO later_table (v) VALUES ('x')")).toBe('ok');
      expect(await outcome(app, 'TRUNCATE later_table')).toBe(DENIED);
      // and by default privileges, a table the admin creates outside a migrate run
      await admin`CREATE TABLE adhoc_table (id int)`;
      expect(await outcome(app, 'INSERT INTO adhoc_table VALUES (1)')).toBe('ok');
      expect(await outcome(app, 'DROP TABLE adhoc_table')).toBe(DENIED);
    } finally {
      await admin.end();
    }
  });

  it('is left alone when its grants are current, and set right when they drifted (TRUNCATE granted by hand)', async () => {
    const admin = postgres(dbUrl, { max: 1, onnotice: () => {} });
    try {
      expect(await grantAppRole(admin, APP)).toBe(false);
      await admin.unsafe(`GRANT TRUNCATE ON delivery_event TO ${APP}`);
      expect(await outcome(app, 'TRUNCATE delivery_event')).toBe('ok');
      const later = [...listMigrations(), { version: 990, name: '990_later', sql: '' }];
      expect(await migrate(admin, later, { appRole: APP })).toEqual([]);
      expect(await outcome(app, 'TRUNCATE delivery_event')).toBe(DENIED);
      expect(await grantAppRole(admin, APP)).toBe(false);
    } finally {
      await admin.end();
    }
  });

  it('checks an up-to-date schema without DDL, and refuses pending migrations with a clear error', async () => {
    const current = [...listMigrations(), { version: 990, name: '990_later', sql: '' }];
    expect(await migrate(app, current)).toEqual([]);
    const pending = [...current, { version: 991, name: '991_pending', sql: 'CREATE TABLE pending_table (id int)' }];
    const e = await migrate(app, pending).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MigrationPrivilegeError);
    expect(e).toMatchObject({ code: 'ERR_DB_MIGRATION_PRIVILEGE', pending: ['991_pending'], role: APP });
  });
});

describe('switchboard db roles --print', () => {
  it('gives a role made by an admin the same rows-only privileges', async () => {
    const admin = postgres(dbUrl, { max: 1, onnotice: () => {} });
    try {
      await admin.unsafe(appRoleScript(SCRIPTED, { owner: 'postgres' }));
      const [p] = await admin<{ sel: boolean; ins: boolean; trunc: boolean; hist: boolean; create: boolean; su: boolean; seq: boolean }[]>`
        SELECT has_table_privilege(${SCRIPTED}, 'delivery_run', 'SELECT') AS sel,
               has_table_privilege(${SCRIPTED}, 'delivery_run', 'INSERT') AS ins,
               has_table_privilege(${SCRIPTED}, 'delivery_run', 'TRUNCATE') AS trunc,
               has_table_privilege(${SCRIPTED}, 'schema_migrations', 'UPDATE') AS hist,
               has_schema_privilege(${SCRIPTED}, 'public', 'CREATE') AS create,
               (SELECT rolsuper FROM pg_roles WHERE rolname = ${SCRIPTED}) AS su,
               has_sequence_privilege(${SCRIPTED}, 'inbox_id_seq', 'USAGE') AS seq`;
      expect(p).toEqual({ sel: true, ins: true, trunc: false, hist: false, create: false, su: false, seq: true });
    } finally {
      await admin.end();
    }
  });
});

describe('the command and the settings', () => {
  const run = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(argv, { stdout: (x) => out.push(x), stderr: (x) => err.push(x) });
    return { code, out: out.join(''), err: err.join('') };
  };

  it('db roles --print prints the script for the named role; a bad name or no --print is a usage error (exit 2)', async () => {
    const ok = await run('db', 'roles', '--print', '--role', 'gw_runtime', '--owner', 'gw_owner');
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "public" TO "gw_runtime";');
    expect(ok.out).toContain('ALTER DEFAULT PRIVILEGES FOR ROLE "gw_owner" IN SCHEMA "public"');
    expect(ok.out).not.toMatch(/PASSWORD\s+'/);
    expect(await run('db', 'roles', '--print', '--role', 'x"; DROP TABLE inbox; --')).toMatchObject({ code: 2, out: '' });
    expect((await run('db', 'roles')).code).toBe(2);
  });

  it('DATABASE_APP_ROLE must be a plain identifier; DATABASE_ADMIN_URL a URL', () => {
    expect(loadConfig({ DATABASE_APP_ROLE: 'gw_runtime', DATABASE_ADMIN_URL: 'postgres://owner@db/sb' })).toMatchObject({ DATABASE_APP_ROLE: 'gw_runtime' });
    expect(() => loadConfig({ DATABASE_APP_ROLE: 'Robert"); DROP' })).toThrow(ConfigError);
    expect(() => loadConfig({ DATABASE_ADMIN_URL: 'not a url' })).toThrow(ConfigError);
  });
});

describe('a single DATABASE_URL', () => {
  it('warns at start when the runtime role is a superuser', async () => {
    const lines: string[] = [];
    const s = await openStore({ DATABASE_URL: dbUrl, DATA_DIR: '/nonexistent', EMBEDDED_PG_PORT: 0, DB_POOL_MAX: 1 }, createLogger('info', (l) => lines.push(l)), { owner: true });
    await s.close();
    const warned = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.event === 'db_runtime_role_privileged');
    expect(warned).toEqual([expect.objectContaining({ level: 'warn', setting: 'DATABASE_URL', mode: 'superuser' })]);
  });

  it('says nothing when it is the app role', async () => {
    const lines: string[] = [];
    const s = await openStore({ DATABASE_URL: urlAs(dbUrl, APP, PASSWORD), DATA_DIR: '/nonexistent', EMBEDDED_PG_PORT: 0, DB_POOL_MAX: 1 }, createLogger('info', (l) => lines.push(l)), { owner: true });
    await s.close();
    expect(lines.filter((l) => l.includes('db_runtime_role_privileged'))).toEqual([]);
  });
});
