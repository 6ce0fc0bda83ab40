/**
 * Delivery's HTTP routes (a Hono sub-app mounted at `/`; src/http's route table and gate decide who
 * may call each: provider tokens for /me, operation scopes for the rest):
 *   GET  /me/messages?status=open|all&limit=      mine, most urgent first
 *   GET  /me/messages/:id                         one, with the patient, the result or note, its timeline
 *   POST /me/messages/:id/read | ack | resolve
 *   POST /me/messages/:id/reply    {text}
 *   POST /me/messages/:id/forward  {practitioner}
 *   GET  /me/events                               Server-Sent Events: live updates
 *   GET  /me/push-subscriptions                   the VAPID public key and my subscriptions
 *   POST /me/push-subscriptions    {endpoint, keys: {p256dh, auth}}   (a browser PushSubscription)
 *   DELETE /me/push-subscriptions/:id
 *   GET  /messages/:id/timeline                   every step, attempt and receipt, with reasons   delivery.read
 *   GET  /delivery/dead-letters?after=&limit=                                                       delivery.read
 *   POST /delivery/dead-letters/:id/replay                                                          delivery.write
 * Another provider's message is a 404, never a 403: its existence is not disclosed.
 */
import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import type { ZodOpenApiOperationObject } from 'zod-openapi';
import type { AuthEnv } from '../auth/index.js';
import { badRequest, notFound, OperationOutcomeError } from '../outcome/index.js';
import { isStorableText } from '../text/index.js';
import { deletePushSubscription, getRun, listAttempts, listEvents, listNotifications, listPushSubscriptions, upsertPushSubscription, type LiveEvent } from '../store/index.js';
import { listDeadLetters, replayDeadLetter } from './dead-letters.js';
import { listMessages, messageDetail, timelineOf, visibleMessage, type InboxContext } from './inbox.js';
import { acknowledge, forward, markFetched, markRead, resolve, respond, type ActionContext } from './receipts.js';
import type { DeliveryService } from './service.js';

const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;
const DIGITS = /^\d{1,18}$/;
/** A reply is a short clinical answer; longer documentation goes to the EHR. */
export const REPLY_MAX_CHARS = 4_000;
/** SSE comment sent on an idle stream so proxies and the app see it alive. */
const HEARTBEAT_MS = 25_000;
/** Events queued for a slow stream, at most; past it the app is told to refetch instead. */
const LIVE_QUEUE_MAX = 1_000;

const replySchema = z.object({ text: z.string().min(1).max(REPLY_MAX_CHARS).refine(isStorableText, 'control characters are not allowed') }).strict();
const forwardSchema = z.object({ practitioner: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/).max(128) }).strict();
/** A browser PushSubscription (W3C Push API toJSON()): an https endpoint (RFC 8030 requires TLS), a P-256 key, a 16-byte secret. */
const pushSchema = z.object({
  endpoint: z.string().max(2048).refine((u) => URL.canParse(u) && /^https:\/\//.test(u), 'an https URL'),
  expirationTime: z.number().nullable().optional(),
  keys: z.object({ p256dh: z.string().regex(/^[A-Za-z0-9_-]{86,88}={0,2}$/, 'a base64url P-256 public key'), auth: z.string().regex(/^[A-Za-z0-9_-]{22,24}={0,2}$/, 'a base64url 16-byte secret') }),
});

const json = (schema: z.ZodType) => ({ 'application/json': { schema } });
const ok = (description: string, schema: z.ZodType = z.record(z.string(), z.unknown())) => ({ description, content: json(schema) });
const messageId = z.object({ id: z.string().regex(FHIR_ID).describe('the CommunicationRequest id') });
const rowId = z.object({ id: z.string().regex(DIGITS) });
const receipt = (summary: string, flag: string) => ({ summary, requestParams: { path: messageId }, responses: { '200': ok(summary, z.object({ id: z.string(), [flag]: z.boolean() }).loose()) } });

/**
 * These routes for the OpenAPI document (src/http/openapi.ts): what each reads and answers. Who may
 * call a route, its body limits and its error answers come from src/http's route table.
 */
export const deliveryApi = {
  'GET /me/messages': {
    summary: 'My messages, most urgent first',
    requestParams: { query: z.object({ status: z.enum(['open', 'all']).optional().describe('default open'), limit: z.string().optional().describe('an integer, 1 to 200 (default 50)') }) },
    responses: { '200': ok('the messages', z.object({ messages: z.array(z.record(z.string(), z.unknown())) })) },
  },
  'GET /me/messages/:id': { summary: 'One message with its patient, result or note, and timeline (marks it delivered)', requestParams: { path: messageId }, responses: { '200': ok('the message') } },
  'POST /me/messages/:id/read': receipt('Mark read', 'read'),
  'POST /me/messages/:id/ack': receipt('Acknowledge (stops escalation)', 'acknowledged'),
  'POST /me/messages/:id/resolve': receipt('Resolve', 'resolved'),
  'POST /me/messages/:id/reply': {
    summary: 'Reply (a Communication inResponseTo the request)',
    requestParams: { path: messageId },
    requestBody: { required: true, content: json(replySchema) },
    responses: { '201': ok('replied', z.object({ id: z.string(), responded: z.literal(true), communication: z.string() })) },
  },
  'POST /me/messages/:id/forward': {
    summary: 'Forward to another practitioner',
    requestParams: { path: messageId },
    requestBody: { required: true, content: json(forwardSchema) },
    responses: { '201': ok('forwarded', z.object({ id: z.string(), forwardedTo: z.string(), notificationId: z.string() })) },
  },
  'GET /me/events': { summary: 'Live updates (Server-Sent Events: ready, then one event per change)', responses: { '200': { description: 'an event stream', content: { 'text/event-stream': { schema: z.string() } } } } },
  'GET /me/push-subscriptions': {
    summary: 'The VAPID public key and my Web Push subscriptions',
    responses: { '200': ok('subscriptions', z.object({ vapidPublicKey: z.string().nullable(), subscriptions: z.array(z.object({ id: z.string(), endpoint: z.string(), createdAt: z.string() })) })) },
  },
  'POST /me/push-subscriptions': { summary: 'Subscribe a browser (its PushSubscription)', requestBody: { required: true, content: json(pushSchema) }, responses: { '201': ok('subscribed', z.object({ id: z.string() })) } },
  'DELETE /me/push-subscriptions/:id': { summary: 'Unsubscribe', requestParams: { path: rowId }, responses: { '204': { description: 'removed' } } },
  'GET /messages/:id/timeline': { summary: 'Every step, attempt and receipt of a message, with reasons', requestParams: { path: messageId }, responses: { '200': ok('the timeline') } },
  'GET /delivery/dead-letters': {
    summary: 'Deliveries that gave up',
    requestParams: { query: z.object({ after: z.string().regex(DIGITS).optional(), limit: z.string().optional().describe('an integer, 1 to 500 (default 100)') }) },
    responses: { '200': ok('dead letters', z.object({ deadLetters: z.array(z.record(z.string(), z.unknown())) })) },
  },
  'POST /delivery/dead-letters/:id/replay': { summary: 'Send a dead letter again', requestParams: { path: rowId }, responses: { '200': ok('replayed') } },
} satisfies Record<string, ZodOpenApiOperationObject>;

async function body<T>(c: Context, schema: z.ZodType<T>): Promise<T> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw badRequest('body is not valid JSON');
  }
  const r = schema.safeParse(raw);
  if (!r.success) throw badRequest('body is not valid', { code: 'ERR_DELIVERY_INVALID', details: r.error.issues.map((i) => ({ path: i.path.join('.') || '(body)', message: i.message })) });
  return r.data;
}

const idParam = (c: Context, name = 'id', re = FHIR_ID): string => {
  const v = c.req.param(name) ?? '';
  // the shape is checked before any lookup; a bad one is as unknown as a missing one
  if (!re.test(v)) throw notFound('no such message', { code: 'ERR_DELIVERY_MESSAGE_NOT_FOUND' });
  return v;
};

/** The variables src/http's gate sets for these routes: the principal, and on /me the provider's practitioner. */
export type DeliveryEnv = { Variables: AuthEnv['Variables'] & { practitioner?: string } };

export function createDeliveryApp(svc: DeliveryService): Hono<DeliveryEnv> {
  const app = new Hono<DeliveryEnv>();
  const sql = svc.o.sql;

  /**
   * The acting practitioner, as src/http's gate found it in the provider token. Mounted without the
   * gate there is none, and the route fails closed (500) rather than act for nobody.
   */
  const me = (c: Context<DeliveryEnv>): string => {
    const who = c.get('practitioner');
    if (who === undefined) throw new OperationOutcomeError('internal', 'provider route reached without a practitioner', { code: 'ERR_DELIVERY_NO_PRACTITIONER' });
    return who;
  };
  const inbox = async (c: Context<DeliveryEnv>): Promise<InboxContext> => ({ sql, compiled: await svc.compiled(), practitioner: me(c), now: svc.clock() });
  const action = async (c: Context<DeliveryEnv>): Promise<ActionContext & { id: string }> => {
    const ctx = await inbox(c);
    const id = idParam(c);
    await visibleMessage(ctx, id); // 404 for a message that is not theirs, before any change
    return { sql, now: new Date(ctx.now), compiled: ctx.compiled, practitioner: ctx.practitioner, id };
  };

  app.get('/me/messages', async (c) => {
    const status = c.req.query('status') ?? 'open';
    if (status !== 'open' && status !== 'all') throw badRequest('status must be open or all');
    const limit = Number(c.req.query('limit') ?? 50);
    if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw badRequest('limit must be 1 to 200');
    return c.json({ messages: await listMessages(await inbox(c), { open: status === 'open', limit }) });
  });

  app.get('/me/messages/:id', async (c) => {
    const ctx = await inbox(c);
    const detail = await messageDetail(ctx, idParam(c));
    // the app fetched it: its inbox channel is delivered
    await markFetched({ sql, now: new Date(ctx.now), compiled: ctx.compiled, practitioner: ctx.practitioner }, detail.id);
    return c.json(detail);
  });

  app.post('/me/messages/:id/read', async (c) => {
    const a = await action(c);
    await markRead(a, a.id);
    return c.json({ id: a.id, read: true });
  });
  app.post('/me/messages/:id/ack', async (c) => {
    const a = await action(c);
    const r = await acknowledge(a, a.id);
    return c.json({ id: a.id, acknowledged: true, already: r.already });
  });
  app.post('/me/messages/:id/reply', async (c) => {
    const { text } = await body(c, replySchema);
    const a = await action(c);
    const r = await respond(a, a.id, text);
    return c.json({ id: a.id, responded: true, communication: `Communication/${r.communicationId}` }, 201);
  });
  app.post('/me/messages/:id/forward', async (c) => {
    const { practitioner } = await body(c, forwardSchema);
    const a = await action(c);
    const r = await forward(a, a.id, practitioner);
    return c.json({ id: a.id, forwardedTo: practitioner, notificationId: r.notificationId }, 201);
  });
  app.post('/me/messages/:id/resolve', async (c) => {
    const a = await action(c);
    await resolve(a, a.id);
    return c.json({ id: a.id, resolved: true });
  });

  app.get('/me/events', (c) => {
    const who = me(c);
    const queue: LiveEvent[] = [];
    let wake: (() => void) | undefined;
    let closed = false;
    const send = (e: LiveEvent) => {
      if (queue.length >= LIVE_QUEUE_MAX) queue.splice(0, queue.length, { p: who, m: '', k: 'resync' });
      else queue.push(e);
      wake?.();
    };
    const sub = { practitioner: who, send, close: () => { closed = true; wake?.(); } };
    if (!svc.live.add(sub)) throw new OperationOutcomeError('throttled', 'too many live-update streams open for this practitioner', { code: 'ERR_DELIVERY_TOO_MANY_STREAMS' });
    return streamSSE(c, async (stream) => {
      stream.onAbort(() => sub.close());
      try {
        await stream.writeSSE({ event: 'ready', data: JSON.stringify({ practitioner: who }), retry: 3_000 });
        while (!closed) {
          if (queue.length === 0) {
            const beat = await new Promise<boolean>((r) => {
              const t = setTimeout(() => r(true), HEARTBEAT_MS);
              wake = () => { clearTimeout(t); r(false); };
            });
            wake = undefined;
            if (beat && !closed) await stream.write(': keep-alive\n\n');
            continue;
          }
          const e = queue.shift()!;
          await stream.writeSSE({ event: e.k, data: JSON.stringify({ messageId: e.m || null, notificationId: e.n ?? null }) });
        }
      } finally {
        svc.live.remove(sub);
      }
    });
  });

  app.get('/me/push-subscriptions', async (c) => {
    const subs = await listPushSubscriptions(sql, me(c));
    return c.json({ vapidPublicKey: svc.push?.publicKey ?? null, subscriptions: subs.map((s) => ({ id: s.id, endpoint: s.endpoint, createdAt: s.created_at.toISOString() })) });
  });
  app.post('/me/push-subscriptions', async (c) => {
    const who = me(c);
    if (svc.push === null) throw badRequest('Web Push is turned off on this gateway (VAPID_SUBJECT=off)', { code: 'ERR_DELIVERY_PUSH_DISABLED' });
    const s = await body(c, pushSchema);
    const id = await upsertPushSubscription(sql, { practitioner: who, endpoint: s.endpoint, p256dh: s.keys.p256dh, auth: s.keys.auth, now: new Date(svc.clock()) });
    return c.json({ id }, 201);
  });
  app.delete('/me/push-subscriptions/:id', async (c) => {
    const removed = await deletePushSubscription(sql, idParam(c, 'id', DIGITS), me(c));
    if (removed === 0) throw notFound('no such push subscription');
    return c.body(null, 204);
  });

  app.get('/messages/:id/timeline', async (c) => {
    const id = idParam(c);
    const run = c.get('noRows') ? undefined : await getRun(sql, id, c.get('organization'));
    if (run === undefined) throw notFound('no delivery for that message', { code: 'ERR_DELIVERY_MESSAGE_NOT_FOUND' });
    const [notifications, attempts, events] = await Promise.all([listNotifications(sql, id), listAttempts(sql, id), listEvents(sql, id)]);
    return c.json({
      messageId: id,
      run: { state: run.state, priority: run.priority, role: run.role, policy: run.policy, directTo: run.direct_to, step: run.step, nextAt: run.due_at?.toISOString() ?? null, next: run.due_kind, createdAt: run.created_at.toISOString(), acknowledgedAt: run.acknowledged_at?.toISOString() ?? null, acknowledgedBy: run.acknowledged_by, respondedAt: run.responded_at?.toISOString() ?? null, closedAt: run.closed_at?.toISOString() ?? null, closeReason: run.close_reason },
      notifications: notifications.map((n) => ({ id: n.id, kind: n.kind, seq: n.seq, practitioner: n.recipient, via: n.via, createdAt: n.created_at.toISOString(), sentAt: n.sent_at?.toISOString() ?? null, deliveredAt: n.delivered_at?.toISOString() ?? null, readAt: n.read_at?.toISOString() ?? null, acknowledgedAt: n.acknowledged_at?.toISOString() ?? null, respondedAt: n.responded_at?.toISOString() ?? null })),
      attempts: attempts.map((a) => ({ id: a.id, notificationId: a.notification_id, practitioner: a.recipient, channel: a.channel, contact: a.contact, state: a.state, attempts: a.attempts, nextAt: a.due_at?.toISOString() ?? null, sentAt: a.sent_at?.toISOString() ?? null, deliveredAt: a.delivered_at?.toISOString() ?? null, lastStatus: a.last_status, lastError: a.last_error })),
      timeline: timelineOf(events),
    });
  });

  app.get('/delivery/dead-letters', async (c) => {
    const after = c.req.query('after');
    if (after !== undefined && !DIGITS.test(after)) throw badRequest('after must be a dead-letter id');
    const limit = Number(c.req.query('limit') ?? 100);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw badRequest('limit must be 1 to 500');
    if (c.get('noRows')) return c.json({ deadLetters: [] });
    return c.json({ deadLetters: await listDeadLetters(sql, { limit, ...(after ? { afterId: after } : {}), organization: c.get('organization') }) });
  });
  app.post('/delivery/dead-letters/:id/replay', async (c) => {
    const id = idParam(c, 'id', DIGITS);
    const auth = c.get('auth');
    const r = c.get('noRows') ? undefined : await replayDeadLetter(sql, id, new Date(svc.clock()), `${auth.issuer}|${auth.subject}`, c.get('organization'));
    if (r === undefined) throw notFound('no dead letter with that id', { code: 'ERR_DELIVERY_DEAD_LETTER_NOT_FOUND' });
    svc.poke();
    return c.json({ replayed: r });
  });

  return app;
}
