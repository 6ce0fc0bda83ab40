// Key rotation and the conversion of values stored before encryption, against a real database:
// values keep being written while the re-sealing pass runs; afterwards every value opens, searches
// by identifier still match, and the old key holds nothing and is retired.
import { createHash, randomBytes } from 'node:crypto';
import type { Patient } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keyring, envelopeKeyId, installKeyring } from '../../src/crypto/index.js';
import { parseSearch, saveResources, searchType } from '../../src/fhir/index.js';
import {
  claimInboxRows, countPhiValues, encryptExisting, getRejectedRow, insertInboxRows, insertRejected, readResource, registerPhiKeys, resealAll, retireUnusedPhiKeys,
  type InboxRow,
} from '../../src/store/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { TEST_KEYRING_INIT } from '../support/phi-keys.js';
import { identifierEntry } from '../support/stored.js';

let db: TestDatabase;
const T0 = new Date('2025-01-01T00:00:00Z');
const k2 = createHash('sha256').update('rotation test k2').digest();
const before = new Keyring({ ...TEST_KEYRING_INIT, random: randomBytes });
const after = new Keyring({ ...TEST_KEYRING_INIT, keys: [...TEST_KEYRING_INIT.keys, { id: 'test-k2', key: k2 }], active: 'test-k2', random: randomBytes });

const message = (i: number): InboxRow => {
  const raw = Buffer.from(`MSH|^~\\&|LAB|GEN|SB|SB|20250101||ORU^R01|ROT${i}|P|2.5.1\rPID|1||MRN${i}^^^GENHOSP||ROTATEPATIENT^NUMBER${i}||19700101\r`);
  return { source: 'mllp', senderApp: 'LAB', senderFacility: 'GEN', controlId: `ROT${i}`, messageType: 'ORU^R01', version: '2.5.1', charset: null, raw, peer: null, ackMode: 'original', ack: null, contentHash: createHash('sha256').update(raw).digest(), orderPatient: `p${i}` };
};
const patient = (i: number): Patient => ({ resourceType: 'Patient', id: `rot-${i}`, identifier: [{ system: 'urn:mrn:genhosp', value: `MRN${i}` }], name: [{ family: 'ROTATEPATIENT' }], birthDate: '1970-01-01' });

beforeAll(async () => {
  db = await createTestDatabase();
  installKeyring(before);
  await registerPhiKeys(db.sql, before);
});
afterAll(async () => {
  installKeyring(before);
  await db?.drop();
});

describe('keys rotate', () => {
  it('re-seals every value under the new key while writes go on; all open, search still matches, the old key is retired', async () => {
    for (let i = 0; i < 30; i++) await insertInboxRows(db.sql, [message(i)], { notify: false });
    await saveResources(db.sql, Array.from({ length: 30 }, (_, i) => patient(i)), { now: T0 });
    await insertRejected(db.sql, { source: 'mllp', peer: null, controlId: 'BAD1', errorCode: 'ERR_HL7_PARSE', reason: 'no MSH', raw: Buffer.from('PID|1||MRNBAD^^^GENHOSP||ROTATEPATIENT'), ack: Buffer.from('ACK') }, { keep: 100 });
    expect((await countPhiValues(db.sql)).every((c) => c.keyId === 'test-k1')).toBe(true);

    installKeyring(after);
    await registerPhiKeys(db.sql, after);
    // rotate mid-stream: the pass runs in small batches while new values are written
    const pass = resealAll(db.sql, { batch: 4 });
    for (let i = 30; i < 40; i++) {
      await insertInboxRows(db.sql, [message(i)], { notify: false });
      await saveResources(db.sql, [patient(i)], { now: T0 });
    }
    await pass;
    await resealAll(db.sql); // what a write raced past in the first pass

    const counts = await countPhiValues(db.sql);
    expect(counts.filter((c) => c.keyId !== 'test-k2')).toEqual([]);
    expect(counts.reduce((n, c) => n + c.values, 0)).toBe(40 + 40 + 1);
    expect(await retireUnusedPhiKeys(db.sql, 'test-k2')).toEqual(['test-k1']);

    // every value opens with the new keyring (which could drop the old key now)
    const onlyNew = new Keyring({ ...TEST_KEYRING_INIT, keys: [{ id: 'test-k2', key: k2 }], active: 'test-k2', random: randomBytes });
    installKeyring(onlyNew);
    const claimed = await claimInboxRows(db.sql, { claimMs: 60_000, limit: 100 });
    expect(claimed).toHaveLength(40);
    for (const c of claimed) expect(c.raw.toString('latin1')).toMatch(/^MSH\|.*ROTATEPATIENT\^NUMBER\d+/s);
    for (let i = 0; i < 40; i++) expect((await readResource(db.sql, 'Patient', `rot-${i}`))?.resource).toMatchObject({ id: `rot-${i}`, birthDate: '1970-01-01' });
    const [rej] = await db.sql<{ id: string }[]>`SELECT id::text FROM rejected`;
    expect((await getRejectedRow(db.sql, rej!.id))?.raw.toString()).toContain('MRNBAD');
    const found = await searchType(db.sql, 'Patient', parseSearch('Patient', new URLSearchParams('identifier=urn:mrn:genhosp|MRN33')).query);
    expect(found.resources.map((r) => r.id)).toEqual(['rot-33']);
  });
});

describe('values stored before encryption', () => {
  it('are sealed once at start (encryptExisting), their identifiers hashed, and read the same', async () => {
    installKeyring(after);
    const raw = Buffer.from('MSH|^~\\&|OLD|GEN|SB|SB|20240101||ADT^A01|OLD1|P|2.5.1\rPID|1||OLDMRN1^^^GENHOSP||LEGACYPATIENT^ANNA||19500505\r');
    await db.sql`INSERT INTO inbox (source, sender_app, sender_facility, control_id, message_type, raw, content_hash, state)
                 VALUES ('mllp', 'OLD', 'GEN', 'OLD1', 'ADT^A01', ${raw}, ${createHash('sha256').update(raw).digest()}, 'received')`;
    const legacy = { resourceType: 'Patient', id: 'legacy-1', identifier: [{ system: 'urn:mrn:genhosp', value: 'OLDMRN1' }], name: [{ family: 'LEGACYPATIENT' }], meta: { versionId: '1', lastUpdated: '2024-01-01T00:00:00.000Z' } };
    await db.sql`INSERT INTO fhir_resource (resource_type, id, last_updated, identifiers, resource) VALUES ('Patient', 'legacy-1', '2024-01-01T00:00:00Z', ARRAY['urn:mrn:genhosp|OLDMRN1'], ${db.sql.json(legacy)})`;
    await db.sql`UPDATE phi_state SET convert_pending = true`;

    expect(await encryptExisting(db.sql)).toBe(2);
    expect(await encryptExisting(db.sql)).toBe(0); // once
    const [row] = await db.sql<{ raw: Buffer }[]>`SELECT raw FROM inbox WHERE control_id = 'OLD1'`;
    expect(envelopeKeyId(row!.raw)).toBe('test-k2');
    const [res] = await db.sql<{ resource: unknown; body: Buffer; identifiers: string[] }[]>`SELECT resource, body, identifiers FROM fhir_resource WHERE id = 'legacy-1'`;
    expect(res).toMatchObject({ resource: null, identifiers: [identifierEntry('urn:mrn:genhosp|OLDMRN1')] });
    expect(res!.body.includes(Buffer.from('LEGACYPATIENT'))).toBe(false);
    expect((await readResource(db.sql, 'Patient', 'legacy-1'))?.resource).toEqual(legacy);
    const claimed = await claimInboxRows(db.sql, { claimMs: 60_000, limit: 10 });
    expect(claimed.map((c) => c.raw.equals(raw))).toEqual([true]);
  });
});
