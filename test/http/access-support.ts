// The whole HTTP app in process over a test database for the access matrix: delivery mounted, sign-in
// sessions (made directly in the session store, as a sign-in would), bearer tokens, and two
// organisations' messages side by side — A of `north` (routed to the `ward` role, which dr-baker covers
// at the clock's time) and B of `south` (routed to `ladder`, dr-lane's alone) — each with its inbox row,
// FHIR resources, delivery run, notification Communication, dead letter and push subscription.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CommunicationRequest, Observation, Patient } from 'fhir/r4.js';
import { createApp } from '../../src/http/index.js';
import { Hl7Intake, InboxWriter, SenderPolicy } from '../../src/ingest/index.js';
import { createMetrics } from '../../src/obs/index.js';
import { silentLogger } from '../../src/obs/log.js';
import { OidcRelyingParty, SessionManager, csrfToken, loadOrCreateLocalKey, mintLocalToken, TokenVerifier, type Person } from '../../src/auth/index.js';
import { PROVIDER_SCOPE, startEscalations, type DeliveryService } from '../../src/delivery/index.js';
import { saveResources } from '../../src/fhir/index.js';
import { insertRejected, upsertPushSubscription, type Sql } from '../../src/store/index.js';
import type { TestDatabase } from '../support/db.js';
import { withControlId } from '../support/messages.js';
import { openDelivery, recordingFetch, TestClock } from '../delivery/support.js';

/** The principals of the matrix, in its column order. */
export const WHO = ['operator', 'operator-south', 'supervisor', 'admin', 'provider', 'provider-token', 'client-north', 'client-all'] as const;
export type Who = (typeof WHO)[number];

/** Every scope a client may hold: what limits client-north is its organisation alone. */
export const CLIENT_SCOPES = ['hl7.write', 'calls.write', 'inbox.read', 'inbox.write', 'oncall.read', 'oncall.write', 'delivery.read', 'delivery.write', 'system/*.rs'];

/** One organisation's message and everything made from it. */
export interface Side {
  inboxId: string;
  requestId: string;
  patientId: string;
  observationId: string;
  communicationId: string;
  deadLetterId: string;
  pushSubscriptionId: string;
  practitioner: string;
}

export interface MatrixApp {
  app: ReturnType<typeof createApp>;
  sql: Sql;
  service: DeliveryService;
  clock: TestClock;
  A: Side;
  B: Side;
  rejectedId: string;
  /** request headers of a principal (a session also sends its CSRF token) */
  headers(who: Who | 'supervisor-default'): Record<string, string>;
  /** a fresh message routed like A (north, `ward`) or B (south, `ladder`), notified: its CommunicationRequest id */
  freshMessage(side: 'A' | 'B'): Promise<string>;
  /** request headers of a provider token for this practitioner */
  provider(practitioner: string): Promise<Record<string, string>>;
  /** an inbox row stored through the HL7 intake as from this sender (SENDERS_FILE below): its id */
  receiveHl7(facility: 'NORTH' | 'SOUTH' | 'ELSEWHERE', controlId: string): Promise<string>;
}

export const BASE = 'https://hooks.example';

/** The senders file of the fixtures' intake: each facility's messages belong to its organisation. */
const SENDERS = SenderPolicy.fromFile({
  senders: [
    { application: 'ADT', facility: 'NORTH', from: ['10.0.0.0/8'], organization: 'north' },
    { application: 'ADT', facility: 'SOUTH', from: ['10.0.0.0/8'], organization: 'south' },
    // a sender configured without an organisation: the default one
    { application: 'ADT', facility: 'ELSEWHERE', from: ['10.0.0.0/8'] },
  ],
});

let seq = 0;

export async function buildMatrixApp(db: TestDatabase): Promise<MatrixApp> {
  // Tue 2025-03-04 10:00 New York: dr-baker covers `ward`; dr-lane alone covers `ladder`
  const clock = new TestClock(Date.parse('2025-03-04T15:00:00Z'));
  const metrics = createMetrics();
  const writer = new InboxWriter(db.sql, { maxBatch: 64 });
  // the app's intake takes any sender (app.request has no peer address); the fixtures' has a senders file
  const intake = new Hl7Intake({ sql: db.sql, writer, metrics, log: silentLogger, appName: 'SWITCHBOARD', senders: SenderPolicy.anySender() });
  const listed = new Hl7Intake({ sql: db.sql, writer, metrics, log: silentLogger, appName: 'SWITCHBOARD', senders: SENDERS });
  const key = await loadOrCreateLocalKey(mkdtempSync(path.join(os.tmpdir(), 'sb-access-')));
  const verifier = new TokenVerifier({ localKey: key, audience: 'switchboard', now: () => new Date(clock.t) });
  const { service, schedules } = await openDelivery(db.sql, { base: BASE, clock, fetch: recordingFetch().fetch, registry: metrics.registry });
  const now = () => new Date(clock.t);
  const sessions = new SessionManager({ sql: db.sql, idleMs: 3_600_000, maxMs: 86_400_000, now });
  // never reached: the matrix signs people in through the session store, not the IdP
  const oidc = new OidcRelyingParty({ issuer: 'https://idp.invalid', clientId: 'sb', redirectUri: 'https://sb.example/auth/callback', scopes: 'openid' });
  const cookieName = 'sb_session';
  const app = createApp({
    sql: db.sql, intake, writer, metrics, log: silentLogger, verifier, maxHl7Bytes: 64 * 1024, schedules, publicBaseUrl: 'https://sb.example', hsts: false,
    delivery: service, signIn: { sql: db.sql, sessions, oidc, secure: false, now, cookieName, mapping: { practitionerClaim: 'fhirUser', rolesClaim: 'groups', roleMap: new Map() } },
  });

  const session = async (p: Omit<Person, 'issuer'>): Promise<Record<string, string>> => {
    const { token } = await sessions.create({ issuer: 'https://idp.test', ...p });
    return { cookie: `${cookieName}=${token}`, 'x-csrf-token': csrfToken(token) };
  };
  const bearer = async (o: { scopes: string[]; subject: string; organization?: string }) => ({
    authorization: `Bearer ${await mintLocalToken(key, { audience: 'switchboard', now: new Date(clock.t), ttlSeconds: 3600, ...o })}`,
  });
  const principals: Record<Who | 'supervisor-default', Record<string, string>> = {
    operator: await session({ subject: 'op-n', role: 'operator', practitioner: null, organization: 'north' }),
    'operator-south': await session({ subject: 'op-s', role: 'operator', practitioner: null, organization: 'south' }),
    supervisor: await session({ subject: 'sup-n', role: 'supervisor', practitioner: null, organization: 'north' }),
    'supervisor-default': await session({ subject: 'sup-d', role: 'supervisor', practitioner: null }),
    // an administrator belongs to an organisation too, and still sees every one
    admin: await session({ subject: 'adm', role: 'admin', practitioner: null, organization: 'north' }),
    provider: await session({ subject: 'baker', role: 'provider', practitioner: 'dr-baker', organization: 'north' }),
    'provider-token': await bearer({ scopes: [PROVIDER_SCOPE], subject: 'dr-baker' }),
    'client-north': await bearer({ scopes: CLIENT_SCOPES, subject: 'north-app', organization: 'north' }),
    'client-all': await bearer({ scopes: CLIENT_SCOPES, subject: 'hub' }),
  };

  const receiveHl7 = async (facility: 'NORTH' | 'SOUTH' | 'ELSEWHERE', controlId: string): Promise<string> => {
    const raw = Buffer.from(withControlId('spine/adt-a01.hl7', controlId).toString('latin1').replace('|ADT|GENHOSP|', `|ADT|${facility}|`), 'latin1');
    const r = await listed.receive(raw, { source: 'mllp', peer: '10.1.2.3', origin: { address: '10.1.2.3' } });
    if (r.outcome !== 'accepted' || r.ids.length !== 1) throw new Error(`intake: ${r.outcome}`);
    return r.ids[0]!;
  };

  /** A message of one side: its CommunicationRequest, the patient's resources, its run, step 1 fired. */
  const message = async (inboxId: string, side: 'A' | 'B', requestId: string, patientId: string, observationId: string): Promise<void> => {
    const cr: CommunicationRequest = {
      resourceType: 'CommunicationRequest', id: requestId, status: 'active', priority: 'stat',
      subject: { reference: `Patient/${patientId}` }, payload: [{ contentString: 'Critical result: Potassium 6.8 mmol/L (HH)' }],
    };
    const pt: Patient = { resourceType: 'Patient', id: patientId, identifier: [{ system: 'urn:mrn', value: `MRN-${patientId}` }] };
    const obs: Observation = { resourceType: 'Observation', id: observationId, status: 'final', code: { text: 'K' }, subject: { reference: `Patient/${patientId}` } };
    await db.sql.begin(async (tx) => {
      await saveResources(tx, [cr, pt, obs], { now: new Date(clock.t), inboxId });
      await startEscalations(tx, [{
        requestId, inboxId, priority: 'stat', role: side === 'A' ? 'ward' : 'ladder', policy: side === 'A' ? 'fast' : 'laddered',
        directTo: null, routedTo: null, receivedAt: new Date(clock.t),
      }], new Date(clock.t));
    });
  };

  const inboxA = await receiveHl7('NORTH', 'ACCESS-A');
  const inboxB = await receiveHl7('SOUTH', 'ACCESS-B');
  await message(inboxA, 'A', 'cr-access-a', 'pt-access-a', 'obs-access-a');
  await message(inboxB, 'B', 'cr-access-b', 'pt-access-b', 'obs-access-b');
  await service.scheduler.drain();

  const side = async (inboxId: string, requestId: string, patientId: string, observationId: string, practitioner: string): Promise<Side> => {
    const [comm] = await db.sql<{ id: string }[]>`
      SELECT id FROM fhir_resource WHERE resource_type = 'Communication' AND tokens @> ARRAY[${`based-on>CommunicationRequest/${requestId}`}] ORDER BY id LIMIT 1`;
    const [dead] = await db.sql<{ id: string }[]>`
      UPDATE delivery_attempt SET state = 'dead', due_at = NULL
      WHERE id = (SELECT min(id) FROM delivery_attempt WHERE request_id = ${requestId}) RETURNING id::text`;
    if (!comm || !dead) throw new Error(`fixture ${requestId}: no notification was made`);
    const pushSubscriptionId = await upsertPushSubscription(db.sql, {
      practitioner, endpoint: `https://push.example/${practitioner}`, p256dh: 'B'.repeat(87), auth: 'a'.repeat(22), now: new Date(clock.t),
    });
    return { inboxId, requestId, patientId, observationId, communicationId: comm.id, deadLetterId: dead.id, pushSubscriptionId, practitioner };
  };
  const A = await side(inboxA, 'cr-access-a', 'pt-access-a', 'obs-access-a', 'dr-baker');
  const B = await side(inboxB, 'cr-access-b', 'pt-access-b', 'obs-access-b', 'dr-lane');

  await insertRejected(db.sql, { source: 'mllp', peer: null, controlId: 'R1', errorCode: 'ERR_HL7_PARSE', reason: 'not HL7', raw: Buffer.from('junk'), ack: Buffer.from('MSA|AR') }, { keep: 100 });
  const [rejected] = await db.sql<{ id: string }[]>`SELECT max(id)::text AS id FROM rejected`;

  const freshMessage = async (which: 'A' | 'B'): Promise<string> => {
    const n = ++seq;
    const id = `cr-fresh-${which}-${n}`;
    await message(which === 'A' ? A.inboxId : B.inboxId, which, id, `pt-fresh-${which}-${n}`, `obs-fresh-${which}-${n}`);
    await service.scheduler.drain();
    return id;
  };

  return {
    app, sql: db.sql, service, clock, A, B, rejectedId: rejected!.id, headers: (who) => principals[who], freshMessage, receiveHl7,
    provider: (practitioner) => bearer({ scopes: [PROVIDER_SCOPE], subject: practitioner }),
  };
}
