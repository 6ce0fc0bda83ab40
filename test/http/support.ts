// The whole HTTP app in process (app.request) over a test database, with tokens per role.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApp } from '../../src/http/index.js';
import { Hl7Intake, InboxWriter } from '../../src/ingest/index.js';
import { createMetrics, type Metrics } from '../../src/obs/index.js';
import { silentLogger } from '../../src/obs/log.js';
import { loadOrCreateLocalKey, mintLocalToken, RevocationList, TokenVerifier, type LocalKey } from '../../src/auth/index.js';
import { ScheduleService } from '../../src/oncall/index.js';
import type { TestDatabase } from '../support/db.js';

export const ROLES: Record<string, string[]> = {
  admin: ['admin', 'system/*.rs'],
  feed: ['hl7.write'],
  operator: ['calls.write'],
  reader: ['system/CommunicationRequest.rs'],
};

export const PUBLIC_BASE = 'https://sb.example';

export interface TestApp {
  app: ReturnType<typeof createApp>;
  key: LocalKey;
  metrics: Metrics;
  writer: InboxWriter;
  schedules: ScheduleService;
  revocations: RevocationList;
  tokens: Record<string, string>;
  auth(who: string): { authorization: string };
  /** a token with these scopes (and claims), signed by the app's key */
  token(scopes: string[], opts?: { patient?: string; subject?: string }): Promise<string>;
  close(): Promise<void>;
}

export async function buildApp(db: TestDatabase, opts: { maxHl7Bytes?: number; hsts?: boolean; now?: () => Date } = {}): Promise<TestApp> {
  const metrics = createMetrics();
  const writer = new InboxWriter(db.sql, { maxBatch: 64 });
  const intake = new Hl7Intake({ sql: db.sql, writer, metrics, log: silentLogger, appName: 'SWITCHBOARD' });
  const key = await loadOrCreateLocalKey(mkdtempSync(path.join(os.tmpdir(), 'sb-http-')));
  const revocations = new RevocationList(db.sql);
  await revocations.start();
  const verifier = new TokenVerifier({ localKey: key, audience: 'switchboard', revocations, ...(opts.now ? { now: opts.now } : {}) });
  const schedules = new ScheduleService({ sql: db.sql });
  const app = createApp({
    sql: db.sql, intake, writer, metrics, log: silentLogger, verifier, maxHl7Bytes: opts.maxHl7Bytes ?? 64 * 1024, schedules,
    publicBaseUrl: PUBLIC_BASE, hsts: opts.hsts ?? true,
  });
  const mint = (scopes: string[], o: { patient?: string; subject?: string } = {}) =>
    mintLocalToken(key, { scopes, audience: 'switchboard', ...(opts.now ? { now: opts.now() } : {}), ...o });
  const tokens: Record<string, string> = {};
  for (const [name, scopes] of Object.entries(ROLES)) tokens[name] = await mint(scopes, { subject: name });
  return {
    app, key, metrics, writer, schedules, revocations, tokens, token: mint,
    auth: (who) => ({ authorization: `Bearer ${tokens[who] ?? ''}` }),
    close: () => revocations.stop(),
  };
}
