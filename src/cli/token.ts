import { parseArgs } from 'node:util';
import { loadConfig } from '../config/index.js';
import { loadOrCreateLocalKey } from '../auth/index.js';
import { mintLocalToken, DEFAULT_TOKEN_TTL_S } from '../auth/index.js';
import { DEFAULT_LOCAL_SCOPES } from '../auth/index.js';
import type { Io } from './main.js';

export async function tokenCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { scope: { type: 'string', multiple: true }, ttl: { type: 'string' }, subject: { type: 'string' } } });
  const config = loadConfig();
  const key = await loadOrCreateLocalKey(config.DATA_DIR);
  const ttl = values.ttl ? Number(values.ttl) : DEFAULT_TOKEN_TTL_S;
  if (!Number.isInteger(ttl) || ttl <= 0) { io.stderr('--ttl must be a positive number of seconds\n'); return 2; }
  const scopes = values.scope?.flatMap((s) => s.split(/[\s,]+/)).filter(Boolean) ?? DEFAULT_LOCAL_SCOPES;
  io.stdout(await mintLocalToken(key, { scopes, ttlSeconds: ttl, audience: config.AUTH_AUDIENCE, ...(values.subject ? { subject: values.subject } : {}) }) + '\n');
  return 0;
}
