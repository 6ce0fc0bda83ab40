// One validated configuration table: every setting, its default, its unit, overridable by env.
// Checked once at start-up; a bad value stops the gateway with the name of the setting.
import { z } from 'zod';

const bool = z.enum(['0', '1', 'true', 'false', 'yes', 'no']).transform((v) => ['1', 'true', 'yes'].includes(v));
const port = z.coerce.number().int().min(0).max(65535);
const positive = z.coerce.number().int().positive();

/** The embedded PostgreSQL's settings EMBEDDED_PG_SETTINGS may change: tuning only. */
const EMBEDDED_SETTINGS = new Set([
  'shared_buffers', 'effective_cache_size', 'work_mem', 'maintenance_work_mem', 'temp_buffers', 'huge_pages',
  'max_wal_size', 'min_wal_size', 'checkpoint_timeout', 'checkpoint_completion_target', 'wal_buffers', 'wal_compression',
  'wal_writer_delay', 'wal_writer_flush_after', 'max_connections', 'random_page_cost', 'effective_io_concurrency',
  'gin_pending_list_limit', 'jit',
]);

/**
 * EMBEDDED_PG_SETTINGS as [name, value] pairs, or what is wrong with it. A name must be one of
 * EMBEDDED_SETTINGS or an `autovacuum_` parameter; a value is a word of letters, digits and `._+-`
 * (each goes to the server as one `-c name=value` argument, never through a shell).
 */
export function embeddedSettings(text: string): [string, string][] | string {
  const out: [string, string][] = [];
  for (const item of text.split(/[\s,]+/).filter(Boolean)) {
    const m = /^([a-z][a-z0-9_]{0,62})=([A-Za-z0-9._+-]{1,32})$/.exec(item);
    if (!m) return `"${item.slice(0, 80)}" is not name=value (a value of letters, digits and ._+-)`;
    const name = m[1]!;
    if (!EMBEDDED_SETTINGS.has(name) && !name.startsWith('autovacuum_')) return `${name} cannot be set here (tuning settings only: ${[...EMBEDDED_SETTINGS].join(', ')}, autovacuum_*)`;
    if (out.some(([n]) => n === name)) return `${name} is given twice`;
    out.push([name, m[2]!]);
  }
  return out;
}

export const configSchema = z.object({
  PORT: port.default(8080),
  HOST: z.string().default('0.0.0.0'),
  MLLP_PORT: port.default(2575),
  MLLP_HOST: z.string().default('0.0.0.0'),
  /** Largest MLLP frame accepted, bytes. 1 MiB holds any lab report we have seen, with room. */
  MLLP_MAX_FRAME_BYTES: positive.default(1024 * 1024),
  /**
   * A connection that sends nothing for this long is closed, ms. 2 min: an engine with traffic sends
   * within seconds and reconnects on its next message when closed; an idle socket only holds a slot,
   * and closing it ourselves beats a firewall or NAT silently dropping it (often after 5 min or more).
   */
  MLLP_IDLE_TIMEOUT_MS: positive.default(2 * 60_000),
  /** A frame that has started must finish within this, ms (slow-sender / slowloris guard). */
  MLLP_FRAME_TIMEOUT_MS: positive.default(30_000),
  MLLP_MAX_CONNECTIONS: positive.default(500),
  MLLP_TLS_CERT: z.string().optional(),
  MLLP_TLS_KEY: z.string().optional(),
  /** CA bundle; when set, clients must present a certificate it signed (mutual TLS). */
  MLLP_TLS_CA: z.string().optional(),
  /** Largest POST /hl7 body, bytes (same limit as an MLLP frame by default). */
  HTTP_MAX_BODY_BYTES: positive.default(1024 * 1024),
  /** Refused inputs kept for inspection (the newest); older ones are deleted. */
  REJECTED_MAX_ROWS: positive.default(100_000),
  DATABASE_URL: z.string().url().optional(),
  // least privilege (README "Security"): migrations as the schema owner, the runtime as a role with rows only
  /** The schema owner's connection, used only to run migrations (and grant DATABASE_APP_ROLE); unset: DATABASE_URL does both. */
  DATABASE_ADMIN_URL: z.string().url().optional(),
  /**
   * The runtime role granted rows on every table at the end of each migrate run. Default: the user of
   * DATABASE_URL when DATABASE_ADMIN_URL names another one; none when a single URL is given.
   */
  DATABASE_APP_ROLE: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a lower-case SQL identifier').optional(),
  DATA_DIR: z.string().default('./data'),
  /** Port of the embedded PostgreSQL; 0 = pick a free one on first start and keep it. */
  EMBEDDED_PG_PORT: port.default(0),
  /**
   * Tuning settings of the embedded PostgreSQL, `name=value` pairs separated by spaces or commas
   * (e.g. `max_wal_size=4GB`), applied when the gateway starts the server. Only settings that tune
   * memory, checkpoints, the WAL's writing, planning and autovacuum are taken (embeddedSettings);
   * none that changes where it listens, who may connect or whether a commit is durable.
   */
  EMBEDDED_PG_SETTINGS: z.string().default('').transform((text, ctx) => {
    const parsed = embeddedSettings(text);
    if (typeof parsed === 'string') { ctx.addIssue({ code: 'custom', message: parsed }); return z.NEVER; }
    return parsed;
  }),
  DB_POOL_MAX: positive.default(10),
  /** Most messages committed in one group-commit transaction. */
  INGEST_BATCH_MAX: positive.default(256),
  /** Group-commit transactions in flight at once; more messages wait and share the next commit. */
  INGEST_MAX_IN_FLIGHT: positive.default(2),
  WORKER_CONCURRENCY: positive.default(2),
  /** How long a claimed inbox row stays claimed before another worker may take it, ms. */
  WORKER_CLAIM_MS: positive.default(60_000),
  /** Longest an idle worker sleeps without a wake-up (a store, a NOTIFY, the store's return), ms. */
  WORKER_POLL_MS: positive.default(10_000),
  WORKER_MAX_ATTEMPTS: positive.default(5),
  /** Inbox rows claimed, mapped and saved together (one transaction) by one worker. */
  WORKER_BATCH: positive.default(32),
  /**
   * A routine worker whose last claim took less than half a batch waits this long before the next,
   * so rows arriving at a steady rate are saved some at a time rather than one or two per
   * transaction, ms (0: claim at once). The critical lane never waits.
   */
  WORKER_GATHER_MS: z.coerce.number().int().min(0).max(1_000).default(20),
  /** Threads mapping messages (off the thread answering MLLP and HTTP). */
  MAP_THREADS: positive.default(2),
  /** A message whose mapping takes longer fails with ERR_MAPPING_TIME_BUDGET, ms. */
  MAP_TIME_BUDGET_MS: positive.default(2_000),
  /** Messages up to this size are mapped on the main thread, between its other work (0: all in threads). */
  MAP_INLINE_MAX_BYTES: z.coerce.number().int().min(0).default(16_384),
  /**
   * The routine workers (WORKER_CONCURRENCY) run in a thread of their own with their own connections,
   * so intake, ACKs, HTTP and delivery on the main thread never wait behind a batch being processed;
   * the critical lane stays on the main thread. Off: every worker on the main thread.
   */
  PROCESSING_THREAD: bool.default(true),
  /**
   * How many processing threads share the WORKER_CONCURRENCY routine workers (with PROCESSING_THREAD):
   * the workers' JavaScript (mapping, sealing, search entries, statements) runs on that many cores
   * instead of one. At most WORKER_CONCURRENCY and the machine's cores. Each thread holds its own
   * heap, modules, pool and schedule (~40 MB resident), so the default is one.
   */
  PROCESSING_THREADS: z.coerce.number().int().min(1).max(16).default(1),
  /**
   * CPU priority (nice, 0-19) of the processing thread, its mapping threads and, on the embedded
   * database, its connections' server processes: routine work yields the cores to intake, the
   * critical lane and delivery when they need them (Linux; 0 leaves them as they are).
   */
  PROCESSING_NICE: z.coerce.number().int().min(0).max(19).default(10),
  /**
   * The young generation of each processing thread's heap, MiB (V8's `maxYoungGenerationSizeMb`:
   * two semi-spaces and a third for large new objects). A batch's objects live about two batches'
   * time; the larger this is, the more of them die young instead of being promoted and found dead
   * by a mark-compact: 96 took 6% less gateway CPU per message and processed 5% more, for 0–37 MB
   * more resident at the drain's peak (README "Pipeline").
   */
  PROCESSING_YOUNG_MB: z.coerce.number().int().min(8).max(1024).default(16),
  // intake: database faults (connect, statement and idle-in-transaction timeouts; the store's health ping)
  /** Giving up on opening a database connection, ms. */
  DB_CONNECT_TIMEOUT_MS: positive.default(3_000),
  /** A pooled connection unused this long is closed, ms; 0 keeps them. */
  DB_IDLE_TIMEOUT_MS: z.coerce.number().int().min(0).default(60_000),
  /** PostgreSQL statement_timeout per connection, ms; 0 = none. */
  DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).default(30_000),
  /** PostgreSQL idle_in_transaction_session_timeout per connection, ms; 0 = none. */
  DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: z.coerce.number().int().min(0).default(60_000),
  // intake: who may send (SENDERS_FILE), MLLP connection limits, refused-input cap
  /** JSON/YAML file mapping senders (MSH-3/MSH-4) to the addresses/CIDRs and TLS subjects they may send from. */
  SENDERS_FILE: z.string().optional(),
  /** DEV ONLY: accept any sender from anywhere when there is no SENDERS_FILE. Logged loudly at every boot. */
  DEV_ALLOW_ANY_SENDER: bool.default(false),
  /** POST /hl7 behind a reverse proxy: comma-separated addresses/CIDRs whose X-Forwarded-For is believed. */
  TRUST_PROXY: z.string().default('').transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .refine((l) => l.every((x) => /^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(x)), 'comma-separated IP addresses or CIDRs'),
  /** How often the store is pinged while calls wait on it or it is down, ms. */
  STORE_PING_INTERVAL_MS: positive.default(250),
  /** How often the store is pinged while it is up and nothing waits on it, ms. */
  STORE_PING_IDLE_INTERVAL_MS: positive.default(5_000),
  /** A ping unanswered this long marks the store down (AE/CE and 503 at once until one answers), ms. */
  STORE_PING_TIMEOUT_MS: positive.default(500),
  /** MLLP connections from one address at most; at the cap its oldest idle connection makes room. */
  MLLP_MAX_CONNECTIONS_PER_ADDRESS: positive.default(32),
  /** Refused inputs kept for inspection, total bytes (the newest); older ones are deleted. */
  REJECTED_MAX_BYTES: positive.default(256 * 1024 * 1024),
  /** Trusted token issuers: JSON array of {issuer, jwksUri, audience?}. */
  AUTH_ISSUERS: z.string().default('[]'),
  /** Audience tokens must carry. */
  AUTH_AUDIENCE: z.string().default('switchboard'),
  /** DEV ONLY: serve the API without authentication. Said loudly at every boot. */
  DEV_NO_AUTH: bool.default(false),
  SITE_CONFIG: z.string().optional(),
  /** On-call schedule file (JSON/YAML) stored at start when no schedule is stored yet. */
  SCHEDULE_FILE: z.string().optional(),
  // On-call schedules: limits on every schedule change (PUT, item edits, iCalendar imports, CLI).
  /** Largest stored schedule, bytes of its JSON (also the PUT /schedule body limit). */
  SCHEDULE_MAX_BYTES: positive.default(2 * 1024 * 1024),
  /** Most occurrences one iCalendar import may expand, across all its events. */
  SCHEDULE_IMPORT_MAX_OCCURRENCES: positive.default(20_000),
  /** Time budget of one schedule check or import in its worker thread, ms; past it the change is refused (422). */
  SCHEDULE_JOB_TIMEOUT_MS: positive.default(10_000),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /** Name we answer with in MSH-3 of ACKs when the sender left MSH-5 empty. */
  APP_NAME: z.string().default('SWITCHBOARD'),
  // delivery: escalation runs, timers, channels (README "Delivery")
  /** A message that arrived longer ago than this never pages anyone (its run expires), ms. */
  DELIVERY_MAX_AGE_MS: positive.default(24 * 3_600_000),
  /** Start of day for routine digests when neither the practitioner nor the role sets one (HH:MM, schedule's zone). */
  DELIVERY_START_OF_DAY: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM').default('08:00'),
  /** Re-notifications of an acknowledged message that gets no response (policy respondWithin), at most. */
  DELIVERY_RENOTIFY_MAX: z.coerce.number().int().min(0).default(3),
  /** Sends of one push/webhook before it becomes a dead letter; backoff doubles from the base to the cap, with jitter. */
  DELIVERY_MAX_ATTEMPTS: positive.default(10),
  DELIVERY_RETRY_BASE_MS: positive.default(1_000),
  DELIVERY_RETRY_MAX_MS: positive.default(60_000),
  /** One webhook or push request, ms. */
  WEBHOOK_TIMEOUT_MS: positive.default(5_000),
  /** Longest the scheduler sleeps without a NOTIFY (a safety net; timers wake it on time), ms. */
  DELIVERY_POLL_MS: positive.default(5_000),
  /** A scheduler round missing, or a timer overdue, this long makes /readyz fail, ms. */
  DELIVERY_STALL_MS: positive.default(30_000),
  /** VAPID subject for Web Push (mailto: or https:); `off` disables Web Push. */
  VAPID_SUBJECT: z.string().regex(/^(mailto:|https:\/\/|off$)/, 'expected mailto:..., https://... or off').default('mailto:operator@localhost'),
  // HTTP API: public address, TLS, bearer tokens
  /** Where clients reach the API (scheme://host[:port][/prefix]); FHIR links and the CapabilityStatement are built on it. Default http(s)://localhost:PORT. */
  PUBLIC_BASE_URL: z.string().url().refine((u) => /^https?:\/\/[^?#]+$/.test(u), 'an http(s) URL without query or fragment').optional(),
  /** PEM files: serve the HTTP API over HTTPS (and send HSTS). Behind a TLS proxy, leave unset and give PUBLIC_BASE_URL an https:// address. */
  HTTP_TLS_CERT: z.string().optional(),
  HTTP_TLS_KEY: z.string().optional(),
  /** Longest bearer-token lifetime accepted (exp - iat), seconds; `switchboard token --ttl` may not exceed it. */
  AUTH_MAX_TOKEN_LIFETIME_S: positive.default(3600),
  // sign-in: OpenID Connect against the hospital's identity provider, and sessions (README "Signing in")
  /** The identity provider's issuer URL (its /.well-known/openid-configuration is read at start). Unset: no sign-in routes. */
  OIDC_ISSUER: z.string().url().optional(),
  OIDC_CLIENT_ID: z.string().min(1).optional(),
  /** client_secret_basic; unset: a public client (PKCE only). */
  OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  /** Registered redirect URI. Default PUBLIC_BASE_URL + /auth/callback. */
  OIDC_REDIRECT_URI: z.string().url().optional(),
  /** Scopes asked for, space-separated; `openid` is required. */
  OIDC_SCOPES: z.string().default('openid profile email').refine((s) => s.split(/\s+/).includes('openid'), 'must include openid'),
  /** ID-token claim naming the person's practitioner id in the schedule (`fhirUser`: `Practitioner/ID` or a URL ending so). */
  OIDC_PRACTITIONER_CLAIM: z.string().min(1).default('fhirUser'),
  /** ID-token claim holding the person's groups or roles (a string or an array of strings). */
  OIDC_ROLES_CLAIM: z.string().min(1).default('groups'),
  /** JSON object from an IdP group/role value to a Switchboard role: provider, operator, supervisor or admin. */
  OIDC_ROLE_MAP: z.string().default('{}'),
  /**
   * ID-token claim naming the person's organisation (answering service, practice, hospital): operators
   * and supervisors see that organisation's messages only. Unset: one organisation, everyone in `default`.
   */
  OIDC_ORGANIZATION_CLAIM: z.string().min(1).optional(),
  // local sign-in: accounts kept by the gateway itself (README "Signing in without an identity provider")
  /** on/off; unset: on for the embedded default (no DATABASE_URL) when no OIDC_ISSUER is set, off otherwise. */
  LOCAL_AUTH: z.enum(['on', 'off']).optional(),
  /** Every local account must have a TOTP second factor enrolled to sign in (switchboard users totp-enroll). */
  LOCAL_AUTH_REQUIRE_TOTP: bool.default(false),
  /** Key sealing TOTP secrets (hex, 64 digits: 256 bits). Unset: DATA_DIR/keys/local-auth.key, made once; set it when several gateways share a database. */
  LOCAL_AUTH_SECRET_KEY: z.string().regex(/^[0-9a-fA-F]{64}$/, 'hex, 64 digits (256 bits)').optional(),
  /** WebAuthn relying party id for passkeys. Default: PUBLIC_BASE_URL's host name. */
  WEBAUTHN_RP_ID: z.string().regex(/^[a-z0-9.-]{1,253}$/, 'a host name').optional(),
  /** A session unused this long ends, minutes. */
  SESSION_IDLE_MINUTES: positive.default(15),
  /** A session ends this long after sign-in whatever its use, hours. */
  SESSION_MAX_HOURS: positive.default(12),
  // mapping: resource ids
  /**
   * Pins the installation's resource-id key (hex, 32-128 digits: 128-512 bits): stored at the first
   * start instead of a random one, and checked against the stored one after (tests, reproducible
   * set-ups). Unset: a random key is made once and shared through the database.
   */
  MAPPING_ID_KEY: z.string().regex(/^(?:[0-9a-fA-F]{2}){16,64}$/, 'hex, 32 to 128 digits (128 to 512 bits)').optional(),
  // PHI at rest (README "Security and PHI"): the data keys and the search key; read and checked by
  // src/crypto at start (a key document that cannot be read stops the gateway)
  /** The key document itself (JSON: version, active, keys, search); for a secret store. Wins over PHI_KEY_FILE. */
  PHI_KEYS: z.string().min(1).optional(),
  /** Path of the key document; default DATA_DIR/keys/phi-keys.json, made on first start (0600). */
  PHI_KEY_FILE: z.string().min(1).optional(),
  /** A module exporting unwrapKey({ id, wrapped }): the key document holds KMS-wrapped keys. */
  PHI_KMS_MODULE: z.string().min(1).optional(),
  // audit trail and retention (README "Audit trail")
  /** HMAC key sealing the audit chain (hex, 64-128 digits: 256-512 bits); unset: plain SHA-256. Keep it outside the database. */
  AUDIT_HMAC_KEY: z.string().regex(/^(?:[0-9a-fA-F]{2}){32,64}$/, 'hex, 64 to 128 digits (256 to 512 bits)').optional(),
  /** Earlier AUDIT_HMAC_KEYs (comma-separated hex) that rows may still be sealed with: verify accepts them. */
  AUDIT_HMAC_OLD_KEYS: z.string().regex(/^(?:(?:[0-9a-fA-F]{2}){32,64})(?:,(?:[0-9a-fA-F]{2}){32,64})*$/, 'comma-separated hex keys').optional(),
  /**
   * Audit rows older than this are purged (down to a checkpoint that keeps the rest verifiable), days;
   * unset: kept. At least 30: the database's audit_purge (migration 020) refuses a younger cut-off.
   */
  AUDIT_RETENTION_DAYS: positive.min(30, 'at least 30 days').optional(),
  /** Raw bytes of finished messages and refused input older than this are purged, days; unset: kept. */
  MESSAGE_RETENTION_DAYS: positive.optional(),
  /** FHIR resources last updated longer ago than this are deleted, days; unset: kept. */
  FHIR_RETENTION_DAYS: positive.optional(),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  readonly code = 'ERR_CONFIG_INVALID';
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
  }
}

/** Reads the configuration from an environment (process.env by default). */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const picked = Object.fromEntries(Object.keys(configSchema.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]));
  const parsed = configSchema.safeParse(picked);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  return parsed.data;
}
