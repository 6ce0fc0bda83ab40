import { loadConfig, ConfigError } from '../config/index.js';
import { createLogger } from '../obs/index.js';
import { idKeyPin, loadSiteConfig, startGateway } from '../gateway.js';
import { prepareResourceIds } from '../resource-ids.js';
import { openStore } from '../store/index.js';
import type { Io } from './main.js';

export async function serveCommand(_argv: string[], io: Io): Promise<number> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) { io.stderr(`${e.message}\n`); return 2; }
    throw e;
  }
  const log = createLogger(config.LOG_LEVEL);
  const gw = await startGateway(config, log);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info('signal_received', { signal });
      void gw.close().then(resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}

export async function migrateCommand(_argv: string[], io: Io): Promise<number> {
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL);
  const store = await openStore(config, log, { migrate: false });
  try {
    const { migrate } = await import('../store/migrate.js');
    const applied = await migrate(store.sql);
    io.stdout(applied.length ? `applied: ${applied.join(', ')}\n` : 'up to date\n');
    // the installation's resource-id key, and the one-time re-keying of resources stored before it
    await prepareResourceIds(store.sql, { ...idKeyPin(config), config: loadSiteConfig(config), log });
    return 0;
  } finally {
    await store.close();
  }
}
