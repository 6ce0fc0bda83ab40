// The ingest routes as a Hono sub-app, mounted at `/` by src/http (which authenticates, checks each
// route's scope and body rules first, see src/http/routes.ts):
//   POST /hl7                      an ER7 message or batch; the answer is its ACK
//   POST /calls                    a call note (JSON)
//   GET  /inbox, /inbox/:id        stored messages (keyset paging: ?after=ID&limit=N, oldest first)
//   POST /inbox/:id/retry          queue a failed row again
//   GET  /rejected, /rejected/:id  refused input (keyset paging: ?before=ID&limit=N, newest first)
// A list page that is not the last carries `Link: <…>; rel="next"` (RFC 8288). It and the Location of
// a stored call note are relative references (RFC 3986 5.2: `inbox?after=7` from /inbox, `inbox/7`
// from /calls), so they hold behind a proxy's path prefix and never echo a host name from the request.
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { ZodOpenApiOperationObject } from 'zod-openapi';
import type { AuthEnv } from '../auth/index.js';
import { callNoteSchema } from '../calls/index.js';
import type { Metrics } from '../obs/index.js';
import type { Sql } from '../store/index.js';
import { badRequest, notFound } from '../outcome/index.js';
import { isValidIdempotencyKey, receiveCall } from './call-intake.js';
import type { Hl7Intake } from './hl7-intake.js';
import { INBOX_STATES, LIST_DEFAULT_LIMIT, LIST_MAX_LIMIT, getInbox, getRejected, listInbox, listRejected, retryInbox, type InboxState, type ListPage, type Reader } from './inbox-admin.js';
import type { InboxWriter } from './inbox-writer.js';
import { clientAddress } from './senders.js';

export interface IngestAppDeps {
  sql: Sql;
  intake: Hl7Intake;
  writer: InboxWriter;
  metrics: Metrics;
  /** proxies whose X-Forwarded-For names the client of POST /hl7 (TRUST_PROXY); none by default */
  trustProxy?: readonly string[];
}

/** The TCP peer of a request served by @hono/node-server (none for in-process app.request). */
function socketAddress(c: Context): string | null {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? null;
}

/** An inbox or rejected id: digits that always fit a bigint (anything else reached PostgreSQL's cast as a 500). */
const ROW_ID = /^\d{1,18}$/;
const INVALID_QUERY = 'ERR_QUERY_INVALID';

/** Whose rows the caller sees, as src/http's gate decided (src/auth/policy.ts). */
const reader = (c: Context<AuthEnv>): Reader => ({ organization: c.get('organization'), none: c.get('noRows') === true });

/** The one value of a query parameter; a repeated one is refused rather than guessed at. */
function single(c: Context, name: string): string | undefined {
  const all = c.req.queries(name);
  if (all && all.length > 1) throw badRequest(`${name} may appear only once`, { code: INVALID_QUERY, details: [{ path: name, message: 'repeated' }] });
  const v = all?.[0];
  return v === '' ? undefined : v;
}

/** Only the parameters a list reads: a misspelt `limt=5` is a 400, not a silent default page. */
function onlyParams(c: Context, allowed: readonly string[]): void {
  for (const name of Object.keys(c.req.queries())) {
    if (!allowed.includes(name)) {
      // a name is shown back only when it looks like one (never other request text)
      const shown = /^[A-Za-z_][A-Za-z0-9_-]{0,31}$/.test(name) ? name : undefined;
      throw badRequest(`unknown query parameter ${shown ?? '(name not shown)'}; expected ${allowed.join(', ')}`, { code: INVALID_QUERY, ...(shown ? { details: [{ path: shown, message: 'unknown' }] } : {}) });
    }
  }
}

function limitParam(c: Context): number {
  const raw = single(c, 'limit');
  if (raw === undefined) return LIST_DEFAULT_LIMIT;
  const message = `an integer from 1 to ${LIST_MAX_LIMIT}`;
  if (!/^\d{1,4}$/.test(raw) || Number(raw) < 1 || Number(raw) > LIST_MAX_LIMIT) throw badRequest(`limit must be ${message}`, { code: INVALID_QUERY, details: [{ path: 'limit', message }] });
  return Number(raw);
}

function idParam(c: Context, name: 'after' | 'before'): string | undefined {
  const raw = single(c, name);
  if (raw !== undefined && !ROW_ID.test(raw)) throw badRequest(`${name} must be a row id (digits)`, { code: INVALID_QUERY, details: [{ path: name, message: 'not a row id' }] });
  return raw;
}

/** The JSON array of a page, and a Link to the next one built from our own validated values. */
function pageResponse<T>(c: Context, list: 'inbox' | 'rejected', page: ListPage<T>, nextQuery: (next: string) => Record<string, string>): Response {
  const headers: Record<string, string> = {};
  if (page.next !== undefined) headers.link = `<${list}?${new URLSearchParams(nextQuery(page.next)).toString()}>; rel="next"`;
  return c.json(page.items, 200, headers);
}

const rowId = z.string().regex(ROW_ID).describe('a row id (digits)');
const listLimit = z.string().regex(/^\d{1,4}$/).optional().describe(`rows per page, 1 to ${LIST_MAX_LIMIT} (default ${LIST_DEFAULT_LIMIT})`);
const nextLink = z.object({ link: z.string().optional().describe('RFC 8288 `<…>; rel="next"` when more rows follow (a relative reference)') });
const json = (schema: z.ZodType) => ({ 'application/json': { schema } });
const listed = (what: string) => ({ description: `${what}, one page`, headers: nextLink, content: json(z.array(z.record(z.string(), z.unknown()))) });
const row = (what: string) => ({ description: what, content: json(z.record(z.string(), z.unknown())) });

/**
 * These routes for the OpenAPI document (src/http/openapi.ts): what each reads and answers. Who may
 * call a route, its body limits and its error answers come from src/http's route table.
 */
export const ingestApi = {
  'POST /hl7': {
    summary: 'Receive an HL7 v2 message or batch (ER7); the answer is its ACK',
    requestBody: { required: true, content: { 'application/hl7-v2': { schema: z.string().describe('ER7 text, segments separated by CR') } } },
    responses: {
      '200': { description: 'stored: the ACK (AA, or AE/AR for an application refusal)', headers: z.object({ 'x-hl7-ack-code': z.string() }), content: { 'application/hl7-v2': { schema: z.string() } } },
      '400': { description: 'refused input: the ACK says why (AR)', content: { 'application/hl7-v2': { schema: z.string() } } },
      '503': { description: 'the store is down: an AE ACK; resend later', content: { 'application/hl7-v2': { schema: z.string() } } },
    },
  },
  'POST /calls': {
    summary: 'Take a call note (answering service, console)',
    requestParams: { header: z.object({ 'idempotency-key': z.string().min(1).max(128).optional().describe('1-128 printable ASCII characters: a repeat answers the first note') }) },
    requestBody: { required: true, content: json(callNoteSchema) },
    responses: {
      '201': { description: 'stored', headers: z.object({ location: z.string().describe('inbox/{id}') }), content: json(z.object({ id: z.string(), duplicate: z.literal(false) })) },
      '200': { description: 'already stored under this Idempotency-Key', content: json(z.object({ id: z.string(), duplicate: z.literal(true) })) },
    },
  },
  'GET /inbox': {
    summary: 'Stored messages, oldest first (keyset paging)',
    requestParams: { query: z.object({ state: z.enum(INBOX_STATES).optional(), after: rowId.optional(), limit: listLimit }) },
    responses: { '200': listed('inbox rows') },
  },
  'GET /inbox/:id': { summary: 'One stored message', requestParams: { path: z.object({ id: rowId }) }, responses: { '200': row('the inbox row') } },
  'POST /inbox/:id/retry': {
    summary: 'Queue a failed message again',
    requestParams: { path: z.object({ id: rowId }) },
    responses: { '200': { description: 'queued', content: json(z.object({ id: z.string(), state: z.literal('received') })) } },
  },
  'GET /rejected': {
    summary: 'Refused input, newest first (keyset paging)',
    requestParams: { query: z.object({ before: rowId.optional(), limit: listLimit }) },
    responses: { '200': listed('refused inputs') },
  },
  'GET /rejected/:id': { summary: 'One refused input', requestParams: { path: z.object({ id: rowId }) }, responses: { '200': row('the refused input') } },
} satisfies Record<string, ZodOpenApiOperationObject>;

export function createIngestApp(d: IngestAppDeps): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();

  app.post('/hl7', async (c) => {
    const body = Buffer.from(await c.req.arrayBuffer());
    // the sender check needs where it came from: the socket's peer, or a trusted proxy's client
    const address = clientAddress(socketAddress(c), c.req.header('x-forwarded-for'), d.trustProxy ?? []);
    const r = await d.intake.receive(body, { source: 'http', peer: address, origin: { address } });
    // the ACK is the answer; the status says whether to resend (503) or fix (400)
    const status = r.outcome === 'unavailable' ? 503 : r.outcome === 'rejected' ? 400 : 200;
    return c.body(new Uint8Array(r.ack), status, { 'content-type': 'application/hl7-v2', 'x-hl7-ack-code': r.code });
  });

  app.post('/calls', async (c) => {
    const key = c.req.header('idempotency-key');
    if (key !== undefined && !isValidIdempotencyKey(key)) throw badRequest('Idempotency-Key must be 1-128 printable ASCII characters', { code: 'ERR_CALL_IDEMPOTENCY_KEY' });
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      // never the parser's message: it quotes the body
      throw badRequest('body is not valid JSON', { code: 'ERR_JSON_INVALID', issue: 'structure' });
    }
    const auth = c.get('auth');
    const r = await receiveCall(d.writer, d.metrics, body, {
      submitter: `${auth.issuer}|${auth.subject}`, peer: null, ...(key ? { idempotencyKey: key } : {}),
      ...(auth.organization !== undefined ? { organization: auth.organization } : {}),
    });
    if (!r.ok) throw badRequest('call note is not valid', { code: 'ERR_CALL_INVALID', details: r.issues });
    return c.json({ id: r.id, duplicate: r.duplicate }, r.duplicate ? 200 : 201, { location: `inbox/${r.id}` });
  });

  app.get('/inbox', async (c) => {
    onlyParams(c, ['state', 'limit', 'after']);
    const state = single(c, 'state');
    if (state !== undefined && !INBOX_STATES.includes(state as InboxState)) throw badRequest(`state must be one of ${INBOX_STATES.join(', ')}`, { code: INVALID_QUERY, details: [{ path: 'state', message: 'unknown state' }] });
    const limit = limitParam(c);
    const after = idParam(c, 'after');
    const page = await listInbox(d.sql, { ...(state ? { state: state as InboxState } : {}), limit, ...(after ? { afterId: after } : {}), ...reader(c) });
    return pageResponse(c, 'inbox', page, (next) => ({ ...(state ? { state } : {}), after: next, limit: String(limit) }));
  });
  app.get('/inbox/:id', async (c) => {
    const row = await getInbox(d.sql, c.req.param('id'), reader(c));
    if (!row) throw notFound('no inbox row with that id');
    return c.json(row);
  });
  app.post('/inbox/:id/retry', async (c) => {
    const id = c.req.param('id');
    if (!(await retryInbox(d.sql, id, reader(c)))) throw notFound('no failed inbox row with that id');
    return c.json({ id, state: 'received' });
  });

  app.get('/rejected', async (c) => {
    onlyParams(c, ['limit', 'before']);
    const limit = limitParam(c);
    const before = idParam(c, 'before');
    const page = await listRejected(d.sql, { limit, ...(before ? { beforeId: before } : {}), ...reader(c) });
    return pageResponse(c, 'rejected', page, (next) => ({ before: next, limit: String(limit) }));
  });
  app.get('/rejected/:id', async (c) => {
    const row = await getRejected(d.sql, c.req.param('id'), reader(c));
    if (!row) throw notFound('no rejected input with that id');
    return c.json(row);
  });

  return app;
}
