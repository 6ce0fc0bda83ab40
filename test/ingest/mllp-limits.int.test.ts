// Connection caps must not let idle sockets lock the real sender out: at the cap (in all, or per
// address) the oldest idle connection is closed to admit the new one; a connection in the middle of
// a message is never closed for a newcomer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import { readAck } from '../../src/hl7/index.js';
import { MllpClient } from '../../src/mllp/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startMllpHarness } from '../support/harness.js';
import { withControlId } from '../support/messages.js';

let db: TestDatabase;
beforeAll(async () => { db = await createTestDatabase(); });
afterAll(async () => { await db.drop(); });

async function openIdle(port: number, n: number, write?: string): Promise<{ socks: net.Socket[]; closed: () => number }> {
  let closed = 0;
  const socks: net.Socket[] = [];
  for (let i = 0; i < n; i++) {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.on('error', () => {});
    s.on('close', () => closed++);
    await new Promise((r) => s.once('connect', r));
    if (write) s.write(write);
    socks.push(s);
    await new Promise((r) => setTimeout(r, 5)); // distinct ages
  }
  return { socks, closed: () => closed };
}

async function sendOne(port: number, id: string): Promise<string> {
  const c = new MllpClient({ port, timeoutMs: 5000 });
  await c.connect();
  try {
    return readAck((await c.send(withControlId('spine/adt-a01.hl7', id))).toString('latin1')).code;
  } finally {
    c.close();
  }
}

const settle = () => new Promise((r) => setTimeout(r, 100));

describe('MLLP connection caps', () => {
  it('total cap: 60 idle sockets against a cap of 50 do not lock the real sender out; the oldest idle ones go', async () => {
    const h = await startMllpHarness(db.sql, { maxConnections: 50 });
    const idle = await openIdle(h.port, 60);
    await settle();
    expect(h.listener.connectionCount).toBe(50);
    expect(await sendOne(h.port, 'CAP-TOTAL')).toBe('AA');
    await settle();
    expect(idle.closed()).toBe(11); // ten to admit the last idle ones, one for the sender
    // the oldest went first
    expect(idle.socks.slice(0, 11).every((s) => s.destroyed)).toBe(true);
    expect(idle.socks.slice(11).some((s) => s.destroyed)).toBe(false);
    idle.socks.forEach((s) => s.destroy());
    await h.close();
  });

  it('per-address cap: a sender over it loses its oldest idle connection, not the new one', async () => {
    const h = await startMllpHarness(db.sql, { maxConnections: 100, maxConnectionsPerAddress: 4 });
    const idle = await openIdle(h.port, 4);
    expect(await sendOne(h.port, 'CAP-ADDR')).toBe('AA');
    await settle();
    expect(idle.closed()).toBe(1);
    expect(idle.socks[0]!.destroyed).toBe(true);
    idle.socks.forEach((s) => s.destroy());
    await h.close();
  });

  it('busy connections (a frame under way) are never closed for a newcomer: the newcomer is refused', async () => {
    const h = await startMllpHarness(db.sql, { maxConnections: 3, frameTimeoutMs: 30_000 });
    const busy = await openIdle(h.port, 3, '\x0bMSH|^~\\&|SLOW');
    await settle();
    const extra = net.connect({ port: h.port, host: '127.0.0.1' });
    extra.on('error', () => {});
    const refused = await new Promise<boolean>((r) => { extra.once('close', () => r(true)); setTimeout(() => r(false), 3000); });
    expect(refused).toBe(true);
    expect(busy.closed()).toBe(0);
    busy.socks.forEach((s) => s.destroy());
    await h.close();
  });
});
