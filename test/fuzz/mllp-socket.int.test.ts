// Hostile bytes over real MLLP sockets: random chunks with and without frame characters, broken
// frames, half-open connections. The listener must neither crash nor stop answering good senders.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import fc from 'fast-check';
import { MllpClient, readAck } from '../../src/hl7/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startMllpHarness, type MllpHarness } from '../support/harness.js';
import { withControlId } from '../support/messages.js';

let db: TestDatabase;
let gw: MllpHarness;
beforeAll(async () => {
  db = await createTestDatabase();
  gw = await startMllpHarness(db.sql, { maxFrameBytes: 64 * 1024, frameTimeoutMs: 2000 });
});
afterAll(async () => {
  await gw.close();
  await db.drop();
});

/** Opens a raw socket, writes the chunks, reads whatever comes back for a moment, closes. */
async function blast(chunks: Uint8Array[]): Promise<Buffer> {
  const sock = net.connect({ port: gw.port, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject); });
  const got: Buffer[] = [];
  sock.on('data', (d: Buffer) => got.push(d));
  sock.on('error', () => {});
  for (const c of chunks) sock.write(c);
  await new Promise((r) => setTimeout(r, 30));
  sock.destroy();
  return Buffer.concat(got);
}

const byte = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x0b, 0x1c, 0x0d, 0x7c, 0x5e));
const chunk = fc.oneof(
  fc.array(byte, { maxLength: 300 }).map((a) => Uint8Array.from(a)),
  fc.constantFrom('MSH|^~\\&|A|B|C|D|2026||ORU^R01|F1|P|2.5.1\r', '\x0bMSH|', '\x1c\r', '\x0b\x1c\r', 'OBX|1|NM|x||1\r').map((s) => Buffer.from(s, 'latin1')),
);

describe('MLLP listener under hostile input', () => {
  it('property: random byte streams never crash it, and whatever it answers is a framed ACK', async () => {
    await fc.assert(fc.asyncProperty(fc.array(chunk, { minLength: 1, maxLength: 12 }), async (chunks) => {
      const reply = await blast(chunks);
      // whatever came back is well-framed MLLP carrying an MSA
      const text = reply.toString('latin1');
      for (const part of text.split('\x1c\r').filter((p) => p.length)) expect(part).toMatch(/^\x0b(MSH|BHS)[\s\S]*MSA\|/);
    }), { numRuns: 150 });
    // still serving good senders
    const c = new MllpClient({ port: gw.port });
    await c.connect();
    expect(readAck((await c.send(withControlId('spine/adt-a01.hl7', 'FUZZ-AFTER'))).toString('latin1')).code).toBe('AA');
    c.close();
  }, 60_000);

  it('survives many connections that open, send half a frame and vanish', async () => {
    await Promise.all(Array.from({ length: 50 }, () => blast([Buffer.from('\x0bMSH|^~\\&|HALF')])));
    // every vanished connection is released (no leaked sockets or half frames)
    for (let i = 0; i < 50 && gw.listener.connectionCount > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(gw.listener.connectionCount).toBe(0);
    const c = new MllpClient({ port: gw.port });
    await c.connect();
    expect(readAck((await c.send(withControlId('spine/adt-a01.hl7', 'HALF-AFTER'))).toString('latin1')).code).toBe('AA');
    c.close();
  });

  it('answers an oversize frame from a sender that keeps sending, without buffering it', async () => {
    const big = Buffer.concat([withControlId('spine/oru-r01.hl7', 'BIG-STREAM'), Buffer.alloc(512 * 1024, 0x41)]);
    const c = new MllpClient({ port: gw.port });
    await c.connect();
    const ack = readAck((await c.send(big)).toString('latin1'));
    expect(ack).toMatchObject({ code: 'AR', controlId: 'BIG-STREAM' });
    c.close();
  });
});
