// Composition root: store, intake, MLLP and HTTP listeners, processing worker. Graceful shutdown
// stops accepting, lets in-flight messages commit and answer, then closes the store.
import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import type { Config } from './config/index.js';
import { createMetrics, registerEventLoopDelay, type Logger, type Metrics } from './obs/index.js';
import { encryptExisting, openStore, type PriorityRange, type Store } from './store/index.js';
import { AppAckRouter, Hl7Intake, InboxWriter, SenderPolicy, invalidCidrs, loadSendersFile } from './ingest/index.js';
import { InboxWorker, MapPool, ProcessingThread, SharedLane, processingShares, type Lane, type ProcessingSetup } from './pipeline/index.js';
import { MllpListener } from './mllp/index.js';
import { createApp } from './http/index.js';
import { reindexSearchColumns } from './fhir/index.js';
import { DEFAULT_SITE_CONFIG, parseSiteConfig, type SiteConfig } from './mapping/index.js';
import { prepareResourceIds } from './resource-ids.js';
import { ScheduleService, WorkerJobs, limitsFromSettings, refreshScheduleView, seedScheduleFromFile } from './oncall/index.js';
import { DELIVERY_DEFAULTS, DeliveryService, type DeliveryConfig, type HoldDefaults } from './delivery/index.js';
import {
  LocalAccounts, ORGANIZATION_ID, OidcRelyingParty, Passkeys, RevocationList, SessionManager, TokenVerifier, cookieNames, loadOrCreateLocalKey, loadOrCreateSecretKey, localSignInEnabled,
  parseRoleMap, type LocalSignInDeps, type SignInDeps, type TrustedIssuer,
} from './auth/index.js';
import { AuditSealer, AuditWriter, appendAudit, auditKeys, configureAuditKey, startRetention } from './audit/index.js';
import { Keyring, loadKeyMaterial, phiKeyring, type KeyMaterial } from './crypto/index.js';

/** How often the schedule's FHIR view is rebuilt: a quarter day, well inside its 14-day horizon. */
const SCHEDULE_VIEW_REFRESH_MS = 6 * 3_600_000;

export interface Gateway {
  httpPort: number;
  mllpPort: number;
  store: Store;
  metrics: Metrics;
  /** the routine workers' threads, when they run in threads (PROCESSING_THREAD, PROCESSING_THREADS); empty otherwise */
  processing: ProcessingThread[];
  close(): Promise<void>;
}

export interface GatewayOptions {
  /** run the processing worker in this process (default true) */
  worker?: boolean;
  /** the routine workers in the processing thread (default: PROCESSING_THREAD); false: on the main thread with the critical lane */
  processingThread?: boolean;
  /**
   * Called once when the gateway cannot go on: a listener failed after it was listening, or the
   * embedded PostgreSQL died and could not be restarted. `switchboard serve` then closes and exits
   * non-zero, and the supervisor (systemd Restart=on-failure, Docker --restart) starts it again.
   */
  onFatal?: (reason: string) => void;
}

/** The package's version, named by the API documents (OpenAPI info, CapabilityStatement.software): package.json sits beside src/ and dist/. */
function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

export async function startGateway(config: Config, log: Logger, opts: GatewayOptions = {}): Promise<Gateway> {
  if (config.DEV_NO_AUTH) log.warn('DEV_NO_AUTH_IS_ON_every_api_route_is_open_do_not_use_with_real_data', { setting: 'DEV_NO_AUTH' });
  if (!config.MLLP_TLS_CERT) log.warn('mllp_plaintext_use_tls_or_a_vpn_for_phi_on_any_network', { setting: 'MLLP_TLS_CERT' });
  if (!config.HTTP_TLS_CERT !== !config.HTTP_TLS_KEY) throw new Error('HTTP_TLS_CERT and HTTP_TLS_KEY must be set together');
  if (!httpsServed(config)) log.warn('http_plaintext_use_http_tls_cert_or_an_https_public_base_url_behind_a_tls_proxy', { setting: 'PUBLIC_BASE_URL' });
  const siteConfig = loadSiteConfig(config);
  const senders = senderPolicy(config, log);
  const store = await openStore(config, log, { name: 'switchboard-gateway', owner: true });
  // a start that fails half way (a port in use, a bad schedule file) must not leave the embedded
  // server or open connections behind, or the process would hang instead of exiting
  const undo: (() => Promise<void>)[] = [() => store.close()];
  try {
    return await startOnStore(config, log, opts, siteConfig, senders, store, undo);
  } catch (e) {
    for (const u of undo.reverse()) await u().catch(() => {});
    throw e;
  }
}

async function startOnStore(config: Config, log: Logger, opts: GatewayOptions, siteConfig: SiteConfig, senders: SenderPolicy, store: Store, undo: (() => Promise<void>)[]): Promise<Gateway> {
  // sign-in settings are checked before anything starts (a bad role map stops the gateway here)
  const signIn = signInFrom(config, store.sql, log);
  // before anything maps: the installation's id key, and the one-time re-keying of older resources
  const idKey = await prepareResourceIds(store.sql, { ...idKeyPin(config), config: siteConfig, log });
  // values stored before encryption are sealed now, once, before anything reads or serves them
  const sealed = await encryptExisting(store.sql);
  if (sealed > 0) log.info('phi_existing_values_encrypted', { count: sealed });
  // schedule checks and iCalendar expansion run in a worker thread, never on the one answering MLLP/HTTP
  const limits = limitsFromSettings(config);
  const jobs = new WorkerJobs({ timeoutMs: limits.jobTimeoutMs });
  undo.push(() => jobs.close());
  // reloads of the stored schedule get their own worker, so routing never waits behind an import
  const loadJobs = new WorkerJobs({ timeoutMs: limits.jobTimeoutMs });
  undo.push(() => loadJobs.close());
  if (config.SCHEDULE_FILE) {
    // only when nothing is stored yet: a restart never undoes an edit made through the API
    const seeded = await seedScheduleFromFile(store.sql, config.SCHEDULE_FILE, new Date(), undefined, { jobs, limits });
    if (!seeded.ok) throw new Error(`SCHEDULE_FILE: ${seeded.error.message}`);
  }
  const schedules = new ScheduleService({ sql: store.sql, jobs, loadJobs, limits });
  await schedules.start();
  undo.push(() => schedules.stop());
  // keep the published Slots (14 days ahead) from running out while nobody edits the schedule
  const refreshView = () => refreshScheduleView(store.sql, new Date(), undefined, jobs).catch((e: unknown) => log.warn('schedule_view_refresh_failed', { errorCode: (e as { code?: string }).code }));
  await refreshView();
  const viewTimer = setInterval(() => void refreshView(), SCHEDULE_VIEW_REFRESH_MS).unref();
  undo.push(async () => clearInterval(viewTimer));
  const metrics = createMetrics({ defaults: true });
  const loopDelay = registerEventLoopDelay(metrics.registry);
  undo.push(async () => loopDelay.stop());
  // the audit chain's key before anything appends; retention purges hourly, one replica at a time
  configureAuditKey(auditKeys(config.AUDIT_HMAC_KEY, config.AUDIT_HMAC_OLD_KEYS).current);
  const audit = new AuditWriter(store.sql);
  undo.push(() => audit.idle());
  const sealer = new AuditSealer(store.sql, { log });
  sealer.start();
  undo.push(() => sealer.stop());
  const retention = startRetention(store.sql, { messageDays: config.MESSAGE_RETENTION_DAYS, fhirDays: config.FHIR_RETENTION_DAYS, auditDays: config.AUDIT_RETENTION_DAYS }, log);
  undo.push(() => retention.stop());
  const workers: InboxWorker[] = [];
  const processing: ProcessingThread[] = [];
  // rows stored (with their priorities: the lane sleeps through routine ones, the processing thread's
  // routine workers through those only the idle lane takes), or the store is back (all look)
  const pokeWorkers = (priorities?: PriorityRange) => {
    for (const w of workers) w.poke(priorities);
    for (const t of processing) t.poke(priorities);
  };
  const writer = new InboxWriter(store.sql, {
    maxBatch: config.INGEST_BATCH_MAX, maxInFlight: config.INGEST_MAX_IN_FLIGHT, onBatch: (n, s) => { metrics.batchSize.observe(n); metrics.ingestCommit.observe(s); }, onInserted: pokeWorkers,
  });
  let fatal = false;
  const onFatal = (reason: string) => {
    if (fatal) return;
    fatal = true;
    log.error('gateway_fatal', { code: reason });
    opts.onFatal?.(reason);
  };
  // the store's health: while it is down intake answers AE/CE and the API 503 at once
  store.health.start();
  undo.push(() => store.health.stop());
  const stopWatch = store.watch(onFatal);
  undo.push(async () => stopWatch());
  const delivery = await DeliveryService.open({ sql: store.sql, schedules, config: deliveryConfig(config), log, registry: metrics.registry });
  await delivery.start();
  undo.push(() => delivery.stop());
  // the store is back: rows and timers that waited through the outage (and NOTIFYs it swallowed)
  // are looked at now, not at the next poll
  store.health.onUp(() => {
    pokeWorkers();
    delivery.poke();
  });
  const appAcks = new AppAckRouter();
  const intake = new Hl7Intake({ sql: store.sql, writer, metrics, log, appName: config.APP_NAME, appAcks, rejectedMaxRows: config.REJECTED_MAX_ROWS, rejectedMaxBytes: config.REJECTED_MAX_BYTES, health: store.health, senders, triage: siteConfig });
  // rows an older search extractor wrote become searchable by every parameter before the API serves
  const reindexed = await reindexSearchColumns(store.sql, { onProgress: (done) => log.info('fhir_search_columns_reindexing', { count: done }) });
  if (reindexed > 0) log.info('fhir_search_columns_reindexed', { count: reindexed });
  const revocations = new RevocationList(store.sql, { log });
  await revocations.start();
  undo.push(() => revocations.stop());
  const verifier = config.DEV_NO_AUTH ? null : new TokenVerifier({
    localKey: await loadOrCreateLocalKey(config.DATA_DIR), audience: config.AUTH_AUDIENCE, issuers: parseIssuers(config.AUTH_ISSUERS),
    maxLifetimeS: config.AUTH_MAX_TOKEN_LIFETIME_S, revocations,
  });

  const mllp = new MllpListener({
    host: config.MLLP_HOST, port: config.MLLP_PORT, maxFrameBytes: config.MLLP_MAX_FRAME_BYTES,
    idleTimeoutMs: config.MLLP_IDLE_TIMEOUT_MS, frameTimeoutMs: config.MLLP_FRAME_TIMEOUT_MS, maxConnections: config.MLLP_MAX_CONNECTIONS, log,
    maxConnectionsPerAddress: config.MLLP_MAX_CONNECTIONS_PER_ADDRESS,
    onError: () => onFatal('mllp_listener_failed'),
    ...(config.MLLP_TLS_CERT && config.MLLP_TLS_KEY ? { tls: { certFile: config.MLLP_TLS_CERT, keyFile: config.MLLP_TLS_KEY, ...(config.MLLP_TLS_CA ? { caFile: config.MLLP_TLS_CA } : {}) } } : {}),
  }, intake.mllpHandlers(config.MLLP_MAX_FRAME_BYTES));
  const mllpPort = await mllp.listen();
  undo.push(() => mllp.close(1000));
  const connGauge = setInterval(() => metrics.mllpConnections.set(mllp.connectionCount), 5000).unref();

  const app = createApp({
    sql: store.sql, intake, writer, metrics, log, verifier, maxHl7Bytes: config.HTTP_MAX_BODY_BYTES, schedules, version: packageVersion(),
    publicBaseUrl: publicBaseUrl(config), hsts: httpsServed(config), health: store.health, delivery, trustProxy: config.TRUST_PROXY, audit,
    ...signIn,
  });
  const tls = config.HTTP_TLS_CERT && config.HTTP_TLS_KEY
    ? { createServer: createHttpsServer, serverOptions: { cert: readFileSync(config.HTTP_TLS_CERT), key: readFileSync(config.HTTP_TLS_KEY), minVersion: 'TLSv1.2' as const } }
    : {};
  const http = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST, ...tls }, () => resolve(s));
    s.once('error', reject);
  });
  undo.push(() => new Promise<void>((r) => http.close(() => r())));
  http.removeAllListeners('error');
  http.on('error', (e: NodeJS.ErrnoException) => {
    log.error('http_listener_failed', { errorCode: e.code });
    onFatal('http_listener_failed');
  });
  const httpPort = (http.address() as AddressInfo).port;
  log.info('http_listening', { port: httpPort, mode: config.HTTP_TLS_CERT ? 'https' : 'http' });

  // mapping runs in threads with a time budget per message, never on the thread answering MLLP/HTTP
  const mapper = opts.worker !== false ? new MapPool({ config: siteConfig, idKey, threads: config.MAP_THREADS, budgetMs: config.MAP_TIME_BUDGET_MS, log }) : undefined;
  if (mapper) undo.push(() => mapper.close());
  // the critical lane: one more worker taking only urgent rows (intake triage), a few at a time; the
  // routine workers leave those rows to it while it runs, so a critical result is never mapped and
  // saved inside a routine batch
  // the routine workers run in the processing thread (README "Processing"), beside a lane whose
  // state they read from shared memory; without it, here beside the lane itself
  if (opts.worker !== false) {
    const threaded = opts.processingThread ?? config.PROCESSING_THREAD;
    const shared = threaded ? new SharedLane() : undefined;
    const hold = holdSettings(config);
    const lane = new InboxWorker({
      sql: store.sql, config: siteConfig, log, metrics, claimMs: config.WORKER_CLAIM_MS, pollMs: config.WORKER_POLL_MS,
      maxAttempts: config.WORKER_MAX_ATTEMPTS, appName: config.APP_NAME, batch: 4, minPriority: 1, schedules, appAcks, delivery, hold, idKey, ...(mapper ? { mapper } : {}), inlineMaxBytes: config.MAP_INLINE_MAX_BYTES,
      ...(shared ? { onLaneState: (l: Lane) => shared.publish(l) } : {}),
    });
    workers.push(lane);
    if (shared) {
      const keys = await threadKeys(config);
      processingShares(config.WORKER_CONCURRENCY, config.PROCESSING_THREADS, availableParallelism()).forEach((concurrency, index) => processing.push(new ProcessingThread({
        setup: processingSetup(config, store, siteConfig, idKey, keys, limits, concurrency), log, metrics, lane: shared, appAcks, delivery, index,
        ...(store.embedded ? { lowerBackends: store.sql } : {}),
      })));
    } else {
      workers.push(...Array.from({ length: config.WORKER_CONCURRENCY }, () => new InboxWorker({
        sql: store.sql, config: siteConfig, log, metrics, claimMs: config.WORKER_CLAIM_MS, pollMs: config.WORKER_POLL_MS,
        maxAttempts: config.WORKER_MAX_ATTEMPTS, appName: config.APP_NAME, batch: config.WORKER_BATCH, gatherMs: config.WORKER_GATHER_MS, schedules, appAcks, delivery, hold, idKey, ...(mapper ? { mapper } : {}), inlineMaxBytes: config.MAP_INLINE_MAX_BYTES, lane,
      })));
    }
  }
  undo.push(async () => { await Promise.all([...workers.map((w) => w.stop()), ...processing.map((t) => t.stop())]); });
  for (const w of workers) await w.start();
  for (const t of processing) await t.start();

  let closing: Promise<void> | undefined;
  const close = () => (closing ??= (async () => {
    log.info('shutdown_started');
    stopWatch();
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
    // the processing threads finish their rounds, close their pools and exit before the store closes
    await Promise.all([...workers.map((w) => w.stop()), ...processing.map((t) => t.stop())]);
    await mapper?.close();
    await delivery.stop();
    await schedules.stop();
    await revocations.stop();
    await retention.stop();
    await audit.idle();
    await sealer.stop();
    await jobs.close();
    await loadJobs.close();
    await store.close();
    loopDelay.stop();
    log.info('shutdown_complete');
  })());
  return { httpPort, mllpPort, store, metrics, processing, close };
}

/** A processing thread's settings: the store's runtime connection and its workers' settings (README "Configuration"). */
function processingSetup(config: Config, store: Store, siteConfig: SiteConfig, idKey: Uint8Array, keys: KeyMaterial, limits: ReturnType<typeof limitsFromSettings>, concurrency: number): ProcessingSetup {
  return {
    // the workers' connections and the LISTENs of the workers, the schedule and the PHI keys
    db: {
      url: store.url, max: concurrency + 1, name: 'switchboard-processing',
      timeouts: {
        connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS, idleTimeoutMs: config.DB_IDLE_TIMEOUT_MS,
        statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS, idleInTransactionTimeoutMs: config.DB_IDLE_IN_TRANSACTION_TIMEOUT_MS,
      },
    },
    workers: {
      concurrency, batch: config.WORKER_BATCH, gatherMs: config.WORKER_GATHER_MS, claimMs: config.WORKER_CLAIM_MS, pollMs: config.WORKER_POLL_MS, maxAttempts: config.WORKER_MAX_ATTEMPTS,
      appName: config.APP_NAME, inlineMaxBytes: config.MAP_INLINE_MAX_BYTES, mapThreads: config.MAP_THREADS, mapBudgetMs: config.MAP_TIME_BUDGET_MS,
      nice: config.PROCESSING_NICE, youngMb: config.PROCESSING_YOUNG_MB,
    },
    siteConfig, idKey, keys, scheduleLimits: limits, route: true, hold: holdSettings(config),
    // a key file is read again after `keys rotate`; PHI_KEYS (the environment) never changes
    ...(config.PHI_KEYS ? {} : { keySource: { DATA_DIR: config.DATA_DIR, PHI_KEY_FILE: config.PHI_KEY_FILE, PHI_KMS_MODULE: config.PHI_KMS_MODULE } }),
    ...(config.AUDIT_HMAC_KEY ? { auditKeyHex: config.AUDIT_HMAC_KEY } : {}),
  };
}

/** The PHI keys for the processing thread, read again from their source and checked against the keyring the store installed (fail closed). */
async function threadKeys(config: Config): Promise<KeyMaterial> {
  const keys = await loadKeyMaterial(config);
  const same = JSON.stringify(new Keyring({ ...keys, random: () => Buffer.alloc(0) }).fingerprints()) === JSON.stringify(phiKeyring().fingerprints());
  if (!same) throw new Error('the PHI keys read for the processing thread differ from the keyring in use (was the key file changed during the start?)');
  return keys;
}

/** MAPPING_ID_KEY as the pin of the installation's id key (prepareResourceIds), when set. */
export function idKeyPin(config: Pick<Config, 'MAPPING_ID_KEY'>): { pinned?: Buffer } {
  return config.MAPPING_ID_KEY ? { pinned: Buffer.from(config.MAPPING_ID_KEY, 'hex') } : {};
}

/** What the workers need of delivery's settings to start a routine run held for its digest (startEscalations `hold`). */
function holdSettings(c: Config): HoldDefaults {
  const { startOfDay, maxAgeMs } = deliveryConfig(c);
  return { startOfDay, maxAgeMs };
}

function deliveryConfig(c: Config): DeliveryConfig {
  return {
    ...DELIVERY_DEFAULTS,
    maxAgeMs: c.DELIVERY_MAX_AGE_MS, startOfDay: c.DELIVERY_START_OF_DAY, renotifyMax: c.DELIVERY_RENOTIFY_MAX,
    maxAttempts: c.DELIVERY_MAX_ATTEMPTS, baseMs: c.DELIVERY_RETRY_BASE_MS, maxMs: c.DELIVERY_RETRY_MAX_MS,
    webhookTimeoutMs: c.WEBHOOK_TIMEOUT_MS, leaseMs: c.WEBHOOK_TIMEOUT_MS + 5_000,
    pollMs: c.DELIVERY_POLL_MS, stallMs: c.DELIVERY_STALL_MS, publicBaseUrl: publicBaseUrl(c),
    vapidSubject: c.VAPID_SUBJECT === 'off' ? null : c.VAPID_SUBJECT,
  };
}

/**
 * Who may send: SENDERS_FILE (checked at start; a bad file stops the gateway naming the file and the
 * path of the problem), else loopback senders only, or anyone with DEV_ALLOW_ANY_SENDER — both said
 * at every start.
 */
function senderPolicy(config: Config, log: Logger): SenderPolicy {
  const badProxies = invalidCidrs(config.TRUST_PROXY);
  if (badProxies.length) throw new Error(`TRUST_PROXY: ${badProxies.length} entr${badProxies.length === 1 ? 'y is' : 'ies are'} not an IP address or CIDR`);
  if (config.SENDERS_FILE) {
    const file = loadSendersFile(config.SENDERS_FILE);
    log.info('senders_loaded', { count: file.senders.length });
    return SenderPolicy.fromFile(file);
  }
  if (config.DEV_ALLOW_ANY_SENDER) {
    log.warn('DEV_ALLOW_ANY_SENDER_IS_ON_any_sender_from_anywhere_is_accepted_do_not_use_with_real_data', { setting: 'DEV_ALLOW_ANY_SENDER' });
    return SenderPolicy.anySender();
  }
  log.warn('no_sender_allow_list_only_loopback_senders_are_accepted_set_SENDERS_FILE', { setting: 'SENDERS_FILE' });
  return SenderPolicy.loopbackOnly();
}

/** HTTPS is how clients reach the API: served by us, or by a TLS proxy in front (an https:// PUBLIC_BASE_URL). */
export function httpsServed(config: Config): boolean {
  return Boolean(config.HTTP_TLS_CERT) || (config.PUBLIC_BASE_URL?.startsWith('https://') ?? false);
}

/** PUBLIC_BASE_URL, else this machine's address as served (links in FHIR Bundles must be absolute). */
export function publicBaseUrl(config: Config): string {
  return (config.PUBLIC_BASE_URL ?? `${config.HTTP_TLS_CERT ? 'https' : 'http'}://localhost:${config.PORT}`).replace(/\/+$/, '');
}

export function loadSiteConfig(config: Config): SiteConfig {
  if (!config.SITE_CONFIG) return DEFAULT_SITE_CONFIG;
  return parseSiteConfig(readFileSync(config.SITE_CONFIG, 'utf8'), config.SITE_CONFIG);
}

function parseIssuers(json: string): TrustedIssuer[] {
  const v = JSON.parse(json) as unknown;
  if (!Array.isArray(v) || !v.every((i) => typeof i?.issuer === 'string' && typeof i?.jwksUri === 'string' && (i.organization === undefined || (typeof i.organization === 'string' && ORGANIZATION_ID.test(i.organization))))) {
    throw new Error('AUTH_ISSUERS must be a JSON array of {issuer, jwksUri, audience?, organization?}');
  }
  return v as TrustedIssuer[];
}

/**
 * Sign-in (README "Signing in"): OpenID Connect when OIDC_ISSUER is set (the IdP is discovered now, and
 * again at first use if it is down), local accounts when localSignInEnabled; both share the sessions.
 */
function signInFrom(config: Config, sql: Store['sql'], log: Logger): { signIn?: SignInDeps & { cookieName: string }; localSignIn?: Omit<LocalSignInDeps, 'addressOf'> } {
  const local = localSignInEnabled(config);
  if (!config.OIDC_ISSUER && !local) return {};
  const secure = httpsServed(config);
  const sessions = new SessionManager({ sql, idleMs: config.SESSION_IDLE_MINUTES * 60_000, maxMs: config.SESSION_MAX_HOURS * 3_600_000 });
  const cookieName = cookieNames(secure).session;
  let oidc: { oidc?: OidcRelyingParty; mapping?: SignInDeps['mapping'] } = {};
  if (config.OIDC_ISSUER) {
    if (!config.OIDC_CLIENT_ID) throw new Error('OIDC_CLIENT_ID is required with OIDC_ISSUER');
    const rp = new OidcRelyingParty({
      issuer: config.OIDC_ISSUER, clientId: config.OIDC_CLIENT_ID, scopes: config.OIDC_SCOPES,
      redirectUri: config.OIDC_REDIRECT_URI ?? `${publicBaseUrl(config)}/auth/callback`,
      ...(config.OIDC_CLIENT_SECRET ? { clientSecret: config.OIDC_CLIENT_SECRET } : {}),
    });
    rp.discover().catch((e: unknown) => log.warn('oidc_discovery_failed', { errorCode: (e as { code?: string }).code }));
    oidc = {
      oidc: rp,
      mapping: {
        practitionerClaim: config.OIDC_PRACTITIONER_CLAIM, rolesClaim: config.OIDC_ROLES_CLAIM, roleMap: parseRoleMap(config.OIDC_ROLE_MAP),
        ...(config.OIDC_ORGANIZATION_CLAIM ? { organizationClaim: config.OIDC_ORGANIZATION_CLAIM } : {}),
      },
    };
  }
  // sign-ins, refusals, sign-outs and credential changes go to the audit trail
  const signIn = { sql, sessions, secure, log, cookieName, audit: appendAudit, ...oidc };
  if (!local) return { signIn };
  const accounts = new LocalAccounts({ sql, secretKey: loadOrCreateSecretKey(config.DATA_DIR, config.LOCAL_AUTH_SECRET_KEY), requireTotp: config.LOCAL_AUTH_REQUIRE_TOTP, log, audit: appendAudit });
  const base = new URL(publicBaseUrl(config));
  const passkeys = new Passkeys({ sql, accounts, rpId: config.WEBAUTHN_RP_ID ?? base.hostname, origins: [base.origin], log });
  log.info('local_sign_in_on', { setting: 'LOCAL_AUTH' });
  return { signIn, localSignIn: { accounts, sessions, passkeys, secure, cookieName, log } };
}
