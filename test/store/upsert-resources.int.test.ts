// upsertResources hands PostgreSQL each column as one array literal and the sealed bodies as one
// blob (src/store/pg-array.ts): whatever a search entry, identifier or body holds must come back
// exactly, and the ON CONFLICT rules (version bump, unchanged content skipped, inbox_id kept) hold.
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import type { Resource } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { insertInboxRows, readResource, upsertResources, type FhirResourceWrite } from '../../src/store/index.js';
import { identifierEntry } from '../../src/store/phi.js';
import { objectRows, rowsOf, textArrayLiteral, textListsLiteral } from '../../src/store/pg-array.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

const T0 = new Date('2024-03-01T10:00:00.000Z');
const AWKWARD = ['', ' ', 'NULL', 'null', '{}', '{a,b}', 'a,b', '"', '""', '\\', '\\\\', '\\"', 'a|b\\|c', "it's", '\n\r\t', 'ünïcødé ✓ 𝄞', '\u0001\u007f', 'x'.repeat(5000)];

const row = (id: string, over: Partial<FhirResourceWrite> = {}): FhirResourceWrite => ({
  resource_type: 'Observation', id, subject: null, status: null, priority: null, recipients: [], identifiers: [], tokens: [],
  date_start: null, date_end: null, search_version: 2, resource: { resourceType: 'Observation', id, status: 'final', code: { text: id } } as Resource, ...over,
});

interface Stored {
  version_id: number; inbox_id: string | null; subject: string | null; status: string | null; priority: string | null;
  recipients: string[]; identifiers: string[]; tokens: string[]; date_start: string | null; date_end: string | null;
  search_version: number; digest: string; resource: unknown;
}
const stored = async (id: string): Promise<Stored | undefined> => (await db.sql<Stored[]>`
  SELECT version_id, inbox_id::text, subject, status, priority, recipients, identifiers, tokens,
         CASE WHEN isfinite(date_start) THEN to_char(date_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') ELSE date_start::text END AS date_start, date_end::text AS date_end,
         search_version, encode(content_digest, 'hex') AS digest, resource
  FROM fhir_resource WHERE resource_type = 'Observation' AND id = ${id}`)[0];

const inboxIds = async (n: number): Promise<string[]> => (await insertInboxRows(db.sql, Array.from({ length: n }, (_, i) => ({
  source: 'mllp' as const, senderApp: 'T', senderFacility: 'T', controlId: `UP-${i}-${randomBytes(4).toString('hex')}`, messageType: 'ORU^R01', version: '2.5.1',
  charset: null, raw: Buffer.from('MSH|^~\\&|T|T'), peer: null, ackMode: 'original' as const, ack: null, contentHash: randomBytes(32),
})), { notify: false })).map((r) => String(r.id));

describe('array literals (pg-array)', () => {
  it('every text, list and NULL comes back from PostgreSQL as it went (property)', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.option(fc.string({ unit: 'binary' }).filter((s) => !s.includes('\u0000')), { nil: null }), { maxLength: 8 }),
      fc.array(fc.array(fc.string({ unit: 'grapheme' }), { maxLength: 5 }), { maxLength: 5 }),
      async (texts, lists) => {
        // read back as JSON: postgres.js parses a NULL element of a returned text[] as the text 'NULL'
        const [r] = await db.sql<{ texts: string; lists: string[] }[]>`
          SELECT array_to_json(${textArrayLiteral(texts)}::text[])::text AS texts, ARRAY(SELECT array_to_json(x::text[])::text FROM unnest(${textListsLiteral(lists)}::text[]) x) AS lists`;
        expect(JSON.parse(r!.texts)).toEqual(texts);
        expect(r!.lists.map((l) => JSON.parse(l) ?? [])).toEqual(lists);
      }), { numRuns: 60 });
  });
});

describe('rowsOf', () => {
  it('gives back every row as it went, each column its own type, awkward text, lists, JSON, bytes and NULLs included', async () => {
    const n = AWKWARD.length;
    const bytes = AWKWARD.map((_, i) => (i % 4 === 3 ? null : randomBytes(i * 37)));
    const json = AWKWARD.map((t, i) => (i % 5 === 4 ? null : { t, n: i, list: [t, null, { deep: t }] }));
    const lists = AWKWARD.map((_, i) => AWKWARD.slice(i, i + (i % 4)));
    const at = AWKWARD.map((_, i) => (i % 3 === 2 ? null : new Date(T0.getTime() + i * 1_000_123)));
    const r = rowsOf(db.sql, 'r', [
      { name: 'k', type: 'bigint', values: AWKWARD.map((_, i) => String(9_007_199_254_740_993n + BigInt(i))) },
      { name: 'txt', type: 'text', values: AWKWARD.map((t, i) => (i % 6 === 5 ? null : t)) },
      { name: 'n', type: 'integer', values: AWKWARD.map((_, i) => i - 3) },
      { name: 'flag', type: 'boolean', values: AWKWARD.map((_, i) => (i % 7 === 6 ? null : i % 2 === 0)) },
      { name: 'at', type: 'timestamptz', values: at },
      { name: 'doc', type: 'jsonb', values: json },
      { name: 'raw', type: 'bytea', values: bytes },
      { name: 'list', type: 'text[]', values: lists },
    ]);
    const rows = await db.sql<{ k: string; txt: string | null; n: number; flag: boolean | null; at: Date | null; doc: unknown; raw: Buffer | null; list: string }[]>`
      SELECT r.k::text AS k, r.txt, r.n, r.flag, r.at, r.doc, r.raw, array_to_json(r.list)::text AS list FROM ${r} ORDER BY r.k`;
    expect(rows).toHaveLength(n);
    rows.forEach((row, i) => {
      expect(row.k).toBe(String(9_007_199_254_740_993n + BigInt(i)));
      expect(row.txt).toBe(i % 6 === 5 ? null : AWKWARD[i]);
      expect(row.n).toBe(i - 3);
      expect(row.flag).toBe(i % 7 === 6 ? null : i % 2 === 0);
      expect(row.at?.getTime() ?? null).toBe(at[i]?.getTime() ?? null);
      expect(row.doc).toEqual(json[i]);
      expect(row.raw === null ? null : Buffer.compare(row.raw, bytes[i]!)).toBe(bytes[i] === null ? null : 0);
      expect(JSON.parse(row.list) ?? []).toEqual(lists[i]);
    });
  });

  it('objectRows takes each column from the field of its name, and only the fields named', async () => {
    const rows = [{ id: '7', at: T0, note: 'a "b" \\c', skip: 'never' }, { id: '8', at: null, note: null, skip: 'never' }];
    const got = await db.sql<{ id: string; at: Date | null; note: string | null }[]>`
      SELECT r.id::text AS id, r.at, r.note FROM ${objectRows(db.sql, 'r', rows, { id: 'bigint', at: 'timestamptz', note: 'text' })} ORDER BY r.id`;
    expect(got).toEqual([{ id: '7', at: T0, note: 'a "b" \\c' }, { id: '8', at: null, note: null }]);
    await expect(db.sql`SELECT r.skip FROM ${objectRows(db.sql, 'r', rows, { id: 'bigint' })}`).rejects.toThrow(/skip/);
  });

  it('refuses a name that is not a plain identifier, and columns of different lengths', () => {
    expect(() => rowsOf(db.sql, 'r; drop table inbox', [{ name: 'a', type: 'text', values: [] }])).toThrow(/identifiers/);
    expect(() => rowsOf(db.sql, 'r', [{ name: 'A"', type: 'text', values: [] }])).toThrow(/identifiers/);
    expect(() => rowsOf(db.sql, 'r', [{ name: 'a', type: 'text', values: ['x'] }, { name: 'b', type: 'text', values: [] }])).toThrow(/per row/);
  });
});

describe('upsertResources', () => {
  it('stores awkward search entries, identifiers, recipients and NULLs exactly', async () => {
    const rows = AWKWARD.map((s, i) => row(`awk-${i}`, {
      subject: s, status: i % 2 ? null : s, priority: i % 3 ? s : null,
      recipients: [s, `Practitioner/${i}`], identifiers: [`${s}|${s}`, `|v${i}`], tokens: [s, `code|${s}|x`, `${s}${s}`],
      date_start: i % 2 ? '-infinity' : '2024-01-02T03:04:05.123456Z', date_end: i % 2 ? null : 'infinity',
    }));
    await upsertResources(db.sql, [...rows, row('awk-empty')], { now: T0, inboxId: null });
    for (const [i, s] of AWKWARD.entries()) {
      expect(await stored(`awk-${i}`)).toMatchObject({
        version_id: 1, inbox_id: null, subject: s, status: i % 2 ? null : s, priority: i % 3 ? s : null,
        recipients: [s, `Practitioner/${i}`], identifiers: [`${s}|${s}`, `|v${i}`].map(identifierEntry), tokens: [s, `code|${s}|x`, `${s}${s}`],
        date_start: i % 2 ? '-infinity' : '2024-01-02T03:04:05.123456', date_end: i % 2 ? null : 'infinity', search_version: 2, resource: null,
      });
    }
    expect(await stored('awk-empty')).toMatchObject({ recipients: [], identifiers: [], tokens: [], subject: null, date_start: null });
  });

  it('round-trips bodies of every size, a 1 MB one among them, each under its own row', async () => {
    const big = { resourceType: 'Observation', id: 'big', valueString: 'ü'.repeat(512 * 1024) + '"\\\n' } as Resource;
    const small = Array.from({ length: 40 }, (_, i) => row(`body-${i}`, { resource: { resourceType: 'Observation', id: `body-${i}`, valueString: 'x'.repeat(i * 37) } as Resource }));
    await upsertResources(db.sql, [small[0]!, row('big', { resource: big }), ...small.slice(1)], { now: T0, inboxId: null });
    const read = await readResource(db.sql, 'Observation', 'big');
    expect(read?.resource).toEqual({ ...big, meta: { versionId: '1', lastUpdated: T0.toISOString() } });
    for (const i of small.keys()) expect((await readResource(db.sql, 'Observation', `body-${i}`))?.resource).toMatchObject({ valueString: 'x'.repeat(i * 37) });
  });

  it('the same content again is no new version; changed content is version + 1; inbox_id is kept when none is given', async () => {
    const [m1, m2] = await inboxIds(2);
    const v1 = row('ver', { tokens: ['a'], inbox_id: m1 });
    await upsertResources(db.sql, [v1], { now: T0, inboxId: null });
    const first = await stored('ver');
    expect(first).toMatchObject({ version_id: 1, inbox_id: m1 });

    await upsertResources(db.sql, [{ ...v1, inbox_id: null, tokens: ['b'] }], { now: new Date(T0.getTime() + 1000), inboxId: null });
    expect(await stored('ver')).toEqual(first); // unchanged body: the row, its columns and inbox_id, left alone

    const changed = { ...v1, inbox_id: null, tokens: ['c'], resource: { ...v1.resource, status: 'amended' } as Resource };
    await upsertResources(db.sql, [changed], { now: new Date(T0.getTime() + 2000), inboxId: null });
    const second = await stored('ver');
    expect(second).toMatchObject({ version_id: 2, inbox_id: m1, tokens: ['c'] });
    expect(second?.digest).not.toBe(first?.digest);
    expect((await readResource(db.sql, 'Observation', 'ver'))?.resource.meta?.versionId).toBe('2');

    await upsertResources(db.sql, [{ ...changed, resource: { ...v1.resource, status: 'corrected' } as Resource }], { now: new Date(T0.getTime() + 3000), inboxId: m2! });
    expect(await stored('ver')).toMatchObject({ version_id: 3, inbox_id: m2 });
  });

  it('clears a legacy clear-text resource column when it writes the sealed body', async () => {
    await db.sql`INSERT INTO fhir_resource (resource_type, id, identifiers, resource) VALUES ('Observation', 'legacy', '{}', ${db.sql.json({ resourceType: 'Observation', id: 'legacy' })})`;
    await upsertResources(db.sql, [row('legacy')], { now: T0, inboxId: null });
    expect(await stored('legacy')).toMatchObject({ version_id: 2, resource: null });
  });
});
