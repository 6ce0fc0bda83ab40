// The HTTP surface (Hono): health and metrics open; everything else behind a bearer JWT and scopes.
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { pingStore, type Sql, type StoreHealth } from '../store/index.js';
import type { Metrics } from '../obs/index.js';
import type { Logger } from '../obs/index.js';
import { requireAuth, type AuthEnv } from '../auth/index.js';
import { allowsFhir, allowsOperation } from '../auth/index.js';
import { AuthError, type TokenVerifier } from '../auth/index.js';
import {
  receiveCall, isValidIdempotencyKey, clientAddress, getInbox, getRejected, listInbox, retryInbox, listRejected, queueDepth, INBOX_STATES,
  type InboxState, type Hl7Intake, type InboxWriter,
} from '../ingest/index.js';
import { CALL_NOTE_MAX_BYTES } from '../calls/index.js';
import { createFhirApp } from '../fhir/index.js';
import { createOncallApp, type ScheduleService } from '../oncall/index.js';
import { badRequest, FHIR_JSON, notFound, outcome, tooLarge } from '../outcome/index.js';
import { createOnError } from './error-response.js';

export interface AppDeps {
  sql: Sql;
  intake: Hl7Intake;
  writer: InboxWriter;
  metrics: Metrics;
  log: Logger;
  verifier: TokenVerifier | null;
  maxHl7Bytes: number;
  schedules: ScheduleService;
  /** the store's health flag: while down, store-backed routes answer 503 at once (src/store/health.ts) */
  health?: StoreHealth;
  /** proxies whose X-Forwarded-For names the client of POST /hl7 (TRUST_PROXY); none by default */
  trustProxy?: readonly string[];
}

export function createApp(d: AppDeps): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.onError(createOnError(d.log));
  app.notFound((c) => c.json(outcome('not-found', 'no such route'), 404, { 'content-type': FHIR_JSON }));

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    // with a health flag the ping has a deadline: a frozen store is reported within it
    const ready = d.health ? await d.health.ping() : await pingStore(d.sql).then(() => true, () => false);
    return ready ? c.json({ status: 'ready' }) : c.json({ status: 'unavailable', reason: 'store unreachable' }, 503);
  });
  app.get('/metrics', async (c) => {
    try {
      const depth = await queueDepth(d.sql);
      for (const [state, n] of Object.entries(depth)) d.metrics.queueDepth.set({ state }, n);
    } catch { /* store down: serve the rest */ }
    return c.text(await d.metrics.registry.metrics(), 200, { 'content-type': d.metrics.registry.contentType });
  });

  app.use('*', requireAuth(d.verifier));
  // POST /hl7 answers with an HL7 ACK (AE when the store is down), which the intake builds itself
  if (d.health) app.use('*', storeGate(d.health, ['/hl7']));

  app.post('/hl7', operation('hl7.write'), bodyLimit({ maxSize: d.maxHl7Bytes, onError: () => { throw tooLarge(`HL7 body exceeds ${d.maxHl7Bytes} bytes`); } }), async (c) => {
    const body = Buffer.from(await c.req.arrayBuffer());
    // the sender check needs where it came from: the socket's peer, or a trusted proxy's client
    const address = clientAddress(socketAddress(c), c.req.header('x-forwarded-for'), d.trustProxy ?? []);
    const r = await d.intake.receive(body, { source: 'http', peer: address, origin: { address } });
    // the ACK is the answer; the status says whether to resend (503) or fix (400)
    const status = r.outcome === 'unavailable' ? 503 : r.outcome === 'rejected' ? 400 : 200;
    return c.body(new Uint8Array(r.ack), status, { 'content-type': 'application/hl7-v2', 'x-hl7-ack-code': r.code });
  });

  app.post('/calls', operation('calls.write'), bodyLimit({ maxSize: CALL_NOTE_MAX_BYTES, onError: () => { throw tooLarge(`call note exceeds ${CALL_NOTE_MAX_BYTES} bytes`); } }), async (c) => {
    const key = c.req.header('idempotency-key');
    if (key !== undefined && !isValidIdempotencyKey(key)) throw badRequest('Idempotency-Key must be 1-128 printable ASCII characters');
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      throw badRequest('body is not valid JSON');
    }
    const auth = c.get('auth');
    const r = await receiveCall(d.writer, d.metrics, body, { submitter: `${auth.issuer}|${auth.subject}`, peer: null, ...(key ? { idempotencyKey: key } : {}) });
    if (!r.ok) throw badRequest('call note is not valid', { details: r.issues.map((i) => ({ path: i.path, message: i.message })) });
    return c.json({ id: r.id, duplicate: r.duplicate }, r.duplicate ? 200 : 201, { location: `/inbox/${r.id}` });
  });

  app.get('/inbox', operation('inbox.read'), async (c) => {
    const state = c.req.query('state');
    if (state !== undefined && !INBOX_STATES.includes(state as InboxState)) throw badRequest(`state must be one of ${INBOX_STATES.join(', ')}`);
    const limit = Number(c.req.query('limit') ?? 100);
    const after = c.req.query('after');
    // an inbox id (keyset paging): anything else reached PostgreSQL's bigint cast as a 500 (found by fuzzing)
    if (after !== undefined && after !== '' && !/^\d{1,18}$/.test(after)) throw badRequest('after must be an inbox id');
    return c.json(await listInbox(d.sql, { ...(state ? { state: state as InboxState } : {}), limit: Number.isFinite(limit) ? limit : 100, ...(after ? { afterId: after } : {}) }));
  });
  app.get('/inbox/:id', operation('inbox.read'), async (c) => {
    const row = await getInbox(d.sql, c.req.param('id') ?? '');
    if (!row) throw notFound('no inbox row with that id');
    return c.json(row);
  });
  app.post('/inbox/:id/retry', operation('inbox.write'), async (c) => {
    const id = c.req.param('id') ?? '';
    if (!(await retryInbox(d.sql, id))) throw notFound('no failed inbox row with that id');
    return c.json({ id, state: 'received' });
  });
  app.get('/rejected', operation('inbox.read'), async (c) => c.json(await listRejected(d.sql, Number(c.req.query('limit') ?? 100) || 100)));
  app.get('/rejected/:id', operation('inbox.read'), async (c) => {
    const row = await getRejected(d.sql, c.req.param('id') ?? '');
    if (!row) throw notFound('no rejected input with that id');
    return c.json(row);
  });

  app.use('/fhir/*', async (c, next) => {
    // FHIR R4 reads: the resource type is the first path segment after /fhir
    const type = c.req.path.split('/')[2] ?? '';
    if (type !== 'metadata' && !allowsFhir(c.get('auth').scopes, type, 'r') && !allowsOperation(c.get('auth').scopes, 'admin')) {
      throw new AuthError('ERR_AUTH_FORBIDDEN', `token lacks a scope to read ${type.replace(/[^A-Za-z]/g, '')}`);
    }
    return next();
  });
  app.route('/fhir', createFhirApp({ sql: d.sql }));
  // on-call: /oncall, /oncall/coverage, /schedule... (scopes oncall.read / oncall.write)
  app.route('/', createOncallApp({ sql: d.sql, service: d.schedules, log: d.log }));
  return app;
}

/** The TCP peer of a request served by @hono/node-server (none for in-process app.request). */
function socketAddress(c: Context<AuthEnv>): string | null {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? null;
}

/**
 * While the store is known down, a route that needs it answers 503 at once; one running when the
 * store goes down answers 503 then, instead of waiting for a frozen database.
 */
function storeGate(health: StoreHealth, skip: readonly string[]) {
  return async (c: Context<AuthEnv>, next: () => Promise<void>) => {
    if (skip.includes(c.req.path)) return next();
    await health.guard(next);
  };
}

function operation(name: string) {
  return async (c: Context<AuthEnv>, next: () => Promise<void>) => {
    if (!allowsOperation(c.get('auth').scopes, name)) throw new AuthError('ERR_AUTH_FORBIDDEN', `token lacks the '${name}' scope`);
    await next();
  };
}
