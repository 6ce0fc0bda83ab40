// A command's database: the store opened as the gateway would open it (same config, migrations
// checked), used for one piece of work and closed whatever happens, so a command never leaves a
// connection open behind it.
import { loadConfig, type Config } from '../config/index.js';
import { createLogger } from '../obs/index.js';
import { openStore, type Store } from '../store/index.js';

/** Opens the store, runs `fn` with it and the config it was opened with, and closes the store. */
export async function withStore<T>(fn: (store: Store, config: Config) => Promise<T>, config: Config = loadConfig()): Promise<T> {
  const store = await openStore(config, createLogger('warn'), { name: 'switchboard-cli' });
  try {
    return await fn(store, config);
  } finally {
    await store.close();
  }
}
