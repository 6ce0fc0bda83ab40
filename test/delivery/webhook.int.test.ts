// The webhook channel against a real local receiver: down for a while -> retried with backoff and
// jitter, then up -> delivered once (one webhook-id across every try); down past the limit -> a
// visible dead letter, and a replay delivers it once; an answer retrying cannot fix is final.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { listDeadLetters, replayDeadLetter, type DeliveryService } from '../../src/delivery/index.js';
import { listAttempts, listEvents } from '../../src/store/index.js';
import { findPhi } from '../support/phi.js';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { saveSchedule, type ScheduleService } from '../../src/oncall/index.js';
import { openDelivery, SECRET, startRequest, testSchedule, TestClock } from './support.js';
import { signedBy, startReceiver, type Receiver } from './receiver.js';

let db: TestDatabase;
let service: DeliveryService;
let schedules: ScheduleService;
let receiver: Receiver;
const payloads: string[] = [];
const clock = new TestClock(Date.parse('2025-03-04T15:00:00Z'));

beforeAll(async () => {
  db = await createTestDatabase();
  receiver = await startReceiver();
  ({ service, schedules } = await openDelivery(db.sql, {
    base: receiver.base, clock, config: { maxAttempts: 4, baseMs: 1_000, maxMs: 8_000, webhookTimeoutMs: 3_000 }, onPayload: (_c, b) => payloads.push(b),
  }));
});
afterAll(async () => {
  expect(findPhi(payloads.join('\n'))).toEqual([]);
  await receiver.close();
  await db.drop();
});
beforeEach(async () => {
  receiver.received.length = 0;
  receiver.answer = () => 200;
  // each test watches its own message: earlier runs stop escalating
  await db.sql`UPDATE delivery_run SET state = 'completed', due_at = NULL, due_kind = NULL WHERE due_at IS NOT NULL`;
  await db.sql`UPDATE delivery_attempt SET state = 'cancelled', due_at = NULL WHERE due_at IS NOT NULL`;
});

/** The tries of one message's step-1 webhook to dr-baker. */
const triesOf = (id: string) => receiver.received.filter((r) => r.path === '/baker' && (JSON.parse(r.body) as { messageId: string; step: number }).messageId === id && (JSON.parse(r.body) as { step: number }).step === 1);

/** Moves the clock in 500 ms ticks, draining at each, for `ms`. */
async function run(ms: number): Promise<void> {
  for (let t = 0; t <= ms; t += 500) {
    await service.scheduler.drain();
    clock.advance(500);
  }
}

describe('webhook delivery', () => {
  it('retries a receiver that is down (503, dropped connections, 429), then delivers once', async () => {
    let n = 0;
    receiver.answer = () => (++n === 1 ? 503 : n === 2 ? 'drop' : n === 3 ? 429 : 200);
    const id = await startRequest(db.sql, clock);
    await run(10_000);
    const tries = triesOf(id);
    expect(tries.map((r) => r.status)).toEqual([503, 'dropped', 429, 200]);
    expect(new Set(tries.map((r) => r.id)).size).toBe(1);
    expect(tries.every((r) => signedBy(r, SECRET))).toBe(true);
    expect(receiver.accepted('/baker')).toHaveLength(1);
    // the receiver's clock: attempts spread out (1 s, 2 s, 4 s before jitter, random = 0.5 -> x0.75)
    const events = (await listEvents(db.sql, id)).filter((e) => e.channel === 'webhook').map((e) => `${e.kind}:${e.reason?.split(',')[0]}`);
    expect(events).toEqual([
      'retry_scheduled:ERR_WEBHOOK_HTTP_503 (HTTP 503)',
      expect.stringMatching(/^retry_scheduled:ERR_WEBHOOK_NETWORK/),
      'retry_scheduled:ERR_WEBHOOK_HTTP_429 (HTTP 429)',
      'delivered:HTTP 200',
    ]);
  });

  it('past the limit it is a dead letter; a replay delivers it once, with the same webhook-id', async () => {
    receiver.answer = () => 500;
    const id = await startRequest(db.sql, clock);
    await run(20_000);
    expect(triesOf(id).map((r) => r.status)).toEqual([500, 500, 500, 500]);
    const dead = (await listDeadLetters(db.sql, { limit: 100 })).filter((d) => d.messageId === id && d.practitioner === 'dr-baker');
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ channel: 'webhook', contact: `${receiver.base}/baker`, attempts: 4, lastStatus: 500, lastError: 'ERR_WEBHOOK_HTTP_500 (after 4 attempts)' });
    expect(JSON.stringify(dead)).not.toContain(SECRET);
    // more time changes nothing: a dead letter waits for a person
    await run(20_000);
    expect(triesOf(id)).toHaveLength(4);

    receiver.answer = () => 204;
    expect(await replayDeadLetter(db.sql, dead[0]!.id, new Date(clock.t), 'ops')).toBeDefined();
    expect(await replayDeadLetter(db.sql, dead[0]!.id, new Date(clock.t), 'ops')).toBeUndefined(); // no longer dead
    await run(5_000);
    const tries = triesOf(id);
    expect(tries).toHaveLength(5);
    expect(tries.filter((r) => r.status === 204)).toHaveLength(1);
    expect(new Set(tries.map((r) => r.id)).size).toBe(1);
    expect((await listDeadLetters(db.sql, { limit: 100 })).filter((d) => d.id === dead[0]!.id)).toEqual([]);
    const kinds = (await listEvents(db.sql, id)).filter((e) => e.channel === 'webhook' && e.notification_id === dead[0]!.notificationId).map((e) => e.kind);
    expect(kinds.slice(-3)).toEqual(['dead_letter', 'replayed', 'delivered']);
  });

  it('an answer retrying cannot fix (400, 410, a redirect) is final at once', async () => {
    for (const status of [400, 410, 302]) {
      receiver.received.length = 0;
      receiver.answer = () => status;
      const id = await startRequest(db.sql, clock);
      await run(10_000);
      expect(triesOf(id)).toHaveLength(1);
      const [a] = (await listAttempts(db.sql, id)).filter((x) => x.channel === 'webhook');
      expect(a).toMatchObject({ state: 'dead', last_status: status, last_error: `ERR_WEBHOOK_HTTP_${status}` });
    }
  });

  it('a receiver that never answers times out and is retried; a contact removed from the schedule is never sent unsigned', async () => {
    const hang = await startHangingServer();
    const schedule = testSchedule(receiver.base);
    schedule.practitioners.find((p) => p.id === 'dr-baker')!.channels = [{ kind: 'webhook', address: hang.url, secret: SECRET }];
    await saveAndReload(schedule);
    const id = await startRequest(db.sql, clock);
    await service.scheduler.drain();
    const [a] = (await listAttempts(db.sql, id)).filter((x) => x.channel === 'webhook');
    expect(a).toMatchObject({ state: 'scheduled', attempts: 1, last_error: 'ERR_WEBHOOK_TIMEOUT' });
    expect(hang.connections()).toBe(1);

    await saveAndReload(testSchedule(receiver.base)); // dr-baker's hanging contact is gone
    await run(5_000);
    const [b] = (await listAttempts(db.sql, id)).filter((x) => x.channel === 'webhook');
    expect(b).toMatchObject({ state: 'dead', last_error: 'ERR_WEBHOOK_CONTACT_REMOVED' });
    expect(hang.connections()).toBe(1);
    await hang.close();
  });
});

async function saveAndReload(schedule: ReturnType<typeof testSchedule>): Promise<void> {
  const saved = await saveSchedule(db.sql, schedule, { by: 'test', now: new Date(clock.t), fhirView: false });
  expect(saved.ok).toBe(true);
  schedules.invalidate();
}

/** A server that reads requests and never answers; `connections` counts those that sent a request. */
async function startHangingServer(): Promise<{ url: string; connections(): number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let count = 0;
  const s = createServer((sock) => {
    sockets.add(sock);
    sock.once('data', () => count++);
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}/hang`, connections: () => count, close: () => new Promise((r) => { for (const k of sockets) k.destroy(); s.close(() => r()); }) };
}
