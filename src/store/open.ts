// Opens the store the configuration names: DATABASE_URL, else the embedded server in DATA_DIR.
import type { Config } from '../config/index.js';
import type { Logger } from '../obs/index.js';
import { connect, type Sql } from './db.js';
import { startEmbedded } from './embedded.js';
import { migrate } from './migrate.js';

export interface Store {
  sql: Sql;
  url: string;
  embedded: boolean;
  close(): Promise<void>;
}

export async function openStore(config: Pick<Config, 'DATABASE_URL' | 'DATA_DIR' | 'EMBEDDED_PG_PORT' | 'DB_POOL_MAX'>, log: Logger, opts: { migrate?: boolean; name?: string; /** the gateway owns the embedded server: it stops one it adopted too */ owner?: boolean } = {}): Promise<Store> {
  const server = config.DATABASE_URL ? undefined : await startEmbedded(config.DATA_DIR, config.EMBEDDED_PG_PORT, log);
  const url = config.DATABASE_URL ?? server!.url;
  const sql = connect(url, { max: config.DB_POOL_MAX, ...(opts.name ? { name: opts.name } : {}) });
  if (opts.migrate !== false) {
    const applied = await migrate(sql);
    if (applied.length) log.info('migrations_applied', { count: applied.length });
  }
  return {
    sql, url, embedded: !!server,
    close: async () => {
      await sql.end({ timeout: 5 });
      // a CLI that found the gateway's server running leaves it running
      if (server && (!server.adopted || opts.owner)) await server.stop();
    },
  };
}
