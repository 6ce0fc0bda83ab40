import type { Patient } from 'fhir/r4.js';
// The processing pipeline on a real PostgreSQL: order per (sender, patient), several workers on
// separate connections, a refused row inside a batch, critical rows first, the mapping time budget.
import '../support/fast-check-seed.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { connect, type Sql } from '../../src/store/db.js';
import { claimInboxRows } from '../../src/store/inbox.js';
import { MapPool } from '../../src/pipeline/map-pool.js';
import { DEFAULT_SITE_CONFIG } from '../../src/mapping/index.js';
import { silentLogger } from '../../src/obs/log.js';
import { adminUrl, createTestDatabase, type TestDatabase } from '../support/db.js';
import { adt, drainAll, ID_KEY, intakeOn, oru, store, workerOn } from './support.js';
import { identifierEntry, storedResources } from '../support/stored.js';

let db: TestDatabase;
let other: Sql;
beforeAll(async () => {
  db = await createTestDatabase({ max: 8 });
  other = connect(db.url, { max: 4 });
});
afterAll(async () => {
  await other.end({ timeout: 2 });
  await db.drop();
});

const reset = async () => {
  await db.sql`TRUNCATE inbox, fhir_resource, delivery_run, delivery_event CASCADE`;
};

describe('order per (sender, patient)', () => {
  it('property: under random interleavings of several patients\' feeds across senders, each patient\'s messages are processed in stored order and end in the last state', async () => {
    // per (sender, patient): A01, A08 (renamed), A08 (renamed), ORU preliminary, ORU final
    const keys = [['ADT1', 'P1'], ['ADT1', 'P2'], ['ADT2', 'P1'], ['ADT2', 'P3']] as const;
    const feed = (s: string, p: string, run: number) => [
      adt({ control: `${run}-${s}-${p}-1`, sender: s, mrn: `${s}${p}`, event: 'A01', family: 'FIRST' }),
      adt({ control: `${run}-${s}-${p}-2`, sender: s, mrn: `${s}${p}`, event: 'A08', family: 'SECOND' }),
      adt({ control: `${run}-${s}-${p}-3`, sender: s, mrn: `${s}${p}`, event: 'A08', family: 'THIRD' }),
      oru({ control: `${run}-${s}-${p}-4`, sender: s, mrn: `${s}${p}`, order: `O${s}${p}`, status: 'P' }),
      oru({ control: `${run}-${s}-${p}-5`, sender: s, mrn: `${s}${p}`, order: `O${s}${p}`, status: 'F' }),
    ];
    let run = 0;
    await fc.assert(fc.asyncProperty(fc.array(fc.nat({ max: keys.length - 1 }), { minLength: 40, maxLength: 40 }), fc.integer({ min: 1, max: 6 }), async (choices, batch) => {
      run++;
      await reset();
      const intake = intakeOn(db.sql);
      const queues = keys.map(([s, p]) => feed(s, p, run));
      // each choice takes the next message of that (sender, patient), or of the next one with any left
      for (const c of choices) {
        const q = queues.map((_, i) => queues[(c + i) % queues.length]!).find((x) => x.length > 0);
        if (q) await store(intake, q.shift()!);
      }
      for (const q of queues) while (q.length) await store(intake, q.shift()!);
      // two workers on separate connections (as two replicas), small batches
      await drainAll(db.sql, [workerOn(db.sql, { batch }), workerOn(other, { batch })]);
      const rows = await db.sql<{ id: string; sender_app: string; control_id: string; state: string; processed_at: Date }[]>`
        SELECT id::text, sender_app, control_id, state, processed_at FROM inbox ORDER BY inbox.id`;
      expect(rows.every((r) => r.state === 'processed')).toBe(true);
      for (const [s, p] of keys) {
        const mine = rows.filter((r) => r.sender_app === s && r.control_id.includes(`-${s}-${p}-`));
        expect(mine).toHaveLength(5);
        // each committed with or after the one before it (a patient's consecutive rows are claimed
        // together and saved in id order in one transaction; a later claim only after they ended)
        for (let i = 1; i < mine.length; i++) expect(mine[i]!.processed_at.getTime()).toBeGreaterThanOrEqual(mine[i - 1]!.processed_at.getTime());
        const [found] = await db.sql<{ id: string }[]>`
          SELECT id FROM fhir_resource WHERE resource_type = 'Patient' AND identifiers @> ARRAY[${identifierEntry(`urn:switchboard:id:GENHOSP|${s}${p}`)}]`;
        const patient = (await storedResources<Patient>(db.sql, 'Patient')).find((r) => r.id === found?.id)?.resource;
        expect(patient?.name?.[0]?.family).toBe('THIRD');
        const obs = await db.sql<{ status: string }[]>`
          SELECT status FROM fhir_resource WHERE resource_type = 'Observation' AND inbox_id = ${mine[4]!.id}`;
        expect(obs.length).toBe(3);
        expect(obs.every((o) => o.status === 'final')).toBe(true);
      }
    }), { numRuns: 4 });
  }, 240_000);
});

describe('two workers on separate connections', () => {
  it('share 2,000 rows: each processed once, no resource written twice, per-patient order kept', async () => {
    await reset();
    const intake = intakeOn(db.sql);
    const patients = 200;
    for (let i = 0; i < 2000; i++) {
      const p = i % patients;
      await store(intake, oru({ control: `TW${i}`, sender: `LAB${i % 3}`, mrn: `TW${p}`, order: `TWO${i}`, obx: 2 }));
    }
    const a = workerOn(db.sql, { batch: 32 });
    const b = workerOn(other, { batch: 32 });
    await drainAll(db.sql, [a, b]);
    const [counts] = await db.sql<{ processed: number; attempts: number }[]>`
      SELECT count(*) FILTER (WHERE state = 'processed')::int AS processed, max(attempts)::int AS attempts FROM inbox`;
    expect(counts).toEqual({ processed: 2000, attempts: 1 });
    const types = await db.sql<{ resource_type: string; n: number; versions: number }[]>`
      SELECT resource_type, count(*)::int AS n, max(version_id)::int AS versions FROM fhir_resource GROUP BY 1 ORDER BY 1`;
    const by = Object.fromEntries(types.map((t) => [t.resource_type, t]));
    expect(by.Observation).toMatchObject({ n: 4000, versions: 1 });
    expect(by.DiagnosticReport).toMatchObject({ n: 2000, versions: 1 });
    // one Patient per (sender's authority, MRN): the same MRN from three labs is one patient of GENHOSP
    expect(by.Patient!.n).toBe(patients);
    // per (sender, patient): processing order is stored order
    const rows = await db.sql<{ k: string; id: string; at: Date }[]>`
      SELECT sender_app || '/' || order_patient AS k, id::text, processed_at AS at FROM inbox ORDER BY inbox.id`;
    const last = new Map<string, { at: number; id: string }>();
    for (const r of rows) {
      const prev = last.get(r.k);
      if (prev !== undefined) expect(r.at.getTime()).toBeGreaterThanOrEqual(prev.at);
      last.set(r.k, { at: r.at.getTime(), id: r.id });
    }
  }, 240_000);
});

describe('a batch with a row the store refuses', () => {
  it('fails only that row, with the store\'s code, and processes the others of the batch', async () => {
    await reset();
    // two stored Patients share the identifier: a conditional create matching both is 412
    const dup = { resourceType: 'Patient', identifier: [{ system: 'urn:switchboard:id:GENHOSP', value: 'AMBIG' }] };
    for (const id of ['dup-a', 'dup-b']) {
      await db.sql`INSERT INTO fhir_resource (resource_type, id, identifiers, resource) VALUES ('Patient', ${id}, ARRAY[${identifierEntry('urn:switchboard:id:GENHOSP|AMBIG')}], ${db.sql.json({ ...dup, id })})`;
    }
    const intake = intakeOn(db.sql);
    const ids = [];
    for (const [i, mrn] of ['OK1', 'AMBIG', 'OK2', 'OK3'].entries()) ids.push(await store(intake, oru({ control: `REF${i}`, sender: 'LAB', mrn, order: `REFO${i}` })));
    const w = workerOn(db.sql, { batch: 8 });
    expect(await w.processBatch()).toBe(4);
    const rows = await db.sql<{ id: string; state: string; error_code: string | null }[]>`SELECT id::text, state, error_code FROM inbox ORDER BY inbox.id`;
    expect(rows.map((r) => [r.state, r.error_code])).toEqual([
      ['processed', null], ['failed', 'ERR_FHIR_MULTIPLE_MATCHES'], ['processed', null], ['processed', null],
    ]);
    const [saved] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM fhir_resource WHERE inbox_id = ${ids[1]!}`;
    expect(saved!.n).toBe(0);
  });
});

describe('critical first', () => {
  it('claims a critical result (OBX-8 HH) ahead of a routine backlog of other patients', async () => {
    await reset();
    const intake = intakeOn(db.sql);
    for (let i = 0; i < 50; i++) await store(intake, oru({ control: `RT${i}`, sender: 'LAB', mrn: `RT${i}`, order: `RTO${i}` }));
    const critical = await store(intake, oru({ control: 'CRIT', sender: 'LAB', mrn: 'CRIT1', order: 'CRITO', critical: true }));
    const [row] = await db.sql<{ priority: number }[]>`SELECT priority FROM inbox WHERE id = ${critical}`;
    expect(row!.priority).toBe(3); // stat, by the site's flag rule for HH
    const claimed = await claimInboxRows(db.sql, { claimMs: 60_000, limit: 1 });
    expect(claimed.map((r) => r.id)).toEqual([critical]);
  });

  it('keeps a critical result behind an earlier pending message of the same patient', async () => {
    await reset();
    const intake = intakeOn(db.sql);
    const first = await store(intake, oru({ control: 'SAME1', sender: 'LAB', mrn: 'SAMEP', order: 'SAMEO1' }));
    const second = await store(intake, oru({ control: 'SAME2', sender: 'LAB', mrn: 'SAMEP', order: 'SAMEO2', critical: true }));
    // the critical lane cannot take it while the routine one before it is pending
    expect(await claimInboxRows(db.sql, { claimMs: 60_000, limit: 4, minPriority: 1 })).toEqual([]);
    // a routine claim takes both, in stored order
    const claimed = await claimInboxRows(db.sql, { claimMs: 60_000, limit: 10 });
    expect(claimed.map((r) => r.id)).toEqual([first, second]);
  });
});

describe('a patient\'s consecutive rows in one claim', () => {
  it('claims them together in id order, saves them in that order, and drains one patient\'s flood several rows per batch', async () => {
    await reset();
    const intake = intakeOn(db.sql);
    const ids: string[] = [];
    ids.push(await store(intake, adt({ control: 'FL0', sender: 'ADT', mrn: 'FLOOD', event: 'A01', family: 'F0' })));
    for (let i = 1; i < 40; i++) ids.push(await store(intake, adt({ control: `FL${i}`, sender: 'ADT', mrn: 'FLOOD', event: 'A08', family: `F${i}` })));
    const other = await store(intake, oru({ control: 'FLX', sender: 'ADT', mrn: 'OTHER', order: 'FLXO' }));
    const claimed = await claimInboxRows(db.sql, { claimMs: 60_000, limit: 16 });
    expect(claimed.map((r) => r.id)).toEqual([...ids.slice(0, 15), other].sort((a, b) => Number(a) - Number(b)));
    // the rest of the flood waits while its earlier rows are in flight
    expect(await claimInboxRows(db.sql, { claimMs: 60_000, limit: 16 })).toEqual([]);
    await db.sql`UPDATE inbox SET state = 'received', attempts = 0, claimed_until = NULL`;
    // each batch saves four waves (the default maxWaves): the flood's first four rows and the other
    // patient's, then hands the rest of the chain back (its attempt not counted) for the next claim
    const w = workerOn(db.sql, { batch: 16 });
    expect(await w.processBatch()).toBe(16);
    const [first] = await db.sql<{ processed: number; received: number }[]>`
      SELECT count(*) FILTER (WHERE state = 'processed')::int AS processed, count(*) FILTER (WHERE state = 'received')::int AS received FROM inbox`;
    expect(first).toEqual({ processed: 5, received: 36 });
    let rounds = 1;
    while ((await w.processBatch()) > 0) rounds++;
    expect(rounds).toBe(10);
    const [attempts] = await db.sql<{ max: number }[]>`SELECT max(attempts)::int AS max FROM inbox`;
    expect(attempts!.max).toBe(1);
    const [row] = await db.sql<{ id: string; version_id: number; inbox_id: string }[]>`
      SELECT id, version_id, inbox_id::text FROM fhir_resource
      WHERE resource_type = 'Patient' AND identifiers @> ARRAY[${identifierEntry('urn:switchboard:id:GENHOSP|FLOOD')}]`;
    const family = (await storedResources<Patient>(db.sql, 'Patient')).find((r) => r.id === row?.id)?.resource.name?.[0]?.family;
    const patient = { family, version_id: row?.version_id, inbox_id: row?.inbox_id };
    // every A08 renamed the patient: 40 versions, the last message's name
    expect(patient).toEqual({ family: 'F39', version_id: 40, inbox_id: ids[39] });
    const [n] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM inbox WHERE state = 'processed'`;
    expect(n!.n).toBe(41);
  }, 60_000);
});

describe('a batch whose transaction fails', () => {
  it('saves row by row; after a row left to be retried, hands its sender\'s later rows back unsaved, in order', async () => {
    await reset();
    // a store failure (not a refusal) for one patient's resources; the trigger made as the
    // database's superuser (under TEST_DB_ROLE=app the suite's own role owns no table)
    const u = new URL(adminUrl());
    u.pathname = new URL(db.url).pathname;
    const admin = connect(u.toString(), { max: 1 });
    const intake = intakeOn(db.sql);
    const bad = await store(intake, adt({ control: 'BF1', sender: 'BAD', mrn: 'BP', event: 'A01', family: 'BOOM' }));
    const after = await store(intake, adt({ control: 'BF2', sender: 'BAD', mrn: 'BP', event: 'A08', family: 'FINE' }));
    const other = await store(intake, adt({ control: 'OF1', sender: 'OK', mrn: 'OP', event: 'A01', family: 'FINE' }));
    // bodies are sealed, so the trigger knows the failing message by its inbox id
    if (!/^\d+$/.test(bad)) throw new Error('an inbox id');
    await admin.unsafe(`
      CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.resource_type = 'Patient' AND NEW.inbox_id = ${bad} THEN RAISE EXCEPTION 'store trouble'; END IF; RETURN NEW; END $$;
      CREATE TRIGGER boom BEFORE INSERT OR UPDATE ON fhir_resource FOR EACH ROW EXECUTE FUNCTION boom();`);
    try {
      const w = workerOn(db.sql, { batch: 8, maxAttempts: 3 });
      expect(await w.processBatch()).toBe(3);
      const rows = await db.sql<{ id: string; state: string; attempts: number }[]>`SELECT id::text, state, attempts FROM inbox ORDER BY inbox.id`;
      const by = new Map(rows.map((r) => [r.id, r]));
      expect(by.get(bad)).toMatchObject({ state: 'processing', attempts: 1 }); // its claim expires, then it is retried
      expect(by.get(after)).toMatchObject({ state: 'received', attempts: 0 }); // handed back: not saved before it
      expect(by.get(other)).toMatchObject({ state: 'processed' });
      // and it stays behind the failed row until that one ends
      expect(await claimInboxRows(db.sql, { claimMs: 60_000, limit: 8 })).toEqual([]);
    } finally {
      await admin.unsafe('DROP TRIGGER boom ON fhir_resource; DROP FUNCTION boom()');
      await admin.end({ timeout: 2 });
    }
  }, 60_000);
});

describe('the mapping time budget', () => {
  it('fails a message over budget with ERR_MAPPING_TIME_BUDGET, once, and replaces the thread', async () => {
    await reset();
    // 200,000 repetitions in OBX-5: its mapping takes far longer than 10 ms on any machine
    const hostile = Buffer.from(readFileSync(new URL('../../fixtures/hl7/oru/obx5-200000-repetitions.hl7', import.meta.url), 'latin1').replace(/\r?\n/g, '\r'), 'latin1');
    const pool = new MapPool({ config: DEFAULT_SITE_CONFIG, idKey: ID_KEY, threads: 1, budgetMs: 10, log: silentLogger });
    try {
      const id = await store(intakeOn(db.sql), hostile);
      const w = workerOn(db.sql, { mapper: pool, maxAttempts: 3 });
      expect(await w.processBatch()).toBe(1);
      const [row] = await db.sql<{ state: string; error_code: string; attempts: number }[]>`SELECT state, error_code, attempts FROM inbox WHERE id = ${id}`;
      expect(row).toEqual({ state: 'failed', error_code: 'ERR_MAPPING_TIME_BUDGET', attempts: 1 });
      expect(await w.processBatch()).toBe(0); // failed is final: not claimed again
      // its thread was stopped; the next message gets a fresh one (whatever its own outcome)
      expect(pool.threadsRunning).toBe(0);
      expect(pool.threadsStarted).toBe(1);
      await pool.map({ id: '2', source: 'mllp', raw: oru({ control: 'SMALL', sender: 'LAB', mrn: 'S1', order: 'SO' }), received_at: new Date() });
      expect(pool.threadsStarted).toBe(2);
    } finally {
      await pool.close();
    }
  }, 60_000);

  it('maps in the threads what it maps inline, byte for byte', async () => {
    const pool = new MapPool({ config: DEFAULT_SITE_CONFIG, idKey: ID_KEY, threads: 2, budgetMs: 60_000, log: silentLogger });
    try {
      const w = workerOn(db.sql);
      for (const msg of [oru({ control: 'T1', sender: 'LAB', mrn: 'TH1', order: 'THO', critical: true }), adt({ control: 'T2', sender: 'ADT', mrn: 'TH2', event: 'A01', family: 'Y' })]) {
        const row = { id: '1', source: 'mllp', raw: msg, received_at: new Date('2026-01-01T00:00:00Z') };
        const threaded = await pool.map(row);
        expect(threaded.outcome).toEqual(w.mapRow(row, ID_KEY).outcome);
      }
    } finally {
      await pool.close();
    }
  }, 60_000);
});
