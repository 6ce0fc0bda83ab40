// Two group commits in flight (INGEST_MAX_IN_FLIGHT=2) and the order of a sender's messages about
// one patient: while a row is in flight, a later row of its order group (same sender and patient;
// a row without a patient: the whole sender) waits for it, so rows of one group commit — and get
// their ids — in the order they were accepted, as with one commit in flight. Rows of other groups
// take the second slot meanwhile. The first row's commit is held by a transaction of the test that
// inserted the same key and has not committed (ON CONFLICT waits for it).
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InboxWriter } from '../../src/ingest/index.js';
import { connect, insertInboxRows, type InboxRow, type Sql } from '../../src/store/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

let db: TestDatabase;
let sql: Sql;
let blocker: Sql;

beforeAll(async () => {
  db = await createTestDatabase();
  sql = connect(db.url, { max: 4 });
  blocker = connect(db.url, { max: 1 });
});
afterAll(async () => {
  await sql.end({ timeout: 1 });
  await blocker.end({ timeout: 1 });
  await db.drop();
});

type AcceptResult = Awaited<ReturnType<InboxWriter['accept']>>;

const row = (controlId: string, patient: string | null, sender = 'LAB'): InboxRow => ({
  source: 'mllp', senderApp: sender, senderFacility: 'NORTH', controlId, messageType: 'ADT^A08', version: '2.5.1', charset: null,
  raw: Buffer.from(`MSH|^~\\&|${sender}|NORTH|||20260101||ADT^A08|${controlId}|P|2.5.1\r`), peer: null, ackMode: 'original', ack: null,
  contentHash: createHash('sha256').update(controlId).digest(), orderPatient: patient,
});

const stored = async (controlId: string) => (await sql<{ id: string }[]>`SELECT id::text FROM inbox WHERE control_id = ${controlId}`)[0]?.id;
const settled = async <T>(p: Promise<T>, ms: number): Promise<T | 'pending'> =>
  Promise.race([p, new Promise<'pending'>((r) => setTimeout(() => r('pending'), ms))]);

describe('the group commit with two transactions in flight', () => {
  it('keeps a sender-and-patient group in accepted order while other groups commit beside it', async () => {
    const writer = new InboxWriter(sql, { maxBatch: 64, maxInFlight: 2 });
    const held = await blocker.reserve();
    let all: Promise<AcceptResult[]>;
    try {
      await held`BEGIN`;
      await insertInboxRows(held as unknown as Sql, [row('A1', 'p1')], { notify: false });
      const a = writer.accept(row('A1', 'p1')); // in flight, waiting on the held insert of its key
      await new Promise((r) => setTimeout(r, 100));
      const b = writer.accept(row('A2', 'p1')); // same sender and patient: must wait for A1
      const c = writer.accept(row('C1', 'p2')); // another patient: takes the second slot now
      const d = writer.accept(row('D1', null)); // no patient: waits for every earlier row of the sender
      const e = writer.accept(row('E1', 'p1', 'OTHERLAB')); // another sender, same patient digest: free
      all = Promise.all([a, b, c, d]);
      expect(await settled(c, 5_000)).not.toBe('pending');
      expect(await settled(e, 5_000)).not.toBe('pending');
      expect(await settled(b, 300)).toBe('pending');
      expect(await stored('A2')).toBeUndefined();
      expect(await stored('D1')).toBeUndefined();
      await held`ROLLBACK`;
    } finally {
      held.release();
    }
    // the held insert rolled back: A1 is stored by the writer, then A2, then D1
    const [ra, rb, rc, rd] = await all;
    expect([ra, rb, rc, rd].map((r) => r!.duplicate)).toEqual([false, false, false, false]);
    const id = (r: AcceptResult | undefined) => BigInt(r!.id);
    expect(id(ra) < id(rb)).toBe(true);
    expect(id(rb) < id(rd)).toBe(true);
    expect(id(rc) < id(rd)).toBe(true);
  });
});
