// Composition root: store, intake, MLLP and HTTP listeners, processing worker. Graceful shutdown
// stops accepting, lets in-flight messages commit and answer, then closes the store.
import { readFileSync } from 'node:fs';
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import type { Config } from './config/index.js';
import { createMetrics, type Logger, type Metrics } from './obs/index.js';
import { openStore, type Store } from './store/index.js';
import { AppAckRouter, Hl7Intake, InboxWorker, InboxWriter } from './ingest/index.js';
import { MllpListener } from './hl7/index.js';
import { createApp } from './http/index.js';
import { loadOrCreateLocalKey, TokenVerifier, type TrustedIssuer } from './auth/index.js';
import { DEFAULT_SITE_CONFIG, parseSiteConfig, type SiteConfig } from './mapping/index.js';
import { ScheduleService, refreshScheduleView, seedScheduleFromFile } from './oncall/index.js';
import { prepareResourceIds } from './resource-ids.js';

/** How often the schedule's FHIR view is rebuilt: a quarter day, well inside its 14-day horizon. */
const SCHEDULE_VIEW_REFRESH_MS = 6 * 3_600_000;

export interface Gateway {
  httpPort: number;
  mllpPort: number;
  store: Store;
  metrics: Metrics;
  close(): Promise<void>;
}

export interface GatewayOptions {
  /** run the processing worker in this process (default true) */
  worker?: boolean;
}

export async function startGateway(config: Config, log: Logger, opts: GatewayOptions = {}): Promise<Gateway> {
  if (config.DEV_NO_AUTH) log.warn('DEV_NO_AUTH_IS_ON_every_api_route_is_open_do_not_use_with_real_data', { setting: 'DEV_NO_AUTH' });
  if (!config.MLLP_TLS_CERT) log.warn('mllp_plaintext_use_tls_or_a_vpn_for_phi_on_any_network', { setting: 'MLLP_TLS_CERT' });
  const siteConfig = loadSiteConfig(config);
  const store = await openStore(config, log, { name: 'switchboard-gateway', owner: true });
  // a start that fails half way (a port in use, a bad schedule file) must not leave the embedded
  // server or open connections behind, or the process would hang instead of exiting
  const undo: (() => Promise<void>)[] = [() => store.close()];
  try {
    return await startOnStore(config, log, opts, siteConfig, store, undo);
  } catch (e) {
    for (const u of undo.reverse()) await u().catch(() => {});
    throw e;
  }
}

async function startOnStore(config: Config, log: Logger, opts: GatewayOptions, siteConfig: SiteConfig, store: Store, undo: (() => Promise<void>)[]): Promise<Gateway> {
  // before anything maps: the installation's id key, and the one-time re-keying of older resources
  const idKey = await prepareResourceIds(store.sql, { ...idKeyPin(config), config: siteConfig, log });
  if (config.SCHEDULE_FILE) {
    // only when nothing is stored yet: a restart never undoes an edit made through the API
    const seeded = await seedScheduleFromFile(store.sql, config.SCHEDULE_FILE, new Date());
    if (!seeded.ok) throw new Error(`SCHEDULE_FILE: ${seeded.error.message}`);
  }
  const schedules = new ScheduleService({ sql: store.sql });
  await schedules.start();
  undo.push(() => schedules.stop());
  // keep the published Slots (14 days ahead) from running out while nobody edits the schedule
  const refreshView = () => refreshScheduleView(store.sql, new Date()).catch((e: unknown) => log.warn('schedule_view_refresh_failed', { errorCode: (e as { code?: string }).code }));
  await refreshView();
  const viewTimer = setInterval(() => void refreshView(), SCHEDULE_VIEW_REFRESH_MS).unref();
  undo.push(async () => clearInterval(viewTimer));
  const metrics = createMetrics({ defaults: true });
  const workers: InboxWorker[] = [];
  const writer = new InboxWriter(store.sql, {
    maxBatch: config.INGEST_BATCH_MAX, maxInFlight: config.INGEST_MAX_IN_FLIGHT, onBatch: (n) => metrics.batchSize.observe(n), onInserted: () => workers.forEach((w) => w.poke()),
  });
  const appAcks = new AppAckRouter();
  const intake = new Hl7Intake({ sql: store.sql, writer, metrics, log, appName: config.APP_NAME, appAcks, rejectedMaxRows: config.REJECTED_MAX_ROWS });
  const verifier = config.DEV_NO_AUTH ? null : new TokenVerifier(await loadOrCreateLocalKey(config.DATA_DIR), config.AUTH_AUDIENCE, parseIssuers(config.AUTH_ISSUERS));

  const mllp = new MllpListener({
    host: config.MLLP_HOST, port: config.MLLP_PORT, maxFrameBytes: config.MLLP_MAX_FRAME_BYTES,
    idleTimeoutMs: config.MLLP_IDLE_TIMEOUT_MS, frameTimeoutMs: config.MLLP_FRAME_TIMEOUT_MS, maxConnections: config.MLLP_MAX_CONNECTIONS, log,
    ...(config.MLLP_TLS_CERT && config.MLLP_TLS_KEY ? { tls: { certFile: config.MLLP_TLS_CERT, keyFile: config.MLLP_TLS_KEY, ...(config.MLLP_TLS_CA ? { caFile: config.MLLP_TLS_CA } : {}) } } : {}),
  }, intake.mllpHandlers(config.MLLP_MAX_FRAME_BYTES));
  const mllpPort = await mllp.listen();
  undo.push(() => mllp.close(1000));
  const connGauge = setInterval(() => metrics.mllpConnections.set(mllp.connectionCount), 5000).unref();

  const app = createApp({ sql: store.sql, intake, writer, metrics, log, verifier, maxHl7Bytes: config.HTTP_MAX_BODY_BYTES, schedules });
  const http = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, () => resolve(s));
    s.once('error', reject);
  });
  undo.push(() => new Promise<void>((r) => http.close(() => r())));
  const httpPort = (http.address() as AddressInfo).port;
  log.info('http_listening', { port: httpPort });

  if (opts.worker !== false) workers.push(...Array.from({ length: config.WORKER_CONCURRENCY }, () => new InboxWorker({
    sql: store.sql, config: siteConfig, log, metrics, claimMs: config.WORKER_CLAIM_MS, pollMs: config.WORKER_POLL_MS,
    maxAttempts: config.WORKER_MAX_ATTEMPTS, appName: config.APP_NAME, batch: 16, schedules, appAcks, idKey,
  })));
  undo.push(async () => { await Promise.all(workers.map((w) => w.stop())); });
  for (const w of workers) await w.start();

  let closing: Promise<void> | undefined;
  const close = () => (closing ??= (async () => {
    log.info('shutdown_started');
    clearInterval(connGauge);
    clearInterval(viewTimer);
    await Promise.all([
      mllp.close(),
      new Promise<void>((r) => {
        http.close(() => r());
        if ('closeIdleConnections' in http) http.closeIdleConnections();
        setTimeout(() => { if ('closeAllConnections' in http) http.closeAllConnections(); }, 5000).unref();
      }),
    ]);
    await Promise.all(workers.map((w) => w.stop()));
    await schedules.stop();
    await store.close();
    log.info('shutdown_complete');
  })());
  return { httpPort, mllpPort, store, metrics, close };
}

/** MAPPING_ID_KEY as the pin of the installation's id key (prepareResourceIds), when set. */
export function idKeyPin(config: Pick<Config, 'MAPPING_ID_KEY'>): { pinned?: Buffer } {
  return config.MAPPING_ID_KEY ? { pinned: Buffer.from(config.MAPPING_ID_KEY, 'hex') } : {};
}

export function loadSiteConfig(config: Config): SiteConfig {
  if (!config.SITE_CONFIG) return DEFAULT_SITE_CONFIG;
  return parseSiteConfig(readFileSync(config.SITE_CONFIG, 'utf8'), config.SITE_CONFIG);
}

function parseIssuers(json: string): TrustedIssuer[] {
  const v = JSON.parse(json) as unknown;
  if (!Array.isArray(v) || !v.every((i) => typeof i?.issuer === 'string' && typeof i?.jwksUri === 'string')) {
    throw new Error('AUTH_ISSUERS must be a JSON array of {issuer, jwksUri, audience?}');
  }
  return v as TrustedIssuer[];
}
