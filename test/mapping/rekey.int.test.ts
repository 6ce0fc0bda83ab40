// Keyed resource ids in the store: the installation's key (migration 006, src/store/id-key.ts) and the
// one-time re-keying of a database whose resources were stored under the unkeyed MurmurHash3 ids
// (src/resource-ids.ts): afterwards every id, reference and synthetic identifier is the keyed one,
// and mapping the same messages again updates those resources instead of adding new ones.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Resource } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callNoteSchema } from '../../src/calls/index.js';
import { saveTransactionBundle } from '../../src/fhir/index.js';
import { type Hl7Message, parseHl7Input } from '../../src/hl7/index.js';
import { mapCallNoteWith } from '../../src/mapping/call-note.js';
import { LEGACY_IDS } from '../../src/mapping/legacy-ids.js';
import { mapWith } from '../../src/mapping/map-message.js';
import { mapCallNote, mapHl7Message, type MappingResult } from '../../src/mapping/index.js';
import { createLogger } from '../../src/obs/index.js';
import { prepareResourceIds } from '../../src/resource-ids.js';
import { ensureIdKey, IdKeyMismatchError, insertInboxRows, readIdKey, rekeyPending } from '../../src/store/index.js';
import { listMigrations, migrate } from '../../src/store/migrate.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { identifierEntry, storedResources } from '../support/stored.js';
import { CONFIG, FIXTURES } from './golden.js';

const KEY = randomBytes(32);
const log = createLogger('error', () => {});
const T0 = new Date('2024-03-06T12:00:00Z');

/** What the old gateway stored: ORUs and ADTs (Encounters with and without visit numbers), call notes. */
const HL7 = ['adt/a01-admit.hl7', 'oru/potassium-critical-hh.hl7', 'oru/two-order-groups.hl7', 'oru/ed-base64-pdf.hl7', 'oru/repeated-obx-blank-subid.hl7', 'adt/a03-discharge.hl7', 'adt/a01-a08-no-visit-number.hl7', 'adt/a01-a08-no-visit-number-no-admit-time.hl7', 'oru/two-patients.hl7'];
const CALLS = ['family-urgent-known-mrn.json', 'hospital-routine-unknown-patient.json'];

interface Stored { kind: 'hl7'; message: Hl7Message; inboxId: string; receivedAt: Date }
interface StoredCall { kind: 'call'; json: string; inboxId: string; receivedAt: Date }

const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();
const uuidOf = (fullUrl: string): string => fullUrl.slice('urn:uuid:'.length);

async function store(db: TestDatabase, map: (s: Stored | StoredCall) => MappingResult, items: (Stored | StoredCall)[], at: Date): Promise<void> {
  for (const s of items) await saveTransactionBundle(db.sql, map(s).bundle, { inboxId: s.inboxId, now: at });
}

const legacy = (s: Stored | StoredCall): MappingResult => s.kind === 'hl7'
  ? mapWith(s.message, CONFIG, LEGACY_IDS)
  : mapCallNoteWith(callNoteSchema.parse(JSON.parse(s.json)), { id: s.inboxId, receivedAt: s.receivedAt.toISOString() }, CONFIG, LEGACY_IDS);
const keyed = (s: Stored | StoredCall): MappingResult => s.kind === 'hl7'
  ? mapHl7Message(s.message, CONFIG, { idKey: KEY })
  : mapCallNote(callNoteSchema.parse(JSON.parse(s.json)), { id: s.inboxId, receivedAt: s.receivedAt.toISOString() }, CONFIG, { idKey: KEY });

interface Row { resource_type: string; id: string; identifiers: string[]; subject: string | null; resource: Resource }
// the resources are sealed at rest: opened as the store reads them (test/support/stored.ts)
const rows = async (db: TestDatabase): Promise<Row[]> => {
  const opened = new Map((await storedResources(db.sql)).map((r) => [`${r.resource_type}/${r.id}`, r.resource]));
  return (await db.sql<Omit<Row, 'resource'>[]>`SELECT resource_type, id, identifiers, subject FROM fhir_resource ORDER BY resource_type, id`)
    .map((r) => ({ ...r, resource: opened.get(`${r.resource_type}/${r.id}`)! }));
};

/** Every `reference` string in a resource. */
function references(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) for (const x of v) references(x, out);
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (k === 'reference' && typeof x === 'string') out.push(x);
      else references(x, out);
    }
  }
  return out;
}

describe('re-keying a store of unkeyed ids', () => {
  let db: TestDatabase;
  const items: (Stored | StoredCall)[] = [];
  let before: Row[];
  let oldUuids: Set<string>;
  let held: string;

  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
    await migrate(db.sql, listMigrations().filter((m) => m.version !== 6)); // the database as it was: every table but 006's
    const messages = HL7.flatMap((f) => {
      const input = parseHl7Input(readFileSync(`${FIXTURES}/${f}`));
      return input.kind === 'batch' ? input.messages : [input.message];
    });
    for (const m of messages) {
      const [row] = await insertInboxRows(db.sql, [{ source: 'mllp', senderApp: m.header.sendingApplication, senderFacility: m.header.sendingFacility, controlId: m.header.controlId, messageType: m.typeName, version: m.header.version, charset: m.charset, raw: Buffer.from(m.text, 'latin1'), peer: null, ackMode: 'original', ack: null, contentHash: sha256(m.text) }], { notify: false });
      items.push({ kind: 'hl7', message: m, inboxId: row!.id, receivedAt: T0 });
    }
    for (const f of CALLS) {
      const json = readFileSync(`${FIXTURES}/calls/${f}`, 'utf8');
      const [row] = await insertInboxRows(db.sql, [{ source: 'calls', senderApp: 'calls', senderFacility: '', controlId: f, messageType: 'CALL', version: null, charset: null, raw: Buffer.from(json), peer: null, ackMode: 'none', ack: null, contentHash: sha256(json) }], { notify: false });
      items.push({ kind: 'call', json, inboxId: row!.id, receivedAt: T0 });
    }
    await db.sql`UPDATE inbox SET state = 'processed', received_at = ${T0}`;
    await store(db, legacy, items, T0);
    before = await rows(db);
    oldUuids = new Set(items.flatMap((s) => legacy(s).bundle.entry!.map((e) => uuidOf(e.fullUrl!))));
    await migrate(db.sql); // 006
    // delivery has started a run for one of the asks (its tables came with a later migration)
    held = before.find((r) => r.resource_type === 'CommunicationRequest')!.id;
    await db.sql`INSERT INTO delivery_run (request_id, priority, policy, state, received_at, created_at, updated_at)
                 VALUES (${held}, 'stat', 'default', 'active', ${T0}, ${T0}, ${T0})`;
    oldUuids.delete(held);
  });
  afterAll(async () => { await db?.drop(); });

  it('starts with unkeyed ids stored, and migration 006 marks them for re-keying', async () => {
    expect(before.length).toBeGreaterThan(30);
    expect(before.every((r) => oldUuids.has(r.id) || r.id === held)).toBe(true);
    expect(await rekeyPending(db.sql)).toBe(true);
  });

  it('re-keys every id, reference and synthetic identifier, in one step that runs once', async () => {
    expect(await prepareResourceIds(db.sql, { pinned: KEY, config: CONFIG, log })).toEqual(KEY);
    expect(await rekeyPending(db.sql)).toBe(false);
    const after = await rows(db);
    const newUuids = new Set(items.flatMap((s) => keyed(s).bundle.entry!.map((e) => uuidOf(e.fullUrl!))));
    const ids = new Set(after.map((r) => `${r.resource_type}/${r.id}`));
    for (const r of after) {
      if (r.id === held) continue; // checked below
      expect(newUuids.has(r.id)).toBe(true);
      expect(r.resource.id).toBe(r.id);
      for (const ref of references(r.resource)) {
        if (/^[A-Z][A-Za-z]+\/[0-9a-f-]{36}$/.test(ref)) expect(ids.has(ref)).toBe(true); // intact: names a stored resource
      }
      if (r.subject?.includes('/')) expect(ids.has(r.subject)).toBe(true);
      const text = JSON.stringify(r);
      for (const old of oldUuids) expect(text).not.toContain(old);
    }
    // the keyed synthetic identifiers are the ones new messages will match on
    const synthetic = new Set(items.flatMap((s) => keyed(s).bundle.entry!.flatMap((e) => (e.resource as { identifier?: { system?: string; value?: string }[] }).identifier ?? []))
      .filter((i) => i.system === 'urn:ietf:rfc:3986').map((i) => identifierEntry(`${i.system}|${i.value}`)));
    // stored identifiers are keyed hashes: the synthetic ones are those whose clear form was urn:ietf:rfc:3986|...
    const rfc = (r: Row) => (r.resource as { identifier?: { system?: string; value?: string }[] }).identifier
      ?.filter((i) => i.system === 'urn:ietf:rfc:3986').map((i) => identifierEntry(`${i.system}|${i.value}`)) ?? [];
    for (const r of after) for (const i of rfc(r)) { expect(r.identifiers).toContain(i); expect(synthetic.has(i)).toBe(true); }
    // the ask delivery runs for keeps its id (delivery's records name it) but not its old identifier
    const ask = after.find((r) => r.id === held)!;
    expect(ask.resource_type).toBe('CommunicationRequest');
    expect(rfc(ask).every((i) => synthetic.has(i) && ask.identifiers.includes(i))).toBe(true);
    // the A01 and the A08 of one visit without a visit number were two Encounters; now they are one
    expect(after.length).toBeLessThan(before.length);
    expect(await prepareResourceIds(db.sql, { config: CONFIG, log })).toEqual(KEY); // nothing left to do
  });

  it('mapping the same messages again updates the re-keyed resources: no new resource appears', async () => {
    const count = (await rows(db)).length;
    await store(db, keyed, items, new Date(T0.getTime() + 60_000));
    expect((await rows(db)).length).toBe(count);
  });
});

describe('the installation id key', () => {
  let db: TestDatabase;
  beforeAll(async () => { db = await createTestDatabase(); });
  afterAll(async () => { await db?.drop(); });

  it('on a fresh store: nothing to re-key, and one random 256-bit key that every replica reads', async () => {
    expect(await rekeyPending(db.sql)).toBe(false);
    expect(await readIdKey(db.sql)).toBeUndefined();
    const keys = await Promise.all(Array.from({ length: 4 }, () => ensureIdKey(db.sql)));
    expect(keys[0]).toHaveLength(32);
    for (const k of keys) expect(k).toEqual(keys[0]);
    expect(await readIdKey(db.sql)).toEqual(keys[0]);
  });

  it('refuses a MAPPING_ID_KEY pin that differs from the stored key', async () => {
    const stored = await ensureIdKey(db.sql);
    await expect(ensureIdKey(db.sql, randomBytes(32))).rejects.toBeInstanceOf(IdKeyMismatchError);
    expect(await ensureIdKey(db.sql, stored)).toEqual(stored);
  });

  it('a pin is what a fresh store keeps', async () => {
    const fresh = await createTestDatabase();
    try {
      const pin = randomBytes(16);
      expect(await ensureIdKey(fresh.sql, pin)).toEqual(pin);
      expect(await ensureIdKey(fresh.sql)).toEqual(pin);
    } finally {
      await fresh.drop();
    }
  });
});
