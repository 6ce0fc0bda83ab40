// Enhanced mode: CA when stored, then the application ACK when processed — over the same MLLP
// connection while it is open, as MSH-16 asks; always stored with the inbox row.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MllpClient, readAck } from '../../src/hl7/index.js';
import { AppAckRouter, wantsAppAck } from '../../src/ingest/app-ack.js';
import { InboxWorker } from '../../src/ingest/worker.js';
import { getInbox } from '../../src/ingest/inbox-admin.js';
import { createMetrics } from '../../src/obs/metrics.js';
import { silentLogger } from '../../src/obs/log.js';
import { DEFAULT_SITE_CONFIG } from '../../src/mapping/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startMllpHarness, type MllpHarness } from '../support/harness.js';
import { fixture, toWire } from '../support/fixtures.js';

let db: TestDatabase;
let gw: MllpHarness;
let worker: InboxWorker;
const appAcks = new AppAckRouter();

beforeAll(async () => {
  db = await createTestDatabase();
  gw = await startMllpHarness(db.sql, { appAcks });
  worker = new InboxWorker({ sql: db.sql, config: DEFAULT_SITE_CONFIG, log: silentLogger, metrics: createMetrics(), claimMs: 60_000, pollMs: 50, maxAttempts: 3, appName: 'SWITCHBOARD', schedules: null, appAcks });
});
afterAll(async () => {
  await gw.close();
  await db.drop();
});

describe('enhanced-mode application ACK', () => {
  it.each([
    ['AL', false, true], ['AL', true, true], ['ER', false, false], ['ER', true, true],
    ['SU', false, true], ['SU', true, false], ['NE', false, false], ['', true, false],
  ] as const)('MSH-16 %j, failed %s -> sent %s', (condition, failed, sent) => {
    expect(wantsAppAck(condition, failed)).toBe(sent);
  });

  it('MSH-16 AL: CA first, then AA on the same connection once processed', async () => {
    const c = new MllpClient({ port: gw.port });
    await c.connect();
    expect(readAck((await c.send(toWire(fixture('spine/oru-r01-enhanced.hl7')))).toString('latin1'))).toMatchObject({ code: 'CA', controlId: 'ENH0001' });
    const next = c.nextReply();
    await worker.processBatch();
    const appAck = (await next).toString('latin1');
    expect(readAck(appAck)).toMatchObject({ code: 'AA', controlId: 'ENH0001' });
    expect(appAck).toMatch(/^MSH\|\^~\\&\|SWITCHBOARD\|GENHOSP\|LAB\|NORTHLAB\|/);
    c.close();
  });

  it('MSH-16 NE: nothing is sent after the CA, but the application ACK is stored', async () => {
    const c = new MllpClient({ port: gw.port });
    await c.connect();
    expect(readAck((await c.send(toWire(fixture('spine/oru-r01-enhanced-ne.hl7')))).toString('latin1')).code).toBe('CA');
    expect(appAcks.size).toBe(0);
    await worker.processBatch();
    const [row] = await db.sql<{ id: string }[]>`SELECT id::text FROM inbox WHERE control_id = 'ENHNE001'`;
    expect((await getInbox(db.sql, row!.id))!.appAck).toContain('MSA|AA|ENHNE001');
    c.close();
  });

  it('a connection closed before processing: stored only, nothing breaks', async () => {
    const c = new MllpClient({ port: gw.port });
    await c.connect();
    const msg = toWire(fixture('spine/oru-r01-enhanced.hl7')).toString('latin1').replace('|ENH0001|', '|ENH0002|');
    expect(readAck((await c.send(Buffer.from(msg, 'latin1'))).toString('latin1')).code).toBe('CA');
    c.close();
    await new Promise((r) => setTimeout(r, 50));
    await worker.processBatch();
    const [row] = await db.sql<{ id: string; app_ack: Buffer }[]>`SELECT id::text, app_ack FROM inbox WHERE control_id = 'ENH0002'`;
    expect(row!.app_ack.toString('latin1')).toContain('MSA|AA|ENH0002');
    expect(appAcks.size).toBe(0);
  });
});
