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
  const rows = await db.sql<{ resource_type: string; id: string; version_id: number; inbox_id: string | null; identifiers: string[]; tokens: string[]; resource: Record<string, unknown> }[]>`
    SELECT resource_type, id, version_id, inbox_id::text, identifiers, tokens, resource #- '{meta,lastUpdated}' AS resource FROM fhir_resource ORDER BY resource_type, id`;
  return rows;
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
    }), { numRuns: 40 });
  }, 240_000);
});
