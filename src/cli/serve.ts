import { loadConfig, ConfigError } from '../config/index.js';
import { createLogger } from '../obs/index.js';
import { idKeyPin, loadSiteConfig, startGateway, type Gateway } from '../gateway.js';
import { prepareResourceIds } from '../resource-ids.js';
import { encryptExisting, openStore } from '../store/index.js';
import { reindexSearchColumns } from '../fhir/index.js';
import type { Io } from './io.js';

/**
 * Error codes a log line may carry: ours and Node's (`ERR_*`), system errors (`ECONNRESET`),
 * PostgreSQL SQLSTATEs (`57P01`) and postgres.js's own. Any other `code` is logged as `other`: an
 * error's fields are not ours to vouch for, and a log line carries no PHI.
 */
const LOGGABLE_CODE = /^(?:ERR_[A-Z0-9_]{1,64}|E[A-Z0-9]{1,19}|[0-9A-Z]{5}|CONNECTION_[A-Z_]{1,30}|CONNECT_TIMEOUT|MAX_PARAMETERS_EXCEEDED|UNDEFINED_VALUE|SASL_SIGNATURE_MISMATCH|NOT_TAGGED_CALL|UNSAFE_TRANSACTION)$/;

export function loggableErrorCode(e: unknown): string | undefined {
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  if (code === undefined || code === null) return undefined;
  return typeof code === 'string' && LOGGABLE_CODE.test(code) ? code : 'other';
}

export async function serveCommand(_argv: string[], io: Io): Promise<number> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) { io.stderr(`${e.message}\n`); return 2; }
    throw e;
  }
  const log = createLogger(config.LOG_LEVEL);
  let resolveExit!: (code: number) => void;
  const exit = new Promise<number>((r) => { resolveExit = r; });
  const running: { gw?: Gateway } = {};
  let stopping = false;
  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    // never hang: whatever a close leaves open (a frozen database), the process ends with its code
    setTimeout(() => process.exit(code), CLOSE_DEADLINE_MS).unref();
    void (running.gw ? running.gw.close() : Promise.resolve()).catch(() => {}).then(() => resolveExit(code));
  };
  process.once('SIGTERM', () => { log.info('signal_received', { signal: 'SIGTERM' }); stop(0); });
  process.once('SIGINT', () => { log.info('signal_received', { signal: 'SIGINT' }); stop(0); });
  // a bug must not leave a half-working gateway behind: log (no message: it may quote data), exit 1
  process.on('uncaughtException', (e) => { log.error('uncaught_exception', { errorName: e?.name, errorCode: loggableErrorCode(e) }); stop(1); });
  process.on('unhandledRejection', (e) => { log.error('unhandled_rejection', { errorName: (e as Error)?.name, errorCode: loggableErrorCode(e) }); stop(1); });
  running.gw = await startGateway(config, log, { onFatal: () => stop(1) });
  if (stopping) await running.gw.close().catch(() => {}); // it failed while starting
  return exit;
}

/** Longest a shutdown may take before the process exits anyway, ms (in-flight grace is 10 s). */
const CLOSE_DEADLINE_MS = 20_000;

export async function migrateCommand(_argv: string[], io: Io): Promise<number> {
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL);
  // migrations as the owner (DATABASE_ADMIN_URL, the embedded owner role); what follows is rows only
  const store = await openStore(config, log, { name: 'switchboard-migrate' });
  try {
    const applied = store.applied;
    io.stdout(applied.length ? `applied: ${applied.join(', ')}\n` : 'up to date\n');
    // the installation's resource-id key, and the one-time re-keying of resources stored before it
    await prepareResourceIds(store.sql, { ...idKeyPin(config), config: loadSiteConfig(config), log });
    // values stored before encryption are sealed under the active PHI key (once)
    const sealed = await encryptExisting(store.sql);
    if (sealed > 0) io.stdout(`PHI values encrypted: ${sealed}\n`);
    // stored resources whose search columns an older version extracted become searchable now
    const reindexed = await reindexSearchColumns(store.sql, { onProgress: (done) => io.stdout(`search columns re-extracted so far: ${done} resources\n`) });
    if (reindexed > 0) io.stdout(`search columns re-extracted: ${reindexed} resources\n`);
    return 0;
  } finally {
    await store.close();
  }
}
