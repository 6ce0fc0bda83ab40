// The embedded default's roles and authentication: a fresh data folder gets an owner and an app role
// with generated passwords (0600), SCRAM-SHA-256 on loopback TCP only, and the gateway runs as the app
// role; a folder an older version made (cleartext `password` in pg_hba, an md5-stored password, tables
// owned by the superuser) is upgraded at start.
import { afterAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { EMBEDDED_APP_ROLE, EMBEDDED_OWNER_ROLE, PG_HBA, freePort, loadEmbeddedPostgres, startEmbedded, type EmbeddedServer } from '../../src/store/embedded.js';
import { openStore } from '../../src/store/open.js';
import { migrate } from '../../src/store/migrate.js';
import { loadConfig } from '../../src/config/index.js';
import { startGateway, type Gateway } from '../../src/gateway.js';
import { createLogger, silentLogger } from '../../src/obs/log.js';

/** The events a logger was given. */
function eventLog() {
  const lines: string[] = [];
  return { log: createLogger('info', (l) => lines.push(l)), events: () => lines.map((l) => (JSON.parse(l) as { event: string }).event) };
}

const dirs: string[] = [];
const servers: EmbeddedServer[] = [];
let gw: Gateway | undefined;
const tmp = (name: string) => {
  const d = mkdtempSync(path.join(os.tmpdir(), `sb-roles-${name}-`));
  dirs.push(d);
  return d;
};

afterAll(async () => {
  await gw?.close().catch(() => {});
  for (const s of servers.reverse()) await s.stop().catch(() => {});
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface State { port: number; password: string; ownerPassword: string; appPassword: string }
const stateOf = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'embedded-pg.json'), 'utf8')) as State;
const modeOf = (file: string) => statSync(file).mode & 0o777;

async function asSuperuser<T>(server: EmbeddedServer, fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(server.url, { max: 1, onnotice: () => {} });
  try {
    return await fn(sql);
  } finally {
    await sql.end();
  }
}

/** Every login role's stored password kind, and the auth methods of the loaded pg_hba rules. */
async function authState(server: EmbeddedServer) {
  return asSuperuser(server, async (sql) => ({
    passwords: Object.fromEntries((await sql<{ rolname: string; kind: string }[]>`
      SELECT rolname, split_part(rolpassword, '$', 1) AS kind FROM pg_authid WHERE rolcanlogin ORDER BY rolname`).map((r) => [r.rolname, r.kind.startsWith('md5') ? 'md5' : r.kind])),
    methods: [...new Set((await sql<{ auth_method: string }[]>`SELECT auth_method FROM pg_hba_file_rules`).map((r) => r.auth_method))],
    settings: Object.fromEntries((await sql<{ name: string; setting: string }[]>`
      SELECT name, setting FROM pg_settings WHERE name IN ('listen_addresses', 'unix_socket_directories', 'password_encryption')`).map((r) => [r.name, r.setting])),
  }));
}

/** Who owns what in the public schema: owner role -> count. */
const owners = (server: EmbeddedServer) => asSuperuser(server, async (sql) => Object.fromEntries((await sql<{ owner: string; n: number }[]>`
  SELECT pg_get_userbyid(relowner) AS owner, count(*)::int AS n FROM pg_class
   WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'S', 'v') GROUP BY 1`).map((r) => [r.owner, r.n])));


async function refused(url: string): Promise<string | undefined> {
  const sql = postgres(url, { max: 1, connect_timeout: 5, onnotice: () => {} });
  try {
    await sql`SELECT 1`;
    return undefined;
  } catch (e) {
    return (e as { code?: string }).code;
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

describe('a fresh embedded data folder', () => {
  const dir = tmp('fresh');

  it('creates the owner and app roles, SCRAM-SHA-256 on loopback only, passwords in a 0600 file', async () => {
    const first = eventLog();
    const store = await openStore({ DATA_DIR: dir, EMBEDDED_PG_PORT: 0, DB_POOL_MAX: 2 }, first.log, { owner: false });
    expect(first.events()).toContain('embedded_pg_hba_written');
    expect(first.events()).not.toContain('embedded_pg_auth_upgraded');
    expect(first.events()).not.toContain('embedded_pg_passwords_rehashed');
    const [me] = await store.sql<{ user: string; su: boolean }[]>`SELECT current_user AS user, rolsuper AS su FROM pg_roles WHERE rolname = current_user`;
    expect(me).toEqual({ user: EMBEDDED_APP_ROLE, su: false });
    await store.sql.end();
    const server = await startEmbedded(dir, 0, silentLogger); // adopts the server the store left running
    servers.push(server);

    const file = path.join(dir, 'embedded-pg.json');
    expect(modeOf(file)).toBe(0o600);
    const s = stateOf(dir);
    expect(new Set([s.password, s.ownerPassword, s.appPassword]).size).toBe(3);
    expect(readFileSync(path.join(dir, 'pg', 'pg_hba.conf'), 'utf8')).toBe(PG_HBA);
    const auth = await authState(server);
    expect(auth.passwords).toEqual({ postgres: 'SCRAM-SHA-256', [EMBEDDED_APP_ROLE]: 'SCRAM-SHA-256', [EMBEDDED_OWNER_ROLE]: 'SCRAM-SHA-256' });
    expect(auth.methods).toEqual(['scram-sha-256']);
    expect(auth.settings).toEqual({ listen_addresses: '127.0.0.1', unix_socket_directories: '', password_encryption: 'scram-sha-256' });
    expect(await owners(server)).toEqual({ [EMBEDDED_OWNER_ROLE]: expect.any(Number) });
    // a wrong password is refused (28P01), for every role
    for (const u of [server.url, server.ownerUrl, server.appUrl]) {
      const bad = new URL(u);
      bad.password = 'wrong-password';
      expect(await refused(bad.toString())).toBe('28P01');
    }
  }, 120_000);

  it('the app role may not create or drop tables; the owner may', async () => {
    const server = servers[0]!;
    const app = postgres(server.appUrl, { max: 1, onnotice: () => {} });
    const owner = postgres(server.ownerUrl, { max: 1, onnotice: () => {} });
    try {
      await expect(app`CREATE TABLE intruder (id int)`).rejects.toMatchObject({ code: '42501' });
      await expect(app`DROP TABLE inbox`).rejects.toMatchObject({ code: '42501' });
      await expect(app`SELECT rolpassword FROM pg_authid`).rejects.toMatchObject({ code: '42501' });
      await owner`CREATE TABLE owner_may (id int)`;
      await owner`DROP TABLE owner_may`;
      const [o] = await owner<{ su: boolean; cr: boolean; db: boolean }[]>`SELECT rolsuper AS su, rolcreaterole AS cr, rolcreatedb AS db FROM pg_roles WHERE rolname = current_user`;
      expect(o).toEqual({ su: false, cr: false, db: false });
    } finally {
      await app.end();
      await owner.end();
    }
  });

  it('the gateway started on the embedded default connects as the app role only', async () => {
    await servers.pop()!.stop();
    gw = await startGateway(loadConfig({ DATA_DIR: dir, PORT: '0', HOST: '127.0.0.1', MLLP_PORT: '0', MLLP_HOST: '127.0.0.1', WORKER_CONCURRENCY: '1' }), silentLogger);
    const [me] = await gw.store.sql<{ user: string; su: boolean }[]>`SELECT current_user AS user, rolsuper AS su FROM pg_roles WHERE rolname = current_user`;
    expect(me).toEqual({ user: EMBEDDED_APP_ROLE, su: false });
    // every session the gateway holds (pool, listeners, health pings: application_name switchboard-*), seen from the superuser
    const probe = await startEmbedded(dir, 0, silentLogger);
    const users = await asSuperuser(probe, async (sql) => (await sql<{ u: string }[]>`
      SELECT DISTINCT usename AS u FROM pg_stat_activity WHERE application_name LIKE 'switchboard%'`).map((r) => r.u));
    expect(users).toEqual([EMBEDDED_APP_ROLE]);
    await gw.close();
    gw = undefined;
  }, 120_000);
});

describe('an embedded data folder made by an older version', () => {
  const dir = tmp('old');

  it('is upgraded at start: SCRAM passwords and pg_hba, the roles, the schema handed to the owner, data kept', async () => {
    // what the previous version did: initdb --auth=password, `postgres` for everything, state {port, password}
    const password = 'old-style-superuser-password';
    const port = await freePort();
    const EmbeddedPostgres = await loadEmbeddedPostgres();
    const old = new EmbeddedPostgres({
      databaseDir: path.join(dir, 'pg'), user: 'postgres', password, port, persistent: true,
      createPostgresUser: process.getuid?.() === 0, postgresFlags: ['-c', 'listen_addresses=127.0.0.1'], onLog: () => {}, onError: () => {},
    });
    if (process.getuid?.() === 0) chmodSync(dir, 0o711); // the server's OS user must reach its data (as startEmbedded does)
    await old.initialise();
    await old.start();
    const su = postgres(`postgres://postgres:${password}@127.0.0.1:${port}/postgres`, { max: 1, onnotice: () => {} });
    try {
      await su`SET password_encryption = 'md5'`;
      await su.unsafe(`ALTER ROLE postgres PASSWORD '${password}'`);
      await migrate(su);
      await su`INSERT INTO inbox (source, control_id, message_type, raw) VALUES ('http', 'OLD1', 'ORU^R01', '\\x00')`;
      expect((await su<{ k: string }[]>`SELECT left(rolpassword, 3) AS k FROM pg_authid WHERE rolname = 'postgres'`)[0]!.k).toBe('md5');
    } finally {
      await su.end();
    }
    await old.stop();
    expect(readFileSync(path.join(dir, 'pg', 'pg_hba.conf'), 'utf8')).toMatch(/^host\s+all\s+all\s+127\.0\.0\.1\/32\s+password$/m);
    writeFileSync(path.join(dir, 'embedded-pg.json'), JSON.stringify({ port, password }), { mode: 0o644 });

    const upgrade = eventLog();
    const store = await openStore({ DATA_DIR: dir, EMBEDDED_PG_PORT: 0, DB_POOL_MAX: 2 }, upgrade.log, { owner: false });
    expect(upgrade.events()).toEqual(expect.arrayContaining(['embedded_pg_passwords_rehashed', 'embedded_pg_auth_upgraded']));
    try {
      const [me] = await store.sql<{ user: string }[]>`SELECT current_user AS user`;
      expect(me!.user).toBe(EMBEDDED_APP_ROLE);
      expect((await store.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM inbox WHERE control_id = 'OLD1'`)[0]!.n).toBe(1);
      await expect(store.sql`TRUNCATE inbox`).rejects.toMatchObject({ code: '42501' });
    } finally {
      await store.sql.end();
    }
    const server = await startEmbedded(dir, 0, silentLogger);
    servers.push(server);
    expect(server.port).toBe(port);
    expect(modeOf(path.join(dir, 'embedded-pg.json'))).toBe(0o600);
    expect(stateOf(dir)).toMatchObject({ port, password, ownerPassword: expect.any(String), appPassword: expect.any(String) });
    expect(readFileSync(path.join(dir, 'pg', 'pg_hba.conf'), 'utf8')).toBe(PG_HBA);
    const auth = await authState(server);
    expect(auth.passwords).toEqual({ postgres: 'SCRAM-SHA-256', [EMBEDDED_APP_ROLE]: 'SCRAM-SHA-256', [EMBEDDED_OWNER_ROLE]: 'SCRAM-SHA-256' });
    expect(auth.methods).toEqual(['scram-sha-256']);
    expect(await owners(server)).toEqual({ [EMBEDDED_OWNER_ROLE]: expect.any(Number) });
    // the owner can alter what the superuser created: later migrations will run
    const owner = postgres(server.ownerUrl, { max: 1, onnotice: () => {} });
    try {
      await owner`ALTER TABLE inbox ADD COLUMN owner_may text`;
      await owner`ALTER TABLE inbox DROP COLUMN owner_may`;
    } finally {
      await owner.end();
    }
  }, 180_000);
});
