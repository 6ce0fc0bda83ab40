// The spine's promises over a real MLLP socket and a real PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { readAck, frame } from '../../src/hl7/index.js';
import { MllpClient } from '../../src/mllp/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startMllpHarness, type MllpHarness } from '../support/harness.js';
import { withControlId } from '../support/messages.js';
import { fixture, publicSamples, PUBLIC_SAMPLES, toWire } from '../support/fixtures.js';
import { openInboxRaw } from '../support/stored.js';

let db: TestDatabase;
let gw: MllpHarness;

beforeAll(async () => {
  db = await createTestDatabase({ max: 20 });
  gw = await startMllpHarness(db.sql);
});
afterAll(async () => {
  await gw?.close();
  await db?.drop();
});

async function client(): Promise<MllpClient> {
  const c = new MllpClient({ port: gw.port, timeoutMs: 20_000 });
  await c.connect();
  return c;
}

/** Sends messages over n connections (each sends its share one after another); returns ACKs by index. */
async function sendAll(messages: Buffer[], connections: number): Promise<string[]> {
  const acks: string[] = new Array(messages.length);
  await Promise.all(Array.from({ length: connections }, async (_, k) => {
    const c = await client();
    for (let i = k; i < messages.length; i += connections) acks[i] = (await c.send(messages[i]!)).toString('latin1');
    c.close();
  }));
  return acks;
}

const count = async (table: 'inbox' | 'rejected') => (await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM ${db.sql(table)}`)[0]!.n;

describe('MLLP intake', () => {
  it('stores 1,000 messages sent over 4 connections exactly once, each ACKed AA; a resend gets identical ACKs and stores nothing', async () => {
    const before = await count('inbox');
    const messages = Array.from({ length: 1000 }, (_, i) => withControlId('spine/oru-r01.hl7', `LOAD${i}`));
    const acks = await sendAll(messages, 4);
    acks.forEach((a, i) => expect(readAck(a)).toMatchObject({ code: 'AA', controlId: `LOAD${i}` }));
    expect(await count('inbox') - before).toBe(1000);
    const rows = await db.sql<{ n: number }[]>`SELECT count(DISTINCT control_id)::int AS n FROM inbox WHERE control_id LIKE 'LOAD%'`;
    expect(rows[0]!.n).toBe(1000);

    const again = await sendAll(messages, 4);
    expect(again).toEqual(acks);
    expect(await count('inbox') - before).toBe(1000);
  });

  it('stores the bytes exactly as received', async () => {
    const msg = toWire(fixture('spine/latin1-8859-1.hl7'));
    const c = await client();
    expect(readAck((await c.send(msg)).toString('latin1')).code).toBe('AA');
    c.close();
    const [row] = await db.sql<{ raw: Buffer; charset: string; sender_app: string; sender_facility: string; control_id: string; content_hash: Buffer; message_type: string; version: string }[]>`SELECT raw, charset, sender_app, sender_facility, control_id, content_hash, message_type, version FROM inbox WHERE control_id = 'LATIN0001'`;
    // sealed at rest, the very bytes once opened
    expect(row!.raw.equals(msg)).toBe(false);
    expect(openInboxRaw(row!).equals(msg)).toBe(true);
    expect(row).toMatchObject({ charset: '8859/1', sender_app: 'LAB', message_type: 'ORU^R01', version: '2.5.1' });
  });

  it('answers enhanced mode (MSH-15/16) with a commit ACK CA', async () => {
    const c = await client();
    expect(readAck((await c.send(toWire(fixture('spine/oru-r01-enhanced.hl7')))).toString('latin1'))).toMatchObject({ code: 'CA', controlId: 'ENH0001' });
    c.close();
  });

  it('answers a batch with a batch of ACKs and stores each message', async () => {
    const c = await client();
    const reply = (await c.send(toWire(fixture('spine/batch.hl7')))).toString('latin1');
    c.close();
    expect(reply.startsWith('BHS|')).toBe(true);
    expect(reply.match(/MSA\|AA\|BATCHMSG\d/g)).toEqual(['MSA|AA|BATCHMSG1', 'MSA|AA|BATCHMSG2']);
    expect(reply).toMatch(/BTS\|2\r$/);
    const rows = await db.sql`SELECT control_id FROM inbox WHERE control_id LIKE 'BATCHMSG%' ORDER BY control_id`;
    expect(rows.map((r) => r.control_id)).toEqual(['BATCHMSG1', 'BATCHMSG2']);
  });

  it('stores two messages sent in one frame without a batch header as two messages', async () => {
    const c = await client();
    const reply = (await c.send(toWire(fixture('spine/two-messages.hl7')))).toString('latin1');
    c.close();
    expect(reply.match(/MSA\|AA\|ADT000\d/g)).toEqual(['MSA|AA|ADT0001', 'MSA|AA|ADT0002']);
    const rows = await db.sql`SELECT control_id, message_type FROM inbox WHERE control_id IN ('ADT0001', 'ADT0002') ORDER BY control_id`;
    expect(rows.map((r) => [r.control_id, r.message_type])).toEqual([['ADT0001', 'ADT^A01'], ['ADT0002', 'ADT^A08']]);
  });

  const bad: { name: string; make: () => Buffer; code: string; controlId?: string }[] = [
    { name: 'an empty frame', make: () => Buffer.alloc(0), code: 'AR' },
    { name: 'no MSH', make: () => toWire(fixture('spine/bad/no-msh.hl7')), code: 'AR' },
    { name: 'bad delimiters', make: () => toWire(fixture('spine/bad/bad-delimiters.hl7')), code: 'AR', controlId: 'BADDELIM1' },
    { name: 'a truncated message', make: () => toWire(fixture('spine/bad/truncated.hl7')), code: 'AE', controlId: 'TRUNCATED1' },
    { name: 'binary garbage', make: () => fixture('spine/bad/binary-garbage.bin'), code: 'AR' },
    { name: 'an unknown version', make: () => toWire(fixture('spine/bad/unknown-version.hl7')), code: 'AR', controlId: 'BADVER1' },
    { name: 'an unknown message type', make: () => toWire(fixture('spine/bad/unknown-type.hl7')), code: 'AR', controlId: 'BADTYPE1' },
    { name: 'a missing MSH-10', make: () => toWire(fixture('spine/bad/missing-control-id.hl7')), code: 'AE', controlId: '' },
    { name: 'an MSH-10 longer than the standard allows', make: () => withControlId('spine/oru-r01.hl7', 'X'.repeat(3000)), code: 'AR', controlId: 'X'.repeat(3000) },
    // PostgreSQL text cannot hold a NUL: the refused input must still be kept
    { name: 'an unknown type with a NUL in MSH-10', make: () => Buffer.from(toWire(fixture('spine/bad/unknown-type.hl7')).toString('latin1').replace('|BADTYPE1|', '|BAD\u0000TYPE|'), 'latin1'), code: 'AR' },
    { name: 'bad delimiters with a NUL in MSH-10', make: () => Buffer.from(toWire(fixture('spine/bad/bad-delimiters.hl7')).toString('latin1').replace('|BADDELIM1|', '|BAD\u0000DELIM|'), 'latin1'), code: 'AR' },
    { name: 'a 2 MiB frame', make: () => Buffer.concat([withControlId('spine/oru-r01.hl7', 'HUGE1'), Buffer.alloc(2 * 1024 * 1024, 0x41)]), code: 'AR', controlId: 'HUGE1' },
  ];
  it.each(bad)('answers $name with $code, keeps the bytes in `rejected`, and keeps serving', async ({ name, make, code, controlId }) => {
    const rejectedBefore = await count('rejected');
    const c = await client();
    const ack = readAck((await c.send(make())).toString('latin1'));
    expect(ack.code).toBe(code);
    if (controlId !== undefined) expect(ack.controlId).toBe(controlId);
    expect(await count('rejected')).toBe(rejectedBefore + 1);
    // the same connection still works
    expect(readAck((await c.send(withControlId('spine/adt-a01.hl7', `AFTER-${name.replace(/\W/g, '')}`))).toString('latin1')).code).toBe('AA');
    c.close();
  });

  it('answers every public sample with a clear ACK echoing MSH-10, and keeps serving', async () => {
    const files = publicSamples();
    expect(files.length).toBeGreaterThan(0);
    const mustReject = ['nhapi-BAD-fuzz-sys1-msh-only.hl7', 'nodehl7complete-ADT_A01-v23-single-line-space-separated.hl7'];
    const c = await client();
    for (const f of files) {
      const msg = toWire(readFileSync(path.join(PUBLIC_SAMPLES, f)));
      const ack = readAck((await c.send(msg)).toString('latin1'));
      const mshLine = msg.toString('latin1').split('\r')[0]!;
      const controlId = mshLine.split(mshLine[3] ?? '|')[9] ?? '';
      expect(ack.controlId, f).toBe(controlId);
      const type = mshLine.split('|')[8] ?? '';
      if (mustReject.includes(f)) expect(['AE', 'AR'], f).toContain(ack.code);
      else if (/^(ORU\^R01|ADT\^A0[14])/.test(type)) expect(['AA', 'CA'], f).toContain(ack.code);
      else expect(['AE', 'AR', 'CE', 'CR'], f).toContain(ack.code); // unsupported types (OMD, MDM)
    }
    c.close();
  });

  it('closes a connection whose sender stalls inside a frame, and others are unaffected', async () => {
    const slow = await startMllpHarness(db.sql, { frameTimeoutMs: 200 });
    const sock = net.connect({ port: slow.port, host: '127.0.0.1' });
    await new Promise((r) => sock.once('connect', r));
    sock.write(Buffer.from('\x0bMSH|^~\\&|SLOW'));
    const closed = await new Promise<boolean>((r) => { sock.once('close', () => r(true)); setTimeout(() => r(false), 3000); });
    expect(closed).toBe(true);
    const c = new MllpClient({ port: slow.port });
    await c.connect();
    expect(readAck((await c.send(withControlId('spine/adt-a01.hl7', 'NOTSLOW'))).toString('latin1')).code).toBe('AA');
    c.close();
    await slow.close();
  });

  it('answers many frames written back to back in one write, in order', async () => {
    const c = await client();
    const frames = Array.from({ length: 20 }, (_, i) => frame(withControlId('spine/adt-a01.hl7', `PIPE${i}`)));
    c.writeRaw(Buffer.concat(frames));
    const acks: string[] = [];
    for (let i = 0; i < 20; i++) acks.push(readAck((await c.nextReply()).toString('latin1')).controlId);
    expect(acks).toEqual(Array.from({ length: 20 }, (_, i) => `PIPE${i}`));
    c.close();
  });
});
