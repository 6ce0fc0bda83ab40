// Opens the store the configuration names: DATABASE_URL, else the embedded server in DATA_DIR.
// Least privilege: migrations run on their own short-lived connection as the schema owner
// (DATABASE_ADMIN_URL; the embedded server's owner role), which ends by granting the app role its
// rows; the pool the gateway keeps is the runtime role's (DATABASE_URL; the embedded app role).
import type { Config } from '../config/index.js';
import type { Logger } from '../obs/index.js';
import { connect, DB_TIMEOUT_DEFAULTS, type ConnectOptions, type Sql } from './db.js';
import { StoreHealth } from './health.js';
import { EMBEDDED_APP_ROLE, startEmbedded } from './embedded.js';
import { migrate } from './migrate.js';
import { roleFacts } from './roles.js';
import { installKeyring, loadKeys, reloadKeyring, reloadKeysSync } from '../crypto/index.js';
import { PHI_KEYS_CHANNEL, phiKeysRegistered, registerPhiKeys } from './phi-keys.js';

export interface Store {
  sql: Sql;
  url: string;
  embedded: boolean;
  /** the migrations this open applied (none when migrate: false) */
  applied: string[];
  /** whether the store answers now; its background ping runs once started (the gateway does) */
  health: StoreHealth;
  /**
   * Embedded store only (a no-op otherwise): checks every second that the server runs, restarts one
   * that died, and calls onFatal when it cannot be brought back on its port — the process should then
   * exit non-zero for its supervisor to restart it. Returns the stop function.
   */
  watch(onFatal: (reason: string) => void): () => void;
  close(): Promise<void>;
}

/** Restart attempts for a dead embedded server (a killed postmaster's backends may hold its memory a moment). */
const EMBEDDED_RESTARTS = 5;
const EMBEDDED_WATCH_MS = 1_000;

/** The timeouts and the ping are optional here: a caller without them gets the defaults (DB_TIMEOUT_DEFAULTS). */
type StoreConfig = Pick<Config, 'DATABASE_URL' | 'DATA_DIR' | 'EMBEDDED_PG_PORT' | 'DB_POOL_MAX'> & Partial<Pick<Config, 'DATABASE_ADMIN_URL' | 'DATABASE_APP_ROLE' | 'DB_CONNECT_TIMEOUT_MS' | 'DB_IDLE_TIMEOUT_MS'
  | 'DB_STATEMENT_TIMEOUT_MS' | 'DB_IDLE_IN_TRANSACTION_TIMEOUT_MS' | 'STORE_PING_INTERVAL_MS' | 'STORE_PING_IDLE_INTERVAL_MS' | 'STORE_PING_TIMEOUT_MS'
  | 'PHI_KEYS' | 'PHI_KEY_FILE' | 'PHI_KMS_MODULE' | 'EMBEDDED_PG_SETTINGS'>>;

export async function openStore(config: StoreConfig, log: Logger, opts: { migrate?: boolean; name?: string; /** the gateway owns the embedded server: it stops one it adopted too */ owner?: boolean } = {}): Promise<Store> {
  let server = config.DATABASE_URL ? undefined : await startEmbedded(config.DATA_DIR, config.EMBEDDED_PG_PORT, log, config.EMBEDDED_PG_SETTINGS);
  const url = config.DATABASE_URL ?? server!.appUrl;
  const d = DB_TIMEOUT_DEFAULTS;
  const timeouts: ConnectOptions = {
    connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS ?? d.connectTimeoutMs, idleTimeoutMs: config.DB_IDLE_TIMEOUT_MS ?? d.idleTimeoutMs,
    statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS ?? d.statementTimeoutMs, idleInTransactionTimeoutMs: config.DB_IDLE_IN_TRANSACTION_TIMEOUT_MS ?? d.idleInTransactionTimeoutMs,
  };
  const sql = connect(url, { max: config.DB_POOL_MAX, ...timeouts, ...(opts.name ? { name: opts.name } : {}) });
  const health = new StoreHealth(url, {
    intervalMs: config.STORE_PING_INTERVAL_MS ?? 250, idleIntervalMs: config.STORE_PING_IDLE_INTERVAL_MS ?? 5_000, timeoutMs: config.STORE_PING_TIMEOUT_MS ?? 500, log,
  }, timeouts);
  let applied: string[] = [];
  try {
    if (opts.migrate !== false) {
      applied = await migrateAsOwner(config, server?.ownerUrl, sql, timeouts, log);
      if (applied.length) log.info('migrations_applied', { count: applied.length });
    }
    // a runtime role that can alter or drop the schema is said at every boot (README "Security")
    if (opts.owner && !server) await warnIfPrivileged(sql, log);
    // a database that never analyzes the tables every message grows is said at every boot (README "Operations")
    if (opts.owner) await warnIfNoAutovacuum(sql, log);
    // PHI keys before any value is read or written (fail closed): a key file is made only for a
    // database that has no keys registered yet, and the keys are checked against the registered ones
    const keys = await loadKeys(config, { mayCreate: !(await phiKeysRegistered(sql)), now: new Date() });
    await registerPhiKeys(sql, keys.keyring);
    installKeyring(keys.keyring, () => reloadKeysSync(config));
    // `keys rotate` (any process) says a key was added: seal under it from now on
    if (opts.owner) await sql.listen(PHI_KEYS_CHANNEL, () => { if (reloadKeyring()) log.info('phi_keys_reloaded', { keyId: keys.keyring.activeId }); });
    if (keys.created) log.info('phi_key_file_created', { keyId: keys.keyring.activeId });
  } catch (e) {
    await sql.end({ timeout: 1 }).catch(() => {});
    if (server && (!server.adopted || opts.owner)) await server.stop().catch(() => {});
    throw e;
  }
  return {
    sql, url, embedded: !!server, health, applied,
    watch: (onFatal) => {
      if (!server) return () => {};
      let restarting = false;
      const timer = setInterval(() => {
        if (restarting || !server || server.alive()) return;
        restarting = true;
        log.error('embedded_pg_died', { port: server.port });
        void (async () => {
          const port = server!.port;
          for (let attempt = 1; attempt <= EMBEDDED_RESTARTS; attempt++) {
            try {
              const next = await startEmbedded(config.DATA_DIR, port, log, config.EMBEDDED_PG_SETTINGS);
              server = next;
              // the pool keeps its URL: a server that came back on another port cannot be used
              if (next.port !== port) { onFatal('embedded_pg_moved'); return; }
              log.info('embedded_pg_restarted', { port, attempts: attempt });
              restarting = false;
              return;
            } catch (e) {
              log.warn('embedded_pg_restart_failed', { attempts: attempt, errorName: (e as Error)?.name });
              await new Promise((r) => setTimeout(r, 1000));
            }
          }
          onFatal('embedded_pg_unrecoverable');
        })();
      }, EMBEDDED_WATCH_MS);
      timer.unref();
      return () => clearInterval(timer);
    },
    close: async () => {
      const last = server;
      server = undefined; // the watch stops looking: this stop is no death
      await health.stop();
      await sql.end({ timeout: 5 });
      // a CLI that found the gateway's server running leaves it running
      if (last && (!last.adopted || opts.owner)) await last.stop();
    },
  };
}

/**
 * Runs the migrations on a connection of their own as the owner (DATABASE_ADMIN_URL, the embedded
 * owner role), granting the app role at the end; with a single URL, on the runtime pool (granting
 * DATABASE_APP_ROLE when set).
 */
async function migrateAsOwner(config: StoreConfig, embeddedOwnerUrl: string | undefined, runtime: Sql, timeouts: ConnectOptions, log: Logger): Promise<string[]> {
  const adminUrl = embeddedOwnerUrl ?? config.DATABASE_ADMIN_URL;
  if (adminUrl === undefined || adminUrl === config.DATABASE_URL) {
    return migrate(runtime, undefined, config.DATABASE_APP_ROLE ? { appRole: config.DATABASE_APP_ROLE } : {});
  }
  const admin = connect(adminUrl, { max: 1, ...timeouts, name: 'switchboard-migrate' });
  try {
    let appRole = embeddedOwnerUrl ? EMBEDDED_APP_ROLE : config.DATABASE_APP_ROLE;
    if (appRole === undefined) {
      // the runtime URL's own role, when it is another one than the owner's
      const [[rt], [ad]] = await Promise.all([runtime<{ u: string }[]>`SELECT current_user AS u`, admin<{ u: string }[]>`SELECT current_user AS u`]);
      if (rt!.u !== ad!.u) appRole = rt!.u;
    }
    const applied = await migrate(admin, undefined, appRole ? { appRole } : {});
    if (appRole) log.debug('db_app_role_granted', { setting: 'DATABASE_APP_ROLE' });
    return applied;
  } finally {
    await admin.end({ timeout: 2 });
  }
}

/**
 * The tables every message adds rows to. A statement's plan, kept per connection once it has run a
 * few times, is made for the table's size at that moment; an ANALYZE (autovacuum's) makes it again.
 * Planned while the table was small, a lookup by key stays a sequential scan until then: measured,
 * an UPDATE of three rows by primary key read 3,038 pages per call on a table grown from 20 to
 * 100,000 rows, 15 after an ANALYZE.
 */
export const GROWING_TABLES = [
  'inbox', 'fhir_resource', 'audit_event', 'audit_pending', 'delivery_run', 'delivery_notification', 'delivery_attempt', 'delivery_event',
] as const;

/** Warns when autovacuum cannot analyze the growing tables: off for the server, no statistics kept, or off for one of them. */
export async function warnIfNoAutovacuum(sql: Sql, log: Logger): Promise<void> {
  const [s] = await sql<{ autovacuum: boolean; counts: boolean; off: string[] }[]>`
    SELECT current_setting('autovacuum') = 'on' AS autovacuum, current_setting('track_counts') = 'on' AS counts,
      ARRAY(SELECT c.relname::text FROM pg_class c
            WHERE c.relname = ANY(${[...GROWING_TABLES]}::text[]) AND c.relnamespace = current_schema()::regnamespace
              AND EXISTS (SELECT FROM unnest(c.reloptions) o WHERE split_part(o, '=', 1) = 'autovacuum_enabled' AND NOT split_part(o, '=', 2)::boolean)
            ORDER BY c.relname) AS off`;
  if (!s!.autovacuum || !s!.counts) log.warn('db_autovacuum_off', { setting: s!.autovacuum ? 'track_counts' : 'autovacuum' });
  for (const table of s!.off) log.warn('db_autovacuum_off', { setting: 'autovacuum_enabled', table });
}

async function warnIfPrivileged(sql: Sql, log: Logger): Promise<void> {
  const f = await roleFacts(sql);
  if (f.superuser || f.createRole || f.ownedTables > 0) {
    log.warn('db_runtime_role_privileged', { setting: 'DATABASE_URL', mode: f.superuser ? 'superuser' : f.createRole ? 'createrole' : 'owner', count: f.ownedTables });
  }
}
