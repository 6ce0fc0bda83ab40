// The one database driver: postgres.js. SQL is SQL in tagged templates, parameterised by construction.
import postgres from 'postgres';

export type Sql = postgres.Sql;
export type TransactionSql = postgres.TransactionSql;

export interface ConnectOptions {
  max?: number;
  /** application_name, shown in pg_stat_activity */
  name?: string;
}

export function connect(url: string, opts: ConnectOptions = {}): Sql {
  return postgres(url, {
    max: opts.max ?? 10,
    onnotice: () => {},
    connection: { application_name: opts.name ?? 'switchboard' },
    // bigint ids (bigserial) come back as strings; we keep them as strings in the API
    types: {},
  });
}

/** True when the error means the database cannot be reached now (retry later), not a bad query. */
export function isUnavailable(e: unknown): boolean {
  const code = (e as { code?: string } | null)?.code;
  if (typeof code !== 'string') return false;
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT'].includes(code) ||
    code.startsWith('08') || // connection exception
    code === '57P01' || code === '57P02' || code === '57P03' || // admin shutdown, crash shutdown, cannot connect now
    code === '53300' // too many connections
  );
}

/** Readiness: resolves when the store answers a trivial query, rejects when it cannot be reached. */
export async function pingStore(sql: Sql): Promise<void> {
  await sql`SELECT 1`;
}
