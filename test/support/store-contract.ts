// The store's SQL contract, run against the test database (main suite) and against each PostgreSQL
// major in containers (test:pg-versions): migrations, group commit with dedupe across concurrent
// batches, SKIP LOCKED claims, LISTEN/NOTIFY.
import { createHash } from 'node:crypto';
import { expect, it } from 'vitest';
import type { Sql } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';
import { InboxWriter, type InboxRow } from '../../src/ingest/inbox-writer.js';
import { claimInboxRows, listenInbox, type PriorityRange } from '../../src/store/inbox.js';
import { openInboxRaw } from './stored.js';

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
    const [stored] = await db()<{ raw: Buffer; sender_app: string; sender_facility: string; control_id: string; content_hash: Buffer }[]>`
      SELECT raw, sender_app, sender_facility, control_id, content_hash FROM inbox WHERE control_id = 'V7'`;
    expect(openInboxRaw(stored!).equals(row('V7').raw)).toBe(true);
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

  it('lets two claimers take disjoint rows (the project\'s claim: FOR UPDATE SKIP LOCKED)', async () => {
    const writer = new InboxWriter(db(), { maxBatch: 64 });
    // one sender, twenty patients: nothing orders these rows against each other
    await Promise.all(Array.from({ length: 20 }, (_, i) => writer.accept({ ...row(`CLAIM${i}`), senderApp: 'CLAIMS', orderPatient: `p${i}` })));
    const claim = () => claimInboxRows(db(), { claimMs: 60_000, limit: 15 });
    const [a, b] = await Promise.all([claim(), claim()]);
    const claimed = [...a, ...b];
    const ids = claimed.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    const [n] = await db()<{ n: number }[]>`SELECT count(*)::int AS n FROM inbox WHERE control_id LIKE 'CLAIM%' AND state = 'processing' AND id = ANY(${ids}::bigint[])`;
    expect(n!.n).toBe(20);
  });

  it('never claims a row while an earlier row of its sender and patient is in flight; takes consecutive ones together', async () => {
    const writer = new InboxWriter(db(), { maxBatch: 64 });
    await writer.accept({ ...row('ORD1'), senderApp: 'ORDERS', orderPatient: 'same' });
    const mine = async (rows: { id: string }[]) => (await db()<{ control_id: string }[]>`
      SELECT control_id FROM inbox WHERE id = ANY(${rows.map((r) => r.id)}::bigint[]) AND sender_app = 'ORDERS' ORDER BY id`).map((r) => r.control_id);
    expect(await mine(await claimInboxRows(db(), { claimMs: 60_000, limit: 100 }))).toEqual(['ORD1']);
    // ORD1 in flight: ORD2 and ORD3 wait, on this claimer and any other
    for (const c of ['ORD2', 'ORD3']) await writer.accept({ ...row(c), senderApp: 'ORDERS', orderPatient: 'same' });
    expect(await mine(await claimInboxRows(db(), { claimMs: 60_000, limit: 100 }))).toEqual([]);
    await db()`UPDATE inbox SET state = 'processed' WHERE control_id = 'ORD1' AND sender_app = 'ORDERS'`;
    // ORD2 and ORD3, consecutive and both pending: one claim, in stored order
    const next = await claimInboxRows(db(), { claimMs: 60_000, limit: 100 });
    expect(await mine(next)).toEqual(['ORD2', 'ORD3']);
    expect(next.map((r) => Number(r.id))).toEqual(next.map((r) => Number(r.id)).sort((a, b) => a - b));
  });

  it('cuts a patient\'s chain of rows at a row without a patient (ordered per sender)', async () => {
    const writer = new InboxWriter(db(), { maxBatch: 64 });
    await writer.accept({ ...row('CUT1'), senderApp: 'CUTS', orderPatient: 'p' });
    await writer.accept({ ...row('CUT2'), senderApp: 'CUTS', orderPatient: null });
    await writer.accept({ ...row('CUT3'), senderApp: 'CUTS', orderPatient: 'p' });
    const mine = async (rows: { id: string }[]) => (await db()<{ control_id: string }[]>`
      SELECT control_id FROM inbox WHERE id = ANY(${rows.map((r) => r.id)}::bigint[]) AND sender_app = 'CUTS' ORDER BY id`).map((r) => r.control_id);
    expect(await mine(await claimInboxRows(db(), { claimMs: 60_000, limit: 100 }))).toEqual(['CUT1']);
    await db()`UPDATE inbox SET state = 'processed' WHERE control_id = 'CUT1' AND sender_app = 'CUTS'`;
    expect(await mine(await claimInboxRows(db(), { claimMs: 60_000, limit: 100 }))).toEqual(['CUT2']);
    await db()`UPDATE inbox SET state = 'processed' WHERE control_id = 'CUT2' AND sender_app = 'CUTS'`;
    expect(await mine(await claimInboxRows(db(), { claimMs: 60_000, limit: 100 }))).toEqual(['CUT3']);
  });

  it('wakes listeners on commit', async () => {
    let resolve!: (p: string) => void;
    const got = new Promise<string>((r) => { resolve = r; });
    const sub = await db().listen('switchboard_inbox', (p) => resolve(p));
    await new InboxWriter(db(), { maxBatch: 8 }).accept(row('NOTIFY1'));
    // the payload names the batch's most and least urgent priorities (0: routine) and its size
    await expect(got).resolves.toBe('0:0:1');
    await sub.unlisten();
  });

  it('reads the priorities of every payload form, an earlier version\'s most urgent one alone included', async () => {
    const seen: (PriorityRange | undefined)[] = [];
    const stop = await listenInbox(db(), (p) => seen.push(p));
    for (const payload of ['3:1:7', '3:1', '2', '', 'x', '1:3:1']) await db()`SELECT pg_notify('switchboard_inbox', ${payload})`;
    for (let i = 0; i < 200 && seen.length < 6; i++) await new Promise((r) => setTimeout(r, 10));
    await stop();
    // '2' may hold routine rows too (min 0); '1:3' is read as no more than its most urgent; no size: unknown
    expect(seen).toEqual([{ max: 3, min: 1, rows: 7 }, { max: 3, min: 1 }, { max: 2, min: 0 }, undefined, undefined, { max: 1, min: 1, rows: 1 }]);
  });
}
