import type { Bundle, BundleEntry, Patient, Resource } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { saveResources, saveTransactionBundle } from '../../src/fhir/index.js';
import { readResource } from '../../src/store/index.js';
// the stored form of a 'system|value' identifier: keyed hashes (PHI at rest)
import { identifierEntry } from '../../src/store/phi.js';
import { OperationOutcomeError } from '../../src/outcome/index.js';
import { statusOf } from '../../src/http/error-response.js';
import { MRN, communication, communicationRequest, observation, patient } from './factories.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

const T0 = new Date('2024-03-01T10:00:00.000Z');
const at = (minutes: number): Date => new Date(T0.getTime() + minutes * 60_000);

interface ColumnRow {
  version_id: number;
  subject: string | null;
  status: string | null;
  priority: string | null;
  recipients: string[];
  identifiers: string[];
  inbox_id: string | null;
}
const columns = async (type: string, id: string): Promise<ColumnRow | undefined> =>
  (await db.sql<ColumnRow[]>`SELECT version_id, subject, status, priority, recipients, identifiers, inbox_id::text FROM fhir_resource WHERE resource_type = ${type} AND id = ${id}`)[0];

const entry = <R extends Resource>(fullUrl: string, resource: R, request: BundleEntry['request']): BundleEntry => ({ fullUrl, resource, ...(request ? { request } : {}) });
const txBundle = (entries: BundleEntry[], timestamp?: string): Bundle => ({ resourceType: 'Bundle', type: 'transaction', ...(timestamp ? { timestamp } : {}), entry: entries });
const createIfNone = (type: string, system: string, value: string): BundleEntry['request'] => ({
  method: 'POST',
  url: type,
  ifNoneExist: `identifier=${encodeURIComponent(system)}|${encodeURIComponent(value)}`,
});

describe('saveResources', () => {
  it('stores version 1 with meta.versionId / meta.lastUpdated and the search columns', async () => {
    await saveResources(db.sql, [communicationRequest('cr-1', { recipient: [{ reference: 'Practitioner/dr-a' }, { reference: 'https://ehr.example/fhir/PractitionerRole/role-1' }] })], { now: T0 });
    const stored = await readResource(db.sql, 'CommunicationRequest', 'cr-1');
    expect(stored?.versionId).toBe(1);
    expect(stored?.resource.meta).toEqual({ versionId: '1', lastUpdated: '2024-03-01T10:00:00.000Z' });
    expect(stored?.lastUpdated.toISOString()).toBe('2024-03-01T10:00:00.000Z');
    expect(await columns('CommunicationRequest', 'cr-1')).toEqual({
      version_id: 1,
      subject: 'Patient/p1',
      status: 'active',
      priority: 'routine',
      recipients: ['Practitioner/dr-a', 'PractitionerRole/role-1'],
      identifiers: [identifierEntry('urn:switchboard:request|cr-1')],
      inbox_id: null,
    });
  });

  it.each([
    ['Patient', patient('pt-col', 'M-1'), 'Patient/pt-col', [`${MRN}|M-1`]],
    ['Observation', observation('obs-col', 'Patient/p9'), 'Patient/p9', []],
    ['Communication', communication('c-col'), 'Patient/p1', []],
  ] as const)('extracts the subject of a %s', async (type, resource, subject, identifiers) => {
    await saveResources(db.sql, [resource], { now: T0 });
    const row = await columns(type, resource.id!);
    expect(row?.subject).toBe(subject);
    expect(row?.identifiers).toEqual(identifiers.map(identifierEntry));
  });

  it('upserts: a changed resource bumps version_id and meta.versionId', async () => {
    await saveResources(db.sql, [communicationRequest('cr-2')], { now: at(1) });
    await saveResources(db.sql, [communicationRequest('cr-2', { status: 'completed' })], { now: at(2) });
    const stored = await readResource(db.sql, 'CommunicationRequest', 'cr-2');
    expect(stored?.versionId).toBe(2);
    expect(stored?.resource.meta).toEqual({ versionId: '2', lastUpdated: at(2).toISOString() });
    expect((await columns('CommunicationRequest', 'cr-2'))?.status).toBe('completed');
  });

  it('saving identical content again is not a new version', async () => {
    await saveResources(db.sql, [communicationRequest('cr-3')], { now: at(1) });
    await saveResources(db.sql, [communicationRequest('cr-3')], { now: at(5) });
    const stored = await readResource(db.sql, 'CommunicationRequest', 'cr-3');
    expect(stored?.versionId).toBe(1);
    expect(stored?.lastUpdated.toISOString()).toBe(at(1).toISOString());
  });

  it('saves many resources in one statement, the last of a repeated id winning', async () => {
    const many = Array.from({ length: 50 }, (_, i) => communication(`bulk-${i}`));
    await saveResources(db.sql, [...many, communication('bulk-0', { status: 'completed' })], { now: T0, inboxId: null });
    const [row] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM fhir_resource WHERE id LIKE 'bulk-%'`;
    expect(row?.n).toBe(50);
    expect((await readResource(db.sql, 'Communication', 'bulk-0'))?.resource).toMatchObject({ status: 'completed' });
  });

  it('works inside a caller transaction and rolls back with it', async () => {
    await expect(
      db.sql.begin(async (tx) => {
        await saveResources(tx, [communication('tx-rollback')], { now: T0 });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await readResource(db.sql, 'Communication', 'tx-rollback')).toBeUndefined();
  });

  it.each([
    ['no id', { resourceType: 'Communication', status: 'completed' } as Resource],
    ['a bad id', { resourceType: 'Communication', id: 'has space', status: 'completed' } as Resource],
  ])('refuses a resource with %s', async (_, resource) => {
    await expect(saveResources(db.sql, [resource])).rejects.toBeInstanceOf(OperationOutcomeError);
  });
});

describe('saveTransactionBundle', () => {
  it('rewrites urn:uuid: references to Type/id and returns the saved references', async () => {
    const pUrn = 'urn:uuid:11111111-1111-4111-8111-111111111111';
    const oUrn = 'urn:uuid:22222222-2222-4222-8222-222222222222';
    const bundle = txBundle([
      entry(pUrn, patient('pt-rw', 'RW-1'), createIfNone('Patient', MRN, 'RW-1')),
      entry(oUrn, { ...observation('obs-rw'), subject: { reference: pUrn } }, { method: 'POST', url: 'Observation' }),
      entry('urn:uuid:33333333-3333-4333-8333-333333333333', communicationRequest('cr-rw', { subject: { reference: pUrn }, about: [{ reference: oUrn }] }), { method: 'PUT', url: 'CommunicationRequest/cr-rw' }),
    ]);
    const refs = await saveTransactionBundle(db.sql, bundle, { now: T0 });
    expect(refs).toEqual(['Patient/pt-rw', 'Observation/obs-rw', 'CommunicationRequest/cr-rw']);
    const cr = await readResource(db.sql, 'CommunicationRequest', 'cr-rw');
    expect(cr?.resource).toMatchObject({ subject: { reference: 'Patient/pt-rw' }, about: [{ reference: 'Observation/obs-rw' }] });
    expect((await columns('Observation', 'obs-rw'))?.subject).toBe('Patient/pt-rw');
  });

  it('takes the id from the urn:uuid: fullUrl when the resource has none', async () => {
    const urn = 'urn:uuid:44444444-4444-4444-8444-444444444444';
    const { id: _omit, ...noId } = communication('x');
    const refs = await saveTransactionBundle(db.sql, txBundle([entry(urn, noId as Resource, { method: 'POST', url: 'Communication' })]), { now: T0 });
    expect(refs).toEqual(['Communication/44444444-4444-4444-8444-444444444444']);
  });

  it('conditional create reuses the stored patient across messages (no duplicate)', async () => {
    const first = txBundle([entry('urn:uuid:a1', patient('pt-first', 'CC-1', 'Firstname'), createIfNone('Patient', MRN, 'CC-1'))], '2024-03-01T09:00:00Z');
    expect(await saveTransactionBundle(db.sql, first, { now: at(0) })).toEqual(['Patient/pt-first']);

    // a second message: same MRN, a different generated id; its observation points at its urn
    const second = txBundle(
      [
        entry('urn:uuid:b1', patient('pt-second', 'CC-1', 'Secondname'), createIfNone('Patient', MRN, 'CC-1')),
        entry('urn:uuid:b2', { ...observation('obs-cc'), subject: { reference: 'urn:uuid:b1' } }, { method: 'POST', url: 'Observation' }),
      ],
      '2024-03-01T09:30:00Z', // older than the stored version (saved at 10:00): keep the stored one
    );
    expect(await saveTransactionBundle(db.sql, second, { now: at(10) })).toEqual(['Patient/pt-first', 'Observation/obs-cc']);
    expect(await readResource(db.sql, 'Patient', 'pt-second')).toBeUndefined();
    const kept = await readResource(db.sql, 'Patient', 'pt-first');
    expect(kept?.versionId).toBe(1);
    expect((kept?.resource as Patient).name?.[0]?.family).toBe('Firstname');
    expect((await columns('Observation', 'obs-cc'))?.subject).toBe('Patient/pt-first');
    const [n] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM fhir_resource WHERE ${identifierEntry(`${MRN}|CC-1`)} = ANY(identifiers)`;
    expect(n?.n).toBe(1);
  });

  it('conditional create replaces the stored patient (same id, new version) when the Bundle is newer', async () => {
    await saveTransactionBundle(db.sql, txBundle([entry('urn:uuid:c1', patient('pt-new-1', 'CC-2', 'Before'), createIfNone('Patient', MRN, 'CC-2'))]), { now: at(0) });
    const newer = txBundle([entry('urn:uuid:c2', patient('pt-new-2', 'CC-2', 'After'), createIfNone('Patient', MRN, 'CC-2'))], at(30).toISOString());
    expect(await saveTransactionBundle(db.sql, newer, { now: at(31) })).toEqual(['Patient/pt-new-1']);
    const stored = await readResource(db.sql, 'Patient', 'pt-new-1');
    expect(stored?.versionId).toBe(2);
    expect((stored?.resource as Patient).name?.[0]?.family).toBe('After');
    expect(stored?.resource.id).toBe('pt-new-1');
  });

  it('conditional create matches an identifier given without a system (any system)', async () => {
    await saveResources(db.sql, [patient('pt-any', 'ANY-1')], { now: T0 });
    const b = txBundle([entry('urn:uuid:d1', patient('pt-any-2', 'ANY-1'), { method: 'POST', url: 'Patient', ifNoneExist: 'identifier=ANY-1' })]);
    expect(await saveTransactionBundle(db.sql, b, { now: at(1) })).toEqual(['Patient/pt-any']);
  });

  it('conditional update (PUT Type?identifier=) replaces the match under its id', async () => {
    await saveResources(db.sql, [communicationRequest('cr-cu', { identifier: [{ system: 'urn:x', value: 'CU-1' }] })], { now: T0 });
    const b = txBundle([
      entry('urn:uuid:e1', communicationRequest('cr-cu-new', { identifier: [{ system: 'urn:x', value: 'CU-1' }], status: 'completed' }), { method: 'PUT', url: 'CommunicationRequest?identifier=urn%3Ax|CU-1' }),
    ]);
    expect(await saveTransactionBundle(db.sql, b, { now: at(1) })).toEqual(['CommunicationRequest/cr-cu']);
    const stored = await readResource(db.sql, 'CommunicationRequest', 'cr-cu');
    expect(stored).toMatchObject({ versionId: 2, resource: { status: 'completed', id: 'cr-cu' } });
    expect(await readResource(db.sql, 'CommunicationRequest', 'cr-cu-new')).toBeUndefined();
  });

  it('two entries of one Bundle with the same condition resolve to one resource', async () => {
    const b = txBundle([
      entry('urn:uuid:f1', patient('pt-dup-a', 'DUP-1'), createIfNone('Patient', MRN, 'DUP-1')),
      entry('urn:uuid:f2', patient('pt-dup-b', 'DUP-1'), createIfNone('Patient', MRN, 'DUP-1')),
    ]);
    expect(await saveTransactionBundle(db.sql, b, { now: T0 })).toEqual(['Patient/pt-dup-a', 'Patient/pt-dup-a']);
    expect(await readResource(db.sql, 'Patient', 'pt-dup-b')).toBeUndefined();
  });

  it('concurrent Bundles conditionally creating the same patient create it once', async () => {
    const bundles = Array.from({ length: 4 }, (_, i) => txBundle([entry(`urn:uuid:g${i}`, patient(`pt-race-${i}`, 'RACE-1'), createIfNone('Patient', MRN, 'RACE-1'))]));
    const results = await Promise.all(bundles.map((b) => saveTransactionBundle(db.sql, b, { now: T0 })));
    expect(new Set(results.flat()).size).toBe(1);
    const [n] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM fhir_resource WHERE ${identifierEntry(`${MRN}|RACE-1`)} = ANY(identifiers)`;
    expect(n?.n).toBe(1);
  });

  it.each([
    ['several stored matches -> 412', 412, async () => {
      await saveResources(db.sql, [patient('pt-m1', 'MULTI'), patient('pt-m2', 'MULTI')], { now: T0 });
      return txBundle([entry('urn:uuid:h1', patient('pt-m3', 'MULTI'), createIfNone('Patient', MRN, 'MULTI'))]);
    }],
    ['a reference to an entry not in the Bundle -> 400', 400, async () =>
      txBundle([entry('urn:uuid:i1', { ...observation('obs-dangling'), subject: { reference: 'urn:uuid:nowhere' } }, { method: 'POST', url: 'Observation' })])],
    ['an unsupported condition -> 400', 400, async () =>
      txBundle([entry('urn:uuid:j1', patient('pt-j', 'J-1'), { method: 'POST', url: 'Patient', ifNoneExist: 'name=Synthetic' })])],
    ['DELETE -> 400', 400, async () => txBundle([entry('urn:uuid:k1', patient('pt-k', 'K-1'), { method: 'DELETE', url: 'Patient/pt-k' })])],
    ['a batch Bundle -> 400', 400, async () => ({ resourceType: 'Bundle', type: 'batch', entry: [] }) as Bundle],
  ])('%s, saving nothing', async (_, status, make) => {
    const before = (await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM fhir_resource`)[0]?.n;
    const bundle = await make();
    const after0 = (await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM fhir_resource`)[0]?.n;
    const err: unknown = await saveTransactionBundle(db.sql, bundle, { now: T0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OperationOutcomeError);
    expect(statusOf(err as OperationOutcomeError)).toBe(status);
    const after = (await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM fhir_resource`)[0]?.n;
    expect(after).toBe(after0);
    expect(after0).toBeGreaterThanOrEqual(before ?? 0);
  });
});
