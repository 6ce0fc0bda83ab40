// The store's SQL contract, run against the test database (main suite) and against each PostgreSQL
// major in containers (test:pg-versions): migrations, group commit with dedupe across concurrent
// batches, SKIP LOCKED claims, LISTEN/NOTIFY.
import { createHash } from 'node:crypto';
import { expect, it } from 'vitest';
import type { Sql } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';
import { InboxWriter, type InboxRow } from '../../src/ingest/inbox-writer.js';

const row = (controlId: string, ack = `ack ${controlId}`, body = ''): InboxRow => {
  const raw = Buffer.from(`raw ${controlId} \u0000\u00ff${body}`, 'latin1');
  return {
    source: 'mllp', senderApp: 'A', senderFacility: 'B', controlId, messageType: 'ORU^R01', version: '2.5.1',
    charset: 'ASCII', raw, peer: null, ackMode: 'original', ack: Buffer.from(ack), contentHash: createHash('sha256').update(raw).digest(),
  };
};

export function defineStoreContract(db: () => Sql): void {
  it('applies the migrations once', async () => {
    expect(await migrate(db())).toEqual([]);
  });

  it('group-commits new rows and recognises duplicates, also across concurrent batches', async () => {
    const writer = new InboxWriter(db(), { maxBatch: 8, maxInFlight: 4 });
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => writer.accept(row(`V${i % 50}`))));
    expect(results.filter((r) => !r.duplicate)).toHaveLength(50);
    expect(new Set(results.map((r) => r.id)).size).toBe(50);
    for (const [i, r] of results.entries()) expect(r.ack?.toString()).toBe(`ack V${i % 50}`);
    const [stored] = await db()<{ raw: Buffer }[]>`SELECT raw FROM inbox WHERE control_id = 'V7'`;
    expect(stored!.raw.equals(row('V7').raw)).toBe(true);
  });

  it('refuses only the row the store cannot take, not the others of its batch', async () => {
    const writer = new InboxWriter(db(), { maxBatch: 16 });
    // PostgreSQL text cannot hold a NUL: this row's insert fails (intake never lets one through; this is the backstop)
    const rows = [row('P1'), row('P2'), row('P\u00003'), row('P4'), row('P1')];
    const settled = await Promise.allSettled(rows.map((r) => writer.accept(r)));
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value.duplicate : null))).toEqual([false, false, null, false, true]);
    const stored = await db()<{ control_id: string }[]>`SELECT control_id FROM inbox WHERE control_id LIKE 'P_' ORDER BY control_id`;
    expect(stored.map((r) => r.control_id)).toEqual(['P1', 'P2', 'P4']);
  });

  it('gives a duplicate the original ACK, not its own', async () => {
    const writer = new InboxWriter(db(), { maxBatch: 8 });
    await writer.accept(row('ORIG1', 'first ack'));
    const again = await writer.accept(row('ORIG1', 'second ack'));
    expect(again).toMatchObject({ duplicate: true });
    expect(again.ack?.toString()).toBe('first ack');
  });

  it('stores the same sender and control id with other content as a new row, flagged, and its resend as a duplicate', async () => {
    const writer = new InboxWriter(db(), { maxBatch: 8 });
    const first = await writer.accept(row('REUSE1', 'first ack'));
    // in one batch: the corrected one, its resend, and a resend of the first
    const [second, secondAgain, firstAgain] = await Promise.all([
      writer.accept(row('REUSE1', 'second ack', ' corrected')), writer.accept(row('REUSE1', 'third ack', ' corrected')), writer.accept(row('REUSE1', 'x')),
    ]);
    expect(first).toMatchObject({ duplicate: false, controlIdReused: false });
    expect(second).toMatchObject({ duplicate: false, controlIdReused: true });
    expect(second!.id).not.toBe(first.id);
    expect(secondAgain).toMatchObject({ duplicate: true, id: second!.id });
    expect(secondAgain!.ack?.toString()).toBe('second ack');
    expect(firstAgain).toMatchObject({ duplicate: true, id: first.id });
    expect(firstAgain!.ack?.toString()).toBe('first ack');
    const stored = await db()<{ control_id_reused: boolean }[]>`SELECT control_id_reused FROM inbox WHERE control_id = 'REUSE1' ORDER BY id`;
    expect(stored.map((r) => r.control_id_reused)).toEqual([false, true]);
  });

  it('lets two claimers take disjoint rows (FOR UPDATE SKIP LOCKED)', async () => {
    const writer = new InboxWriter(db(), { maxBatch: 64 });
    await Promise.all(Array.from({ length: 20 }, (_, i) => writer.accept(row(`CLAIM${i}`))));
    const claim = () => db()<{ id: string }[]>`
      UPDATE inbox SET state = 'processing' WHERE id IN (
        SELECT id FROM inbox WHERE state = 'received' AND control_id LIKE 'CLAIM%' ORDER BY id LIMIT 10 FOR UPDATE SKIP LOCKED)
      RETURNING id::text`;
    const [a, b] = await Promise.all([claim(), claim()]);
    const ids = [...a, ...b].map((r) => r.id);
    expect(ids.length).toBe(20);
    expect(new Set(ids).size).toBe(20);
  });

  it('wakes listeners on commit', async () => {
    let resolve!: (p: string) => void;
    const got = new Promise<string>((r) => { resolve = r; });
    const sub = await db().listen('switchboard_inbox', (p) => resolve(p));
    await new InboxWriter(db(), { maxBatch: 8 }).accept(row('NOTIFY1'));
    await expect(got).resolves.toBe('');
    await sub.unlisten();
  });
}
