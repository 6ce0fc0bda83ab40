// The delivery CLI as an operator runs it (in process, configured by the environment): a provider
// token, dead letters listed and replayed, a message's timeline.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeJwt } from 'jose';
import { runCli } from '../../src/cli/commands.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { listAttempts } from '../../src/store/index.js';
import type { DeliveryService } from '../../src/delivery/index.js';
import { openDelivery, recordingFetch, startRequest, TestClock } from './support.js';

let db: TestDatabase;
let service: DeliveryService;
const clock = new TestClock(Date.parse('2025-03-04T15:00:00Z'));
let status = 500;

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, { stdout: (s) => { out += s; }, stderr: (s) => { err += s; } });
  return { code, out, err };
}

beforeAll(async () => {
  db = await createTestDatabase();
  process.env.DATABASE_URL = db.url;
  process.env.DATA_DIR = mkdtempSync(path.join(os.tmpdir(), 'sb-delivery-cli-'));
  ({ service } = await openDelivery(db.sql, { base: 'https://hooks.example', clock, fetch: recordingFetch(() => status).fetch, config: { maxAttempts: 1, maxAgeMs: 20 * 365 * 86_400_000 } }));
});
afterAll(async () => { await db.drop(); });

describe('switchboard token --practitioner', () => {
  it('mints a provider token whose subject is the practitioner, and nothing else', async () => {
    const r = await cli('token', '--practitioner', 'dr-baker');
    expect(r.code).toBe(0);
    expect(decodeJwt(r.out.trim())).toMatchObject({ sub: 'dr-baker', scope: 'provider', fhirUser: 'Practitioner/dr-baker' });
    expect((await cli('token', '--practitioner', 'dr-baker', '--scope', 'admin')).code).toBe(2);
    expect((await cli('token', '--practitioner', 'bad id')).code).toBe(2);
  });
});

describe('switchboard delivery', () => {
  it('lists a dead letter, replays it once, and prints the message timeline', async () => {
    const id = await startRequest(db.sql, clock);
    await service.scheduler.drain(); // the webhook answers 500 and one attempt is allowed: a dead letter
    const list = await cli('delivery', 'dead-letters', '--json');
    expect(list.code).toBe(0);
    const dead = list.out.trim().split('\n').map((l) => JSON.parse(l) as { id: string; messageId: string; lastError: string });
    const mine = dead.find((d) => d.messageId === id)!;
    expect(mine.lastError).toBe('ERR_WEBHOOK_HTTP_500 (after 1 attempts)');
    expect(list.out).not.toContain('whsec_');

    status = 200;
    expect((await cli('delivery', 'replay', mine.id)).code).toBe(0);
    expect((await cli('delivery', 'replay', mine.id)).code).toBe(1); // no longer dead
    clock.t = Date.now() + 1_000; // the CLI queued it at the wall clock's now
    await service.scheduler.drain();
    expect((await listAttempts(db.sql, id)).find((a) => a.id === mine.id)?.state).toBe('delivered');

    const t = await cli('delivery', 'timeline', id);
    expect(t.code).toBe(0);
    const kinds = t.out.trim().split('\n').map((l) => l.split('\t')[1]);
    expect(kinds).toEqual(expect.arrayContaining(['run_started', 'step_fired', 'notified', 'dead_letter', 'replayed', 'delivered']));
    expect((await cli('delivery', 'timeline', 'no-such-message')).code).toBe(1);
    expect((await cli('delivery', 'replay', 'x')).code).toBe(2);
  });
});
