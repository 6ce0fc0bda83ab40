// The whole HTTP app in process with local sign-in only (no identity provider), over a test database,
// delivery mounted for the /me routes, an injected clock for sessions, codes, throttles and passkey
// challenges, and a logger whose every line is kept (to prove no secret reaches it).
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApp } from '../../src/http/index.js';
import { Hl7Intake, InboxWriter } from '../../src/ingest/index.js';
import { createLogger, createMetrics } from '../../src/obs/index.js';
import { LocalAccounts, Passkeys, SessionManager, TokenVerifier, cookieNames, loadOrCreateLocalKey, loadOrCreateSecretKey } from '../../src/auth/index.js';
import type { DeliveryService } from '../../src/delivery/index.js';
import type { ScheduleService } from '../../src/oncall/index.js';
import type { TestDatabase } from '../support/db.js';
import { appendAudit } from '../../src/audit/index.js';

export const BASE = 'https://sb.example';
export const RP_ID = 'sb.example';
export const IDLE_MS = 15 * 60_000;
export const MAX_MS = 60 * 60_000;

export interface LocalShared {
  db: TestDatabase;
  delivery: { service: DeliveryService; schedules: ScheduleService };
  clock: { t: number };
  /** every log line written */
  logs: string[];
}

export interface LocalApp {
  app: ReturnType<typeof createApp>;
  accounts: LocalAccounts;
  passkeys: Passkeys;
  sessions: SessionManager;
  cookieName: string;
}

export async function buildLocalApp(s: LocalShared, o: { requireTotp?: boolean } = {}): Promise<LocalApp> {
  const log = createLogger('debug', (l) => s.logs.push(l));
  const metrics = createMetrics();
  const writer = new InboxWriter(s.db.sql, { maxBatch: 64 });
  const intake = new Hl7Intake({ sql: s.db.sql, writer, metrics, log, appName: 'SWITCHBOARD' });
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sb-local-'));
  const verifier = new TokenVerifier({ localKey: await loadOrCreateLocalKey(dataDir), audience: 'switchboard' });
  const now = () => new Date(s.clock.t);
  const sessions = new SessionManager({ sql: s.db.sql, idleMs: IDLE_MS, maxMs: MAX_MS, now });
  const accounts = new LocalAccounts({ sql: s.db.sql, secretKey: loadOrCreateSecretKey(dataDir), requireTotp: o.requireTotp ?? false, now, log, audit: appendAudit });
  const passkeys = new Passkeys({ sql: s.db.sql, accounts, rpId: RP_ID, origins: [BASE], now, log });
  const cookieName = cookieNames(true).session;
  const app = createApp({
    sql: s.db.sql, intake, writer, metrics, log, verifier, maxHl7Bytes: 64 * 1024, schedules: s.delivery.schedules,
    publicBaseUrl: BASE, hsts: true, delivery: s.delivery.service,
    signIn: { sql: s.db.sql, sessions, secure: true, now, cookieName, log, audit: appendAudit },
    localSignIn: { accounts, sessions, passkeys, secure: true, cookieName, log },
  });
  return { app, accounts, passkeys, sessions, cookieName };
}

/** An RFC 4648 base32 secret (as otpauth:// URIs carry it) as bytes. */
export function base32Decode(s: string): Uint8Array {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of s.replace(/=+$/, '').toUpperCase()) {
    const i = alphabet.indexOf(ch);
    if (i < 0) throw new Error('not base32');
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return new Uint8Array(out);
}

/** The secret of an otpauth:// URI. */
export const secretOf = (uri: string): Uint8Array => base32Decode(new URL(uri).searchParams.get('secret') ?? '');
