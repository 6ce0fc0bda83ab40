// saveTransactionBundles (one batch, a few multi-row statements) stores exactly what
// saveTransactionBundle stores called message by message in the same order: the same resources,
// ids, version numbers and content, the same per-message outcome (saved ids, or refused).
import '../support/fast-check-seed.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Bundle } from 'fhir/r4.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { bundleRefusal, saveTransactionBundle, saveTransactionBundles } from '../../src/fhir/index.js';
import { mapInboxRow } from '../../src/pipeline/map-row.js';
import { DEFAULT_SITE_CONFIG } from '../../src/mapping/index.js';
import { adt, ID_KEY, oru } from './support.js';
import { storedResources } from '../support/stored.js';
import type { Patient } from 'fhir/r4.js';

let db: TestDatabase;
beforeAll(async () => { db = await createTestDatabase(); });
afterAll(async () => { await db.drop(); });

type Msg = { kind: 'adt'; mrn: number; event: 'A01' | 'A08'; family: number; minute: number } | { kind: 'oru'; mrn: number; order: number; status: 'P' | 'F'; critical: boolean; minute: number };

const msgArb: fc.Arbitrary<Msg> = fc.oneof(
  fc.record({ kind: fc.constant('adt' as const), mrn: fc.nat({ max: 3 }), event: fc.constantFrom('A01' as const, 'A08' as const), family: fc.nat({ max: 3 }), minute: fc.nat({ max: 59 }) }),
  fc.record({ kind: fc.constant('oru' as const), mrn: fc.nat({ max: 3 }), order: fc.nat({ max: 4 }), status: fc.constantFrom('P' as const, 'F' as const), critical: fc.boolean(), minute: fc.nat({ max: 59 }) }),
);

const bundleOf = (m: Msg, i: number): Bundle => {
  const ts = `202611040${m.minute < 30 ? 2 : 3}${String(m.minute).padStart(2, '0')}00-0500`;
  const raw = m.kind === 'adt'
    ? adt({ control: `C${i}`, sender: 'LAB', mrn: `M${m.mrn}`, event: m.event, family: `F${m.family}`, ts })
    : oru({ control: `C${i}`, sender: 'LAB', mrn: `M${m.mrn}`, order: `O${m.order}`, status: m.status, critical: m.critical, ts });
  const out = mapInboxRow({ id: String(i), source: 'mllp', raw, received_at: new Date(0) }, DEFAULT_SITE_CONFIG, ID_KEY).outcome;
  if (out.kind !== 'processed') throw new Error(`fixture does not map: ${out.code}`);
  return out.result.bundle;
};

const snapshot = async () => {
  const rows = await db.sql<{ resource_type: string; id: string; version_id: number; inbox_id: string | null; identifiers: string[]; tokens: string[] }[]>`
    SELECT resource_type, id, version_id, inbox_id::text, identifiers, tokens FROM fhir_resource ORDER BY resource_type, id`;
  // the bodies are sealed: opened as the store opens them, meta.lastUpdated left out (the save's time)
  const bodies = await storedResources(db.sql);
  return rows.map((r, i) => {
    const { lastUpdated: _l, ...meta } = bodies[i]!.resource.meta ?? {};
    return { ...r, resource: { ...bodies[i]!.resource, meta } };
  });
};

describe('batched save', () => {
  it('property: stores what the message-by-message save stores', async () => {
    const now = new Date('2026-12-01T00:00:00Z');
    await fc.assert(fc.asyncProperty(fc.array(msgArb, { minLength: 1, maxLength: 14 }), fc.boolean(), async (msgs, ambiguous) => {
      const items = msgs.map((m, i) => ({ bundle: bundleOf(m, i), inboxId: null }));
      const seed = async () => {
        await db.sql`TRUNCATE fhir_resource CASCADE`;
        if (ambiguous) {
          // two stored Patients share M0's identifier: a message about M0 is refused (412)
          for (const id of ['amb-a', 'amb-b']) {
            await db.sql`INSERT INTO fhir_resource (resource_type, id, identifiers, resource, last_updated)
              VALUES ('Patient', ${id}, ARRAY['urn:switchboard:id:GENHOSP|M0'], ${db.sql.json({ resourceType: 'Patient', id })}, ${now})`;
          }
        }
      };
      await seed();
      const one: unknown[] = [];
      for (const it of items) {
        try {
          one.push({ ok: true, savedIds: await db.sql.begin((tx) => saveTransactionBundle(tx, it.bundle, { inboxId: null, now })) });
        } catch (e) {
          const r = bundleRefusal(e);
          if (!r) throw e;
          one.push({ ok: false, code: r.code, reason: r.reason });
        }
      }
      const sequential = await snapshot();
      await seed();
      const batched = await db.sql.begin((tx) => saveTransactionBundles(tx, items, { now }));
      expect(batched).toEqual(one);
      expect(await snapshot()).toEqual(sequential);
      // with maxWaves, the deferred Bundles saved by later transactions (as a worker hands them
      // back): the same store, the same outcome per message
      await seed();
      const outcome: unknown[] = new Array(items.length);
      let left = items.map((it, i) => ({ it, i }));
      while (left.length > 0) {
        const got = await db.sql.begin((tx) => saveTransactionBundles(tx, left.map((l) => l.it), { now, maxWaves: 2 }));
        left.forEach((l, k) => { if (!got[k]!.deferred) outcome[l.i] = got[k]; });
        left = left.filter((_, k) => got[k]!.deferred);
      }
      expect(outcome).toEqual(one);
      expect(await snapshot()).toEqual(sequential);
    }), { numRuns: 40 });
  }, 240_000);
});

describe('unchanged resources', () => {
  it('are skipped by their content digest: not sent, no version, last_updated and inbox kept; a change still makes a version', async () => {
    await db.sql`TRUNCATE fhir_resource CASCADE`;
    const map = (raw: Buffer): Bundle => {
      const out = mapInboxRow({ id: '1', source: 'mllp', raw, received_at: new Date(0) }, DEFAULT_SITE_CONFIG, ID_KEY).outcome;
      if (out.kind !== 'processed') throw new Error('fixture does not map');
      return out.result.bundle;
    };
    const a08 = (family: string, minute: string) => map(adt({ control: `U${family}${minute}`, sender: 'LAB', mrn: 'UNCH', event: 'A08', family, ts: `2026110402${minute}00-0500` }));
    const sent: unknown[][] = [];
    const save = async (bundle: Bundle, inboxId: string | null, now: Date) => {
      const spy = db.sql.options.debug;
      db.sql.options.debug = (_c: number, text: string, params: unknown[]) => { if (/INSERT INTO fhir_resource/.test(text)) sent.push(params); };
      try {
        return await db.sql.begin((tx) => saveTransactionBundles(tx, [{ bundle, inboxId }], { now }));
      } finally {
        db.sql.options.debug = spy;
      }
    };
    const patient = async () => {
      const row = (await db.sql<{ version_id: number; last_updated: Date; digest: string | null }[]>`
        SELECT version_id, last_updated, encode(content_digest, 'hex') AS digest FROM fhir_resource WHERE resource_type = 'Patient'`)[0]!;
      return { ...row, family: (await storedResources<Patient>(db.sql, 'Patient'))[0]?.resource.name?.[0]?.family };
    };
    const t1 = new Date('2026-12-01T00:00:00Z');
    await save(a08('SAME', '10'), null, t1);
    const first = await patient();
    expect(first.version_id).toBe(1);
    expect(first.digest).toMatch(/^[0-9a-f]{64}$/);
    // a later message with the same content: the Patient and Encounter are looked up, found unchanged, not written
    sent.length = 0;
    await save(a08('SAME', '20'), null, new Date('2026-12-01T00:01:00Z'));
    expect(sent.length).toBeLessThanOrEqual(1);
    // a parameter holding the quoted type: the upsert's list of resource types (an array literal)
    const patientSent = () => sent.flat().some((p) => typeof p === 'string' && p.includes('"Patient"'));
    expect(patientSent()).toBe(false);
    expect(await patient()).toEqual(first);
    // a change is a new version
    await save(a08('CHANGED', '30'), null, new Date('2026-12-01T00:02:00Z'));
    expect(patientSent()).toBe(true);
    const changed = await patient();
    expect(changed).toMatchObject({ version_id: 2, family: 'CHANGED' });
    expect(changed.digest).not.toBe(first.digest);
    // (every stored row has a digest: the start that seals rows stored before digests gives them theirs)
    await save(a08('THIRD', '50'), null, new Date('2026-12-01T00:04:00Z'));
    expect(await patient()).toMatchObject({ version_id: 3, family: 'THIRD' });
    expect((await patient()).digest).toMatch(/^[0-9a-f]{64}$/);
  });
});
