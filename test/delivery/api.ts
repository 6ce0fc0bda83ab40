// The whole HTTP app in process with delivery mounted, over a test database: provider tokens per
// practitioner, an operator token, an injected delivery clock.
import { mkdtempSync } from 'node:fs';
import type { Agent } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { createApp } from '../../src/http/index.js';
import { Hl7Intake, InboxWriter } from '../../src/ingest/index.js';
import { createMetrics } from '../../src/obs/index.js';
import { silentLogger } from '../../src/obs/log.js';
import { loadOrCreateLocalKey, mintLocalToken, TokenVerifier } from '../../src/auth/index.js';
import { PROVIDER_SCOPE, type DeliveryService } from '../../src/delivery/index.js';
import type { ScheduleInput } from '../../src/routing/index.js';
import type { TestDatabase } from '../support/db.js';
import { openDelivery, type TestClock } from './support.js';

export const PRACTITIONERS = ['dr-ames', 'dr-baker', 'dr-cole', 'sup-dale', 'dr-lane'] as const;

export interface DeliveryApp {
  app: ReturnType<typeof createApp>;
  service: DeliveryService;
  /** Authorization headers: a provider token per practitioner, `ops` (delivery scopes), `admin`, `reader` (FHIR) */
  as(who: string): { authorization: string };
}

export async function buildDeliveryApp(db: TestDatabase, clock: TestClock, o: { base: string; fetch?: typeof fetch; onPayload?: (channel: string, body: string) => void; pushAgent?: Agent; schedule?: ScheduleInput }): Promise<DeliveryApp> {
  const metrics = createMetrics();
  const writer = new InboxWriter(db.sql, { maxBatch: 64 });
  const intake = new Hl7Intake({ sql: db.sql, writer, metrics, log: silentLogger, appName: 'SWITCHBOARD' });
  const key = await loadOrCreateLocalKey(mkdtempSync(path.join(os.tmpdir(), 'sb-delivery-http-')));
  const verifier = new TokenVerifier({ localKey: key, audience: 'switchboard' });
  const { service, schedules } = await openDelivery(db.sql, { base: o.base, clock, registry: metrics.registry, ...(o.fetch ? { fetch: o.fetch } : {}), ...(o.onPayload ? { onPayload: o.onPayload } : {}), ...(o.pushAgent ? { pushAgent: o.pushAgent } : {}), ...(o.schedule ? { schedule: o.schedule } : {}) });
  const app = createApp({
    sql: db.sql, intake, writer, metrics, log: silentLogger, verifier, maxHl7Bytes: 64 * 1024, schedules, publicBaseUrl: 'https://sb.example', hsts: false, delivery: service,
  });
  const tokens: Record<string, string> = {};
  for (const p of PRACTITIONERS) tokens[p] = await mintLocalToken(key, { scopes: [PROVIDER_SCOPE], subject: p, audience: 'switchboard' });
  tokens.ops = await mintLocalToken(key, { scopes: ['delivery.read', 'delivery.write'], subject: 'ops', audience: 'switchboard' });
  tokens.admin = await mintLocalToken(key, { scopes: ['admin', 'system/*.rs'], subject: 'local-admin', audience: 'switchboard' });
  tokens.reader = await mintLocalToken(key, { scopes: ['system/Communication.rs', 'system/CommunicationRequest.rs'], subject: 'reader', audience: 'switchboard' });
  // a provider token that also carries admin: still a provider token, /me only
  tokens.sneaky = await mintLocalToken(key, { scopes: [PROVIDER_SCOPE, 'admin'], subject: 'dr-baker', audience: 'switchboard' });
  return { app, service, as: (who) => ({ authorization: `Bearer ${tokens[who] ?? ''}` }) };
}
