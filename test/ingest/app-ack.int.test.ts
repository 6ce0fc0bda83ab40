// Enhanced mode: CA when stored, then the application ACK when processed, as MSH-16 asks — where the
// sender's `appAck` says: its own listener, the same connection, or nowhere (stored only, the
// default); always stored with the inbox row.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAck } from '../../src/hl7/index.js';
import { MllpClient } from '../../src/mllp/index.js';
import net from 'node:net';
import { AppAckRouter, wantsAppAck } from '../../src/ingest/app-ack.js';
import { SenderPolicy, sendersFileSchema } from '../../src/ingest/senders.js';
import { MllpFramer, frame } from '../../src/hl7/frame.js';
import { withMshField } from '../support/messages.js';
import { InboxWorker } from '../../src/pipeline/worker.js';
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

/** The sender's own ACK listener (as an interface engine runs one): every frame it gets, answered CA-style. */
const received: Buffer[] = [];
let ackReceiver: net.Server;
let ackReceiverPort = 0;

beforeAll(async () => {
  db = await createTestDatabase();
  ackReceiver = net.createServer((s) => {
    const framer = new MllpFramer(1024 * 1024);
    s.on('data', (d: Buffer) => { for (const ev of framer.push(d)) if (ev.kind === 'frame') { received.push(ev.payload); s.write(frame('MSH|^~\\&|EASTLAB|||||||ACK|R1|P|2.5.1\rMSA|CA|x\r')); } });
    s.on('error', () => {});
  });
  await new Promise<void>((r) => ackReceiver.listen(0, '127.0.0.1', r));
  ackReceiverPort = (ackReceiver.address() as net.AddressInfo).port;
  const senders = SenderPolicy.fromFile(sendersFileSchema.parse({
    senders: [
      { application: 'LAB', facility: 'NORTHLAB', from: ['127.0.0.1'], appAck: { to: 'connection' } },
      { application: 'LAB', facility: 'EASTLAB', from: ['127.0.0.1'], appAck: { to: 'address', host: '127.0.0.1', port: ackReceiverPort } },
      { application: 'LAB', facility: 'WESTLAB', from: ['127.0.0.1'] },
    ],
  }));
  gw = await startMllpHarness(db.sql, { appAcks, senders });
  worker = new InboxWorker({ sql: db.sql, config: DEFAULT_SITE_CONFIG, log: silentLogger, metrics: createMetrics(), claimMs: 60_000, pollMs: 50, maxAttempts: 3, appName: 'SWITCHBOARD', schedules: null, appAcks });
});
afterAll(async () => {
  await gw.close();
  await db.drop();
  await new Promise((r) => ackReceiver.close(r));
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

  it('appAck address: the application ACK goes to the sender\'s own listener; its connection carries only the commit ACKs, one per message', async () => {
    const c = new MllpClient({ port: gw.port });
    await c.connect();
    const enhanced = withMshField(toWire(fixture('spine/oru-r01-enhanced.hl7')), 4, 'EASTLAB');
    const first = withMshField(enhanced, 10, 'EAST0001');
    expect(readAck((await c.send(first)).toString('latin1'))).toMatchObject({ code: 'CA', controlId: 'EAST0001' });
    await worker.processBatch();
    for (let i = 0; i < 100 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(received).toHaveLength(1);
    expect(readAck(received[0]!.toString('latin1'))).toMatchObject({ code: 'AA', controlId: 'EAST0001' });
    expect(received[0]!.toString('latin1')).toMatch(/^MSH\|\^~\\&\|SWITCHBOARD\|GENHOSP\|LAB\|EASTLAB\|/);
    // the next message's reply on the sender's connection is its own commit ACK, not the application ACK
    expect(readAck((await c.send(withMshField(enhanced, 10, 'EAST0002'))).toString('latin1'))).toMatchObject({ code: 'CA', controlId: 'EAST0002' });
    c.close();
  });

  it('no appAck given: stored only, nothing unsolicited on the connection (the default)', async () => {
    const c = new MllpClient({ port: gw.port });
    await c.connect();
    const west = withMshField(withMshField(toWire(fixture('spine/oru-r01-enhanced.hl7')), 4, 'WESTLAB'), 10, 'WEST0001');
    const waiting = appAcks.size;
    expect(readAck((await c.send(west)).toString('latin1')).code).toBe('CA');
    expect(appAcks.size).toBe(waiting); // no way back remembered
    await worker.processBatch();
    expect(readAck((await c.send(withMshField(west, 10, 'WEST0002'))).toString('latin1'))).toMatchObject({ code: 'CA', controlId: 'WEST0002' });
    const [row] = await db.sql<{ app_ack: Buffer }[]>`SELECT app_ack FROM inbox WHERE control_id = 'WEST0001'`;
    expect(row!.app_ack.toString('latin1')).toContain('MSA|AA|WEST0001');
    c.close();
  });
});
