// Opens the store the configuration names: DATABASE_URL, else the embedded server in DATA_DIR.
import type { Config } from '../config/index.js';
import type { Logger } from '../obs/index.js';
import { connect, DB_TIMEOUT_DEFAULTS, type ConnectOptions, type Sql } from './db.js';
import { StoreHealth } from './health.js';
import { startEmbedded } from './embedded.js';
import { migrate } from './migrate.js';

export interface Store {
  sql: Sql;
  url: string;
  embedded: boolean;
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
type StoreConfig = Pick<Config, 'DATABASE_URL' | 'DATA_DIR' | 'EMBEDDED_PG_PORT' | 'DB_POOL_MAX'> & Partial<Pick<Config, 'DB_CONNECT_TIMEOUT_MS' | 'DB_IDLE_TIMEOUT_MS'
  | 'DB_STATEMENT_TIMEOUT_MS' | 'DB_IDLE_IN_TRANSACTION_TIMEOUT_MS' | 'STORE_PING_INTERVAL_MS' | 'STORE_PING_TIMEOUT_MS'>>;

export async function openStore(config: StoreConfig, log: Logger, opts: { migrate?: boolean; name?: string; /** the gateway owns the embedded server: it stops one it adopted too */ owner?: boolean } = {}): Promise<Store> {
  let server = config.DATABASE_URL ? undefined : await startEmbedded(config.DATA_DIR, config.EMBEDDED_PG_PORT, log);
  const url = config.DATABASE_URL ?? server!.url;
  const d = DB_TIMEOUT_DEFAULTS;
  const timeouts: ConnectOptions = {
    connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS ?? d.connectTimeoutMs, idleTimeoutMs: config.DB_IDLE_TIMEOUT_MS ?? d.idleTimeoutMs,
    statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS ?? d.statementTimeoutMs, idleInTransactionTimeoutMs: config.DB_IDLE_IN_TRANSACTION_TIMEOUT_MS ?? d.idleInTransactionTimeoutMs,
  };
  const sql = connect(url, { max: config.DB_POOL_MAX, ...timeouts, ...(opts.name ? { name: opts.name } : {}) });
  const health = new StoreHealth(url, { intervalMs: config.STORE_PING_INTERVAL_MS ?? 250, timeoutMs: config.STORE_PING_TIMEOUT_MS ?? 500, log }, timeouts);
  if (opts.migrate !== false) {
    const applied = await migrate(sql);
    if (applied.length) log.info('migrations_applied', { count: applied.length });
  }
  return {
    sql, url, embedded: !!server, health,
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
              const next = await startEmbedded(config.DATA_DIR, port, log);
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
