// The chain against someone who can write the database: 1,000 seeded random tamperings of a stored
// chain (edit a field, delete a row, insert a forged row, swap two rows, cut the tail, re-seal) are
// each found by `verify` — at the exact seq where the chain breaks — or, for a tail cut or a re-seal
// with the head moved along (which leave a valid shorter or different chain), by comparing the head
// verify prints with the anchor recorded earlier. With the HMAC key, a re-sealed chain fails verify.
import '../support/fast-check-seed.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { chainKey, GENESIS_HASH, hashRecord, macOf, verifyAuditChain, type AuditRecord, type ChainKey, type VerifyReport } from '../../src/audit/index.js';
import { listAuditPage, readAuditHead, type TransactionSql } from '../../src/store/index.js';
import { inRolledBack, seedChain, tamperer } from './support.js';

const N = 40;
const FIELDS = ['actor', 'actor_kind', 'action', 'type', 'entity_type', 'entity_ids', 'patient', 'outcome', 'outcome_code', 'source', 'request_id', 'at', 'mac', 'prev_hash', 'hash'] as const;
type Field = (typeof FIELDS)[number];

const hex64 = fc.stringMatching(/^[0-9a-f]{64}$/);

type Tamper =
  | { kind: 'edit'; seq: number; field: Field }
  | { kind: 'delete'; seq: number }
  | { kind: 'insert'; after: number; wrongPrev: string | null }
  | { kind: 'swap'; a: number; b: number }
  | { kind: 'truncate'; keep: number; moveHead: boolean }
  | { kind: 'reseal'; seq: number; as: 'sha256' | 'wrong-key-same-id' | 'wrong-key' };

const tamperArb: fc.Arbitrary<Tamper> = fc.oneof(
  fc.record({ kind: fc.constant('edit' as const), seq: fc.integer({ min: 1, max: N }), field: fc.constantFrom(...FIELDS) }),
  fc.record({ kind: fc.constant('delete' as const), seq: fc.integer({ min: 1, max: N }) }),
  fc.record({ kind: fc.constant('insert' as const), after: fc.integer({ min: 0, max: N - 1 }), wrongPrev: fc.option(hex64, { nil: null }) }),
  fc.integer({ min: 1, max: N - 1 }).chain((a) => fc.record({ kind: fc.constant('swap' as const), a: fc.constant(a), b: fc.integer({ min: a + 1, max: N }) })),
  fc.record({ kind: fc.constant('truncate' as const), keep: fc.integer({ min: 0, max: N - 1 }), moveHead: fc.boolean() }),
  fc.record({ kind: fc.constant('reseal' as const), seq: fc.integer({ min: 1, max: N }), as: fc.constantFrom('sha256' as const, 'wrong-key-same-id' as const, 'wrong-key' as const) }),
);

/** A changed value for a column, of the column's type. */
function changed(field: Field, tx: TransactionSql, seq: number) {
  switch (field) {
    case 'at': return tx`UPDATE audit_event SET at = at + interval '1 millisecond' WHERE seq = ${seq}`;
    case 'entity_ids': return tx`UPDATE audit_event SET entity_ids = entity_ids || ARRAY['obs-forged'] WHERE seq = ${seq}`;
    case 'action': return tx`UPDATE audit_event SET action = CASE WHEN action = 'D' THEN 'R' ELSE 'D' END WHERE seq = ${seq}`;
    case 'prev_hash': case 'hash': return tx`UPDATE audit_event SET ${tx(field)} = translate(${tx(field)}, '0123456789abcdef', '123456789abcdef0') WHERE seq = ${seq}`;
    default: return tx`UPDATE audit_event SET ${tx(field)} = coalesce(${tx(field)}, '') || 'x' WHERE seq = ${seq}`;
  }
}

async function rows(tx: TransactionSql): Promise<AuditRecord[]> {
  return listAuditPage(tx, '0', 10_000);
}

/** Re-seals the chain from `from` on, after editing that row, the way a forger would, head included. */
async function reseal(tx: TransactionSql, from: number, key: ChainKey | undefined, label: string): Promise<void> {
  const all = await rows(tx);
  let prev = from === 1 ? GENESIS_HASH : all[from - 2]!.hash;
  const resealed = all.slice(from - 1).map((r, i) => {
    const base = { ...r, ...(i === 0 ? { actor: `${r.actor}-forged` } : {}), mac: label, prevHash: prev };
    const { hash: _h, ...rest } = base;
    const hash = hashRecord(rest, key);
    prev = hash;
    return { ...base, hash };
  });
  await tx`DELETE FROM audit_event WHERE seq >= ${from}`;
  for (const r of resealed) {
    await tx`INSERT INTO audit_event (seq, at, actor, actor_kind, action, type, entity_type, entity_ids, patient, outcome, outcome_code, source, request_id, mac, prev_hash, hash)
      VALUES (${r.seq}, ${r.at}, ${r.actor}, ${r.actorKind}, ${r.action}, ${r.type}, ${r.entityType}, ${r.entityIds}, ${r.patient},
              ${r.outcome}, ${r.outcomeCode}, ${r.source}, ${r.requestId}, ${r.mac}, ${r.prevHash}, ${r.hash})`;
  }
  const last = resealed.at(-1);
  if (last) await tx`UPDATE audit_chain_head SET seq = ${last.seq}::bigint, hash = ${last.hash}`;
}

interface Outcome { report: VerifyReport; expectSeq: number | null }

async function apply(tx: TransactionSql, t: Tamper, key: ChainKey | undefined): Promise<number | null> {
  const all = await rows(tx);
  switch (t.kind) {
    case 'edit':
      await changed(t.field, tx, t.seq);
      return t.seq;
    case 'delete':
      await tx`DELETE FROM audit_event WHERE seq = ${t.seq}`;
      return t.seq;
    case 'insert': {
      // make room at after+1, then a forged row whose own hash is right
      await tx`UPDATE audit_event SET seq = -seq WHERE seq > ${t.after}`;
      await tx`UPDATE audit_event SET seq = -seq + 1 WHERE seq < 0`;
      const proto = all[t.after] ?? all[0]!;
      const rightPrev = t.after === 0 ? GENESIS_HASH : all[t.after - 1]!.hash;
      const prevHash = t.wrongPrev ?? rightPrev;
      // the forger has no HMAC key: a keyed chain's forged row carries the key's label over a plain hash
      const forged = { ...proto, seq: String(t.after + 1), actor: 'forger', mac: macOf(key), prevHash };
      const { hash: _h, ...rest } = forged;
      const plain = hashRecord({ ...rest, mac: 'sha256' }, undefined);
      await tx`INSERT INTO audit_event (seq, at, actor, actor_kind, action, type, entity_type, entity_ids, patient, outcome, outcome_code, source, request_id, mac, prev_hash, hash)
        VALUES (${forged.seq}, ${forged.at}, ${forged.actor}, ${forged.actorKind}, ${forged.action}, ${forged.type}, ${forged.entityType}, ${forged.entityIds}, ${forged.patient},
                ${forged.outcome}, ${forged.outcomeCode}, ${forged.source}, ${forged.requestId}, ${forged.mac}, ${forged.prevHash}, ${key ? plain : hashRecord(rest, undefined)})`;
      // a wrong prev (or a keyed chain) breaks at the forged row; a right one at the row it pushed down
      return key || (t.wrongPrev !== null && t.wrongPrev !== rightPrev) ? t.after + 1 : t.after + 2;
    }
    case 'swap':
      await tx`UPDATE audit_event SET seq = CASE seq WHEN ${t.a}::bigint THEN ${-t.b}::bigint ELSE ${-t.a}::bigint END WHERE seq IN (${t.a}, ${t.b})`;
      await tx`UPDATE audit_event SET seq = -seq WHERE seq < 0`;
      return t.a;
    case 'truncate':
      await tx`DELETE FROM audit_event WHERE seq > ${t.keep}`;
      if (!t.moveHead) return t.keep + 1;
      await tx`UPDATE audit_chain_head SET seq = ${t.keep}, hash = ${t.keep === 0 ? GENESIS_HASH : all[t.keep - 1]!.hash}`;
      return null; // a valid shorter chain: only the anchor shows it
    case 'reseal': {
      if (t.as === 'sha256') await reseal(tx, t.seq, undefined, 'sha256');
      else {
        const wrong = chainKey(Buffer.from(`not the key ${t.seq}`));
        await reseal(tx, t.seq, wrong, t.as === 'wrong-key-same-id' ? macOf(key) : macOf(wrong));
      }
      // without the key a re-seal with the head moved along is a valid chain: only the anchor shows it
      return key || t.as !== 'sha256' ? t.seq : null;
    }
  }
}

function runProperty(getDb: () => TestDatabase, key: ChainKey | undefined, numRuns: number) {
  return async () => {
    const db = { sql: tamperer(getDb()) };
    const anchor = await readAuditHead(db.sql);
    const opts = key ? { keys: [key], requireHmac: true } : { keys: [] };
    const clean = await verifyAuditChain(db.sql, opts);
    expect(clean).toMatchObject({ ok: true, checked: N, head: { seq: String(N), hash: anchor.hash } });
    const seen = new Map<string, number>();
    await fc.assert(fc.asyncProperty(tamperArb, async (t) => {
      // re-sealing with sha256 when no key is in use is the same as the unkeyed forger's re-seal
      const { report, expectSeq } = await inRolledBack<Outcome>(db.sql, async () => {}, async (tx) => {
        const expectSeq = await apply(tx, t, key);
        return { report: await verifyAuditChain(tx, { ...opts, pageSize: 16 }), expectSeq };
      });
      seen.set(t.kind, (seen.get(t.kind) ?? 0) + 1);
      if (expectSeq === null) {
        // verify accepts the shorter or re-sealed chain; the head it prints is not the anchor
        expect(report.ok).toBe(true);
        expect(report.head.hash === anchor.hash && report.head.seq === anchor.seq).toBe(false);
      } else {
        expect(report.ok, JSON.stringify(t)).toBe(false);
        expect(report.break?.seq, `${JSON.stringify(t)} -> ${JSON.stringify(report.break)}`).toBe(String(expectSeq));
      }
    }), { numRuns });
    // every kind was tried
    expect([...seen.keys()].sort()).toEqual(['delete', 'edit', 'insert', 'reseal', 'swap', 'truncate']);
    // and the stored chain is untouched
    expect(await verifyAuditChain(db.sql, opts)).toMatchObject({ ok: true, checked: N });
    await db.sql.end({ timeout: 2 });
  };
}

describe('a chain sealed with SHA-256', () => {
  let db: TestDatabase;
  beforeAll(async () => { db = await createTestDatabase({ max: 4 }); await seedChain(db.sql, N); });
  afterAll(async () => { await db.drop(); });

  it('700 random tamperings: each breaks verify at its seq, or changes the head from the anchor', runProperty(() => db, undefined, 700), 120_000);

  it('rows cannot be updated through the application role path (append-only trigger)', async () => {
    await expect(db.sql`UPDATE audit_event SET actor = 'x' WHERE seq = 1`).rejects.toMatchObject({ code: '42501' });
  });
});

describe('a chain sealed with HMAC-SHA256 (AUDIT_HMAC_KEY)', () => {
  let db: TestDatabase;
  const key = chainKey(Buffer.from('a'.repeat(64), 'hex'));
  beforeAll(async () => { db = await createTestDatabase({ max: 4 }); await seedChain(db.sql, N, key); });
  afterAll(async () => { await db.drop(); });

  it('300 random tamperings, re-seals included: each breaks verify at its seq (or moves the head)', runProperty(() => db, key, 300), 120_000);

  it('verify without the key cannot check the rows and says so', async () => {
    const r = await verifyAuditChain(db.sql, { keys: [] });
    expect(r).toMatchObject({ ok: false, break: { seq: '1', reason: 'unknown_key' } });
  });
});
