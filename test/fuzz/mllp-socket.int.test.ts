// Hostile bytes over real MLLP sockets: random chunks with and without frame characters, broken
// frames, half-open connections. The listener must neither crash nor stop answering good senders.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import fc from 'fast-check';
import { frame, readAck } from '../../src/hl7/index.js';
import { MllpClient } from '../../src/mllp/index.js';
import { MllpFramer } from '../../src/hl7/frame.js';
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

/**
 * Writes the chunks, then an end block (closing any frame left open) and a good message as a
 * sentinel; reads replies until the sentinel's ACK arrives. Replies come in order per connection, so
 * by then every frame before it has been answered: returns every reply payload.
 */
async function exchange(chunks: Uint8Array[], sentinel: string): Promise<{ sent: Buffer; replies: Buffer[] }> {
  const sent = Buffer.concat([...chunks, Buffer.from('\x1c\r', 'latin1'), frame(withControlId('spine/adt-a01.hl7', sentinel))]);
  const sock = net.connect({ port: gw.port, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject); });
  const framer = new MllpFramer(1024 * 1024);
  const replies: Buffer[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ACK for the sentinel; ${replies.length} replies`)), 10_000);
      sock.on('data', (d: Buffer) => {
        for (const ev of framer.push(d)) {
          replies.push(ev.kind === 'frame' ? ev.payload : ev.head);
          if (readAck(replies[replies.length - 1]!.toString('latin1')).controlId === sentinel) { clearTimeout(timer); resolve(); }
        }
      });
      sock.once('close', () => { clearTimeout(timer); reject(new Error('connection closed before the sentinel was answered')); });
      sock.on('error', () => {});
      sock.write(sent);
    });
  } finally {
    sock.destroy();
  }
  return { sent, replies };
}

const byte = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x0b, 0x1c, 0x0d, 0x7c, 0x5e));
const chunk = fc.oneof(
  fc.array(byte, { maxLength: 300 }).map((a) => Uint8Array.from(a)),
  fc.constantFrom('MSH|^~\\&|A|B|C|D|2026||ORU^R01|F1|P|2.5.1\r', '\x0bMSH|', '\x1c\r', '\x0b\x1c\r', 'OBX|1|NM|x||1\r').map((s) => Buffer.from(s, 'latin1')),
);

describe('MLLP listener under hostile input', () => {
  it('property: random byte streams never crash it, and every frame gets exactly one framed ACK, in order', async () => {
    let run = 0;
    await fc.assert(fc.asyncProperty(fc.array(chunk, { minLength: 1, maxLength: 12 }), async (chunks) => {
      const sentinel = `FUZZ-SENTINEL-${run++}`;
      const { sent, replies } = await exchange(chunks, sentinel);
      // as many answers as the stream holds frames (the listener's own framer, same limit, same bytes)
      const frames = new MllpFramer(64 * 1024).push(sent);
      expect(replies.length).toBe(frames.length);
      for (const r of replies) expect(r.toString('latin1')).toMatch(/^(MSH|BHS)[\s\S]*MSA\|/);
      expect(readAck(replies[replies.length - 1]!.toString('latin1')).code).toBe('AA');
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
