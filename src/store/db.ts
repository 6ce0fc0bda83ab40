// The one database driver: postgres.js. SQL is SQL in tagged templates, parameterised by construction.
import postgres from 'postgres';

/** The code of the error a call gets while the store is known down (src/store/health.ts). */
export const STORE_DOWN = 'ERR_STORE_DOWN';

export type Sql = postgres.Sql;
export type TransactionSql = postgres.TransactionSql;

export interface ConnectOptions {
  max?: number;
  /** application_name, shown in pg_stat_activity */
  name?: string;
  /** Giving up on opening a connection, ms (postgres.js connect_timeout; its default is 30 s). */
  connectTimeoutMs?: number;
  /** A pooled connection unused this long is closed, ms (postgres.js idle_timeout; 0 = never). */
  idleTimeoutMs?: number;
  /** Server side, per connection: a statement running longer is cancelled (57014), ms; 0 = never. */
  statementTimeoutMs?: number;
  /** Server side, per connection: a session idle inside a transaction this long is ended (25P03), ms. */
  idleInTransactionTimeoutMs?: number;
}

/** The timeouts the gateway runs with unless configured (README "Configuration"). */
export const DB_TIMEOUT_DEFAULTS = {
  /** a reachable server answers a connect in milliseconds; 3 s covers a loaded one, not a frozen one */
  connectTimeoutMs: 3_000,
  /** idle pooled connections are closed after a minute: fewer server processes between bursts */
  idleTimeoutMs: 60_000,
  /** our longest statements (a claim, a FHIR transaction) take milliseconds; 30 s means something is wrong */
  statementTimeoutMs: 30_000,
  /** a transaction we left open (a bug, a stalled event loop) must not hold row locks for long */
  idleInTransactionTimeoutMs: 60_000,
} as const;

export function connect(url: string, opts: ConnectOptions = {}): Sql {
  const t = { ...DB_TIMEOUT_DEFAULTS, ...opts };
  return postgres(url, {
    max: opts.max ?? 10,
    onnotice: () => {},
    connect_timeout: t.connectTimeoutMs / 1000,
    ...(t.idleTimeoutMs > 0 ? { idle_timeout: t.idleTimeoutMs / 1000 } : {}),
    // reconnect delay after failed connects, s: postgres.js grows it to 20 s, which would hold a
    // recovered server unused that long. Callers stop calling while the store is known down
    // (health.ts), so a short cap cannot turn into a reconnect storm.
    backoff: (retries: number) => Math.min(0.05 * 2 ** retries, 1),
    // startup parameters: the server applies them to the session, so every connection has them
    connection: {
      application_name: opts.name ?? 'switchboard',
      statement_timeout: t.statementTimeoutMs,
      idle_in_transaction_session_timeout: t.idleInTransactionTimeoutMs,
    },
    // bigint ids (bigserial) come back as strings; we keep them as strings in the API
    types: {},
  });
}

const UNAVAILABLE_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH',
  'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT',
  STORE_DOWN, // src/store/health.ts: the store is known down, the call was not even tried
]);

/** True when the error means the database cannot be reached now (retry later), not a bad query. */
export function isUnavailable(e: unknown): boolean {
  const code = (e as { code?: string } | null)?.code;
  if (typeof code !== 'string') return false;
  return (
    UNAVAILABLE_CODES.has(code) ||
    code.startsWith('08') || // connection exception
    code === '57P01' || code === '57P02' || code === '57P03' || // admin shutdown, crash shutdown, cannot connect now
    code === '57P05' || code === '25P03' || // idle session / idle in transaction timeout: the session is gone
    code === '57014' || // statement timeout (or cancel): the server is too busy or blocked now
    code === '53300' // too many connections
  );
}

/** Readiness: resolves when the store answers a trivial query, rejects when it cannot be reached. */
export async function pingStore(sql: Sql): Promise<void> {
  await sql`SELECT 1`;
}
