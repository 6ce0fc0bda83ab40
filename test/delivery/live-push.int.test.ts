// Live updates and Web Push: an app listening on /me/events hears its new message at once — also
// when another replica fired the step (LISTEN/NOTIFY) — and that counts as delivered; a push
// subscription registered through the API gets an encrypted, VAPID-signed push without PHI, and
// one the push service says is gone (410) is removed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createECDH, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { Agent, createServer, type Server } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { listAttempts, listPushSubscriptions } from '../../src/store/index.js';
import { findPhi } from '../support/phi.js';
import { recordingFetch, startRequest, TestClock } from './support.js';
import { buildDeliveryApp, type DeliveryApp } from './api.js';

let db: TestDatabase;
let a: DeliveryApp; // replica A: fires the steps
let b: DeliveryApp; // replica B: holds the app's live connection
let pushService: { server: Server; base: string; got: { path: string; headers: Record<string, string | string[] | undefined>; body: Buffer }[]; answer: (path: string) => number };
const payloads: string[] = [];
const clock = new TestClock(Date.parse('2025-03-04T15:00:00Z'));

/** A self-signed certificate for 127.0.0.1, made by openssl for this test: push services are HTTPS (RFC 8030). */
function certificate(): { key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-push-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
  return { key: readFileSync(path.join(dir, 'key.pem')), cert: readFileSync(path.join(dir, 'cert.pem')) };
}

beforeAll(async () => {
  db = await createTestDatabase();
  const tls = certificate();
  const pushAgent = new Agent({ ca: tls.cert });
  const onPayload = (_c: string, body: string) => payloads.push(body);
  a = await buildDeliveryApp(db, clock, { base: 'https://hooks.example', fetch: recordingFetch().fetch, onPayload, pushAgent });
  b = await buildDeliveryApp(db, clock, { base: 'https://hooks.example', fetch: recordingFetch().fetch, onPayload, pushAgent });
  await a.service.live.start();
  await b.service.live.start();
  const got: typeof pushService.got = [];
  const server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(pushService.answer(req.url ?? '')).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  pushService = { server, base: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, got, answer: () => 201 };
});
afterAll(async () => {
  expect(findPhi(payloads.join('\n'))).toEqual([]);
  await a.service.live.stop();
  await b.service.live.stop();
  await new Promise<void>((r) => pushService.server.close(() => r()));
  await db.drop();
});

/** Reads SSE events from a streaming response until `want` of them have come (or the time is up). */
async function readEvents(res: Response, want: number, ms = 10_000): Promise<{ event: string; data: Record<string, unknown> }[]> {
  const reader = res.body!.getReader();
  const out: { event: string; data: Record<string, unknown> }[] = [];
  let buf = '';
  const end = Date.now() + ms;
  while (out.length < want && Date.now() < end) {
    const r = await Promise.race([reader.read(), new Promise<null>((res) => setTimeout(() => res(null), end - Date.now()))]);
    if (r === null || r.done) break;
    buf += new TextDecoder().decode(r.value);
    let i: number;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data) out.push({ event, data: JSON.parse(data) as Record<string, unknown> });
    }
  }
  await reader.cancel();
  return out;
}

const subscription = (path: string) => ({
  endpoint: `${pushService.base}${path}`,
  keys: { p256dh: createECDH('prime256v1').generateKeys().toString('base64url'), auth: randomBytes(16).toString('base64url') },
});

describe('live updates over Server-Sent Events', () => {
  it('tell the app on another replica about its new message at once, and that is its delivery receipt', async () => {
    const res = await b.app.request('/me/events', { headers: b.as('dr-baker') });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = readEvents(res, 2);
    await new Promise((r) => setTimeout(r, 200)); // the stream is registered
    const id = await startRequest(db.sql, clock);
    await a.service.scheduler.drain();
    const got = await events;
    expect(got[0]).toMatchObject({ event: 'ready', data: { practitioner: 'dr-baker' } });
    expect(got[1]).toMatchObject({ event: 'notified', data: { messageId: id } });
    let inbox: { state: string } | undefined;
    for (let i = 0; i < 50 && inbox?.state !== 'delivered'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      inbox = (await listAttempts(db.sql, id)).find((x) => x.channel === 'inbox');
    }
    expect(inbox?.state).toBe('delivered');
  });

  it('are for provider tokens only, and each practitioner hears only their own', async () => {
    expect((await b.app.request('/me/events', { headers: b.as('admin') })).status).toBe(403);
    const res = await b.app.request('/me/events', { headers: b.as('dr-ames') });
    const events = readEvents(res, 2, 2_000);
    await new Promise((r) => setTimeout(r, 200));
    await startRequest(db.sql, clock); // to dr-baker
    await a.service.scheduler.drain();
    expect((await events).map((e) => e.event)).toEqual(['ready']);
  });
});

describe('Web Push', () => {
  it('a registered subscription gets an encrypted, VAPID-signed push; the ladder moves on only after its wait', async () => {
    const keyInfo = (await (await a.app.request('/me/push-subscriptions', { headers: a.as('dr-lane') })).json()) as { vapidPublicKey: string };
    expect(keyInfo.vapidPublicKey).toMatch(/^[A-Za-z0-9_-]{80,}$/);
    const created = await a.app.request('/me/push-subscriptions', { method: 'POST', headers: { ...a.as('dr-lane'), 'content-type': 'application/json' }, body: JSON.stringify(subscription('/push/lane-phone')) });
    expect(created.status).toBe(201);
    const id = await startRequest(db.sql, clock, { role: 'ladder', policy: 'laddered' });
    await a.service.scheduler.drain();
    const push = pushService.got.filter((g) => g.path === '/push/lane-phone');
    expect(push).toHaveLength(1);
    expect(push[0]!.headers['content-encoding']).toBe('aes128gcm');
    expect(push[0]!.headers.urgency).toBe('high');
    expect(String(push[0]!.headers.authorization)).toMatch(/^vapid t=.+, k=.+/);
    expect(push[0]!.body.includes(Buffer.from(id))).toBe(false); // encrypted: not even the ids are readable in transit
    const attempts = await listAttempts(db.sql, id);
    expect(attempts.find((x) => x.channel === 'push')?.state).toBe('delivered');
    expect(attempts.filter((x) => x.channel === 'webhook').map((x) => x.state)).toEqual(['scheduled', 'scheduled']);
    const pushed = JSON.parse(payloads.filter((p) => p.includes(id)).at(-1)!) as Record<string, unknown>;
    expect(pushed).toMatchObject({ type: 'notification', messageId: id, priority: 'stat', practitioner: 'dr-lane' });
  });

  it('a subscription the push service says is gone (410) is removed', async () => {
    pushService.answer = (path) => (path === '/push/lane-old' ? 410 : 201);
    await a.app.request('/me/push-subscriptions', { method: 'POST', headers: { ...a.as('dr-lane'), 'content-type': 'application/json' }, body: JSON.stringify(subscription('/push/lane-old')) });
    expect((await listPushSubscriptions(db.sql, 'dr-lane')).map((s) => s.endpoint.split('/').at(-1))).toEqual(['lane-phone', 'lane-old']);
    await startRequest(db.sql, clock, { role: 'ladder', policy: 'laddered' });
    await a.service.scheduler.drain();
    expect((await listPushSubscriptions(db.sql, 'dr-lane')).map((s) => s.endpoint.split('/').at(-1))).toEqual(['lane-phone']);
  });

  it('refuses a subscription that is not a browser PushSubscription', async () => {
    for (const bad of [{}, { endpoint: 'http://example.org/push', keys: subscription('/x').keys }, { endpoint: 'https://push.example/x', keys: { p256dh: 'short', auth: 'short' } }]) {
      const res = await a.app.request('/me/push-subscriptions', { method: 'POST', headers: { ...a.as('dr-lane'), 'content-type': 'application/json' }, body: JSON.stringify(bad) });
      expect(res.status).toBe(400);
    }
  });
});
