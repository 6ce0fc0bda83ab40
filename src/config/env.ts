// One validated configuration table: every setting, its default, its unit, overridable by env.
// Checked once at start-up; a bad value stops the gateway with the name of the setting.
import { z } from 'zod';

const bool = z.enum(['0', '1', 'true', 'false', 'yes', 'no']).transform((v) => ['1', 'true', 'yes'].includes(v));
const port = z.coerce.number().int().min(0).max(65535);
const positive = z.coerce.number().int().positive();

export const configSchema = z.object({
  PORT: port.default(8080),
  HOST: z.string().default('0.0.0.0'),
  MLLP_PORT: port.default(2575),
  MLLP_HOST: z.string().default('0.0.0.0'),
  /** Largest MLLP frame accepted, bytes. 1 MiB holds any lab report we have seen, with room. */
  MLLP_MAX_FRAME_BYTES: positive.default(1024 * 1024),
  /** A connection that sends nothing for this long is closed, ms. */
  MLLP_IDLE_TIMEOUT_MS: positive.default(10 * 60_000),
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
  DATA_DIR: z.string().default('./data'),
  /** Port of the embedded PostgreSQL; 0 = pick a free one on first start and keep it. */
  EMBEDDED_PG_PORT: port.default(0),
  DB_POOL_MAX: positive.default(10),
  /** Most messages committed in one group-commit transaction. */
  INGEST_BATCH_MAX: positive.default(256),
  /** Group-commit transactions in flight at once; more messages wait and share the next commit. */
  INGEST_MAX_IN_FLIGHT: positive.default(1),
  WORKER_CONCURRENCY: positive.default(2),
  /** How long a claimed inbox row stays claimed before another worker may take it, ms. */
  WORKER_CLAIM_MS: positive.default(60_000),
  WORKER_POLL_MS: positive.default(1_000),
  WORKER_MAX_ATTEMPTS: positive.default(5),
  /** Trusted token issuers: JSON array of {issuer, jwksUri, audience?}. */
  AUTH_ISSUERS: z.string().default('[]'),
  /** Audience tokens must carry. */
  AUTH_AUDIENCE: z.string().default('switchboard'),
  /** DEV ONLY: serve the API without authentication. Said loudly at every boot. */
  DEV_NO_AUTH: bool.default(false),
  SITE_CONFIG: z.string().optional(),
  /** On-call schedule file (JSON/YAML) stored at start when no schedule is stored yet. */
  SCHEDULE_FILE: z.string().optional(),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /** Name we answer with in MSH-3 of ACKs when the sender left MSH-5 empty. */
  APP_NAME: z.string().default('SWITCHBOARD'),
  // mapping: resource ids
  /**
   * Pins the installation's resource-id key (hex, 32-128 digits: 128-512 bits): stored at the first
   * start instead of a random one, and checked against the stored one after (tests, reproducible
   * set-ups). Unset: a random key is made once and shared through the database.
   */
  MAPPING_ID_KEY: z.string().regex(/^(?:[0-9a-fA-F]{2}){16,64}$/, 'hex, 32 to 128 digits (128 to 512 bits)').optional(),
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
