// Every statement of the processing hot path, as the project's code sends it (captured from the
// driver while a batch is claimed, saved and marked), EXPLAINed on a populated, ANALYZEd store:
// none may scan fhir_resource or inbox sequentially (the lookup that did made processing quadratic
// over an installation's life). No planner setting is changed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { saveTransactionBundles } from '../../src/fhir/index.js';
import { claimInboxRows, markInboxRows } from '../../src/store/inbox.js';
import { claimDueRuns, claimFreshAttempts } from '../../src/store/index.js';
import { escalationStarts, startEscalations } from '../../src/delivery/index.js';
import { mapInboxRow } from '../../src/pipeline/map-row.js';
import { DEFAULT_SITE_CONFIG } from '../../src/mapping/index.js';
import { ID_KEY, intakeOn, oru, store } from './support.js';

let db: TestDatabase;
beforeAll(async () => { db = await createTestDatabase(); });
afterAll(async () => { await db.drop(); });

const ROWS = 20_000;

describe('hot-path plans on a populated store', () => {
  it('use indexes: no Seq Scan on fhir_resource or inbox', async () => {
    // 20,000 stored resources shaped as the extractor writes them, and 20,000 processed inbox rows
    await db.sql.unsafe(`
      INSERT INTO fhir_resource (resource_type, id, identifiers, tokens, subject, status, search_version, resource)
      SELECT CASE WHEN g % 5 = 0 THEN 'Patient' ELSE 'Observation' END, 'pre' || g,
             ARRAY['urn:ietf:rfc:3986|urn:uuid:' || md5(g::text)], ARRAY['identifier|urn:ietf:rfc:3986|urn:uuid:' || md5(g::text)],
             'Patient/p' || (g / 5), 'final', 1, jsonb_build_object('resourceType', 'Observation', 'id', 'pre' || g)
      FROM generate_series(1, ${ROWS}) g`);
    await db.sql.unsafe(`
      INSERT INTO inbox (source, sender_app, sender_facility, control_id, message_type, raw, content_hash, state, processed_at, order_patient)
      SELECT 'mllp', 'LAB' || (g % 50), 'F', 'PRE' || g, 'ORU^R01', '\\x00'::bytea, sha256(g::text::bytea), 'processed', now(), md5((g % 3000)::text)
      FROM generate_series(1, ${ROWS}) g`);
    const intake = intakeOn(db.sql);
    for (let i = 0; i < 20; i++) await store(intake, oru({ control: `EX${i}`, sender: 'LAB', mrn: `EX${i % 7}`, order: `EXO${i}`, critical: i % 4 === 0 }));
    await db.sql`ANALYZE fhir_resource`;
    await db.sql`ANALYZE inbox`;

    // the hot path on a connection that records each statement it sends
    const seen: { text: string; params: unknown[] }[] = [];
    const rec = postgres(db.url, { max: 1, onnotice: () => {}, types: {}, debug: (_c, text, params) => { seen.push({ text, params: params as unknown[] }); } });
    try {
      // more than are claimable: the windowed claim, then the one over the whole backlog
      const claimed = await claimInboxRows(rec, { claimMs: 60_000, limit: 64 });
      expect(claimed.length).toBeGreaterThan(0);
      const mapped = claimed.map((r) => ({ r, m: mapInboxRow(r, DEFAULT_SITE_CONFIG, ID_KEY) }));
      await rec.begin(async (tx) => {
        const items = mapped.flatMap(({ r, m }) => (m.outcome.kind === 'processed' ? [{ bundle: m.outcome.result.bundle, inboxId: r.id }] : []));
        const saved = await saveTransactionBundles(tx, items, {});
        const routing = { recipient: { kind: 'role' }, oncall: { role: 'ob-oncall', primary: null }, policy: 'default' } as never;
        const starts = items.flatMap((it, i) => { const s = saved[i]!; return s.ok ? escalationStarts({ bundle: it.bundle, savedIds: s.savedIds, routing, inboxId: it.inboxId, receivedAt: new Date() }) : []; });
        expect(starts.length).toBeGreaterThan(0);
        await startEscalations(tx, starts, new Date());
        // delivery's claims of the runs just started (with their requests' heads) and of their first sends
        expect((await claimDueRuns(tx, new Date(), { kind: 'urgent' }, 4)).every((r) => r.head !== null)).toBe(true);
        await claimDueRuns(tx, new Date(), { kind: 'timers', leaveFreshUrgentMs: 0 }, 64);
        await claimFreshAttempts(tx, starts.map((x) => x.requestId), new Date(), 4, 30_000);
        await markInboxRows(tx, mapped.map(({ r }) => ({ id: r.id, state: 'processed', errorCode: null, error: null, mappingReport: {}, routing: null, appAck: null })));
      });
      // a routine worker's claim beside a running critical lane (urgent rows left out)
      await claimInboxRows(rec, { claimMs: 60_000, limit: 64, maxPriority: 0 });
    } finally {
      await rec.end();
    }
    const statements = seen.filter((s) => !/^\s*(begin|commit|rollback|SET LOCAL)/i.test(s.text));
    const names = ['claim (window)', 'claim (backlog)', 'identifier locks', 'identifier lookup', 'resource upsert', 'escalation runs', 'escalation events', 'inbox outcomes'];
    expect(statements.length).toBeGreaterThanOrEqual(names.length);
    for (const s of statements) {
      const plan = (await db.sql.unsafe(`EXPLAIN ${s.text}`, s.params as never[])).map((r) => (r as Record<string, string>)['QUERY PLAN']).join('\n');
      if (process.env.SHOW_PLANS) console.log(plan);
      expect(plan, `${s.text.slice(0, 120)}\n${plan}`).not.toMatch(/Seq Scan on (fhir_resource|inbox)\b/);
      // nor every stored resource of a type: a probe of fhir_resource's primary key names the id too
      expect(plan, `${s.text.slice(0, 120)}\n${plan}`).not.toMatch(/Index Cond: \(resource_type = '\w+'::text\)\n/);
    }
  }, 120_000);
});

/** 7,000 ended rows, then ANALYZE: statistics that saw nothing pending (the normal state of a store in use). */
async function endedRowsAnalyzed(fresh: TestDatabase): Promise<void> {
  await fresh.sql.unsafe(`
    INSERT INTO inbox (source, sender_app, sender_facility, control_id, message_type, raw, content_hash, state, processed_at, order_patient)
    SELECT 'mllp', 'PRE' || (g % 50), 'F', 'PRE' || g, 'ORU^R01', '\\x00'::bytea, sha256(g::text::bytea), 'processed', now(), md5((g % 3000)::text)
    FROM generate_series(1, 7000) g`);
  await fresh.sql`ANALYZE inbox`;
}

/** `n` routine rows pending (50 senders, 1,000 patients) that the statistics do not know of. */
async function pendingBacklog(fresh: TestDatabase, n: number): Promise<void> {
  await fresh.sql.unsafe(`
    INSERT INTO inbox (source, sender_app, sender_facility, control_id, message_type, raw, content_hash, state, order_patient, priority)
    SELECT 'mllp', 'LAB' || (g % 50), 'F', 'B' || g, 'ORU^R01', '\\x00'::bytea, sha256(('b' || g)::bytea), 'received', md5((g * 7919 % 1000)::text), 0
    FROM generate_series(1, ${n}) g`);
}

/** Runs one claim on a connection of its own; returns how many rows it took and the claim statements it sent. */
async function recordClaims(fresh: TestDatabase, opts: Parameters<typeof claimInboxRows>[1]): Promise<{ taken: number; claims: { text: string; params: unknown[] }[] }> {
  const seen: { text: string; params: unknown[] }[] = [];
  const rec = postgres(fresh.url, { max: 1, onnotice: () => {}, types: {}, debug: (_c, text, params) => { seen.push({ text, params: params as unknown[] }); } });
  try {
    const taken = (await claimInboxRows(rec, opts)).length;
    return { taken, claims: seen.filter((x) => /UPDATE inbox SET state = 'processing'/.test(x.text)) };
  } finally {
    await rec.end();
  }
}

interface PlanNode { 'Relation Name'?: string; Alias?: string; 'Index Name'?: string; 'Actual Loops': number; 'Shared Hit Blocks': number; 'Shared Read Blocks': number; Plans?: PlanNode[] }

/** A recorded statement run under EXPLAIN (ANALYZE, BUFFERS) and rolled back: its plan's root node. */
async function analyzed(fresh: TestDatabase, s: { text: string; params: unknown[] }): Promise<PlanNode> {
  return fresh.sql.begin(async (tx) => {
    const [row] = await tx.unsafe(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${s.text}`, s.params as never[]);
    await tx`ROLLBACK AND CHAIN`;
    return (row as unknown as { 'QUERY PLAN': { Plan: PlanNode }[] })['QUERY PLAN'][0]!.Plan;
  });
}

/** Every plan node of the order probes (alias e, e_1, …: another row of the inbox) with its buffers and loops. */
function orderProbes(node: PlanNode, out: PlanNode[] = []): PlanNode[] {
  if (node['Relation Name'] === 'inbox' && /^e(_\d+)?$/.test(node.Alias ?? '')) out.push(node);
  for (const child of node.Plans ?? []) orderProbes(child, out);
  return out;
}

describe('the claim with statistics taken while nothing was pending', () => {
  it('probes inbox_order_pending per candidate and never reads every pending row per probe', async () => {
    const fresh = await createTestDatabase();
    try {
      await endedRowsAnalyzed(fresh);
      // then a backlog the statistics do not know of
      await pendingBacklog(fresh, 3000);
      const { taken, claims } = await recordClaims(fresh, { claimMs: 60_000, limit: 32 });
      expect(taken).toBe(32);
      const claim = claims[0]!;
      const plan = (await fresh.sql.unsafe(`EXPLAIN ${claim.text}`, claim.params as never[])).map((r) => (r as Record<string, string>)['QUERY PLAN']).join('\n');
      if (process.env.SHOW_PLANS) console.log(plan);
      // every probe of another row of the inbox (alias e) goes through the order index, with its keys
      const probes = plan.split('\n').filter((l) => / on inbox e(_\d+)?\b/.test(l));
      expect(probes.length).toBeGreaterThanOrEqual(5);
      for (const p of probes) expect(p).toMatch(/using inbox_order_pending on inbox e/);
      expect(plan).not.toMatch(/Seq Scan on inbox\b/);
    } finally {
      await fresh.drop();
    }
  }, 60_000);
});

describe('the critical lane claim over a routine backlog the statistics do not know of', () => {
  it('reads the backlog once, not once per pending row', async () => {
    const fresh = await createTestDatabase();
    try {
      await endedRowsAnalyzed(fresh);
      // 2,000 routine rows pending and not one urgent row: the lane's windowed claim finds nothing,
      // so it looks at the whole backlog, as it does on every wake-up while routine traffic drains
      await pendingBacklog(fresh, 2000);
      const { taken, claims } = await recordClaims(fresh, { claimMs: 60_000, limit: 4, minPriority: 1 });
      expect(taken).toBe(0);
      expect(claims).toHaveLength(2);
      for (const claim of claims) {
        const plan = await analyzed(fresh, claim);
        // one pass over 2,000 pending rows is a few thousand buffer reads; a pass per pending row is millions
        if (process.env.SHOW_PLANS) console.log(plan['Shared Hit Blocks'] + plan['Shared Read Blocks']);
        expect(plan['Shared Hit Blocks'] + plan['Shared Read Blocks']).toBeLessThan(20_000);
      }
    } finally {
      await fresh.drop();
    }
  }, 60_000);
});

describe('the claim over one sender\'s backlog', () => {
  it('each order probe reads its own patient\'s entries of inbox_order_pending, not the rest of the sender\'s', async () => {
    const fresh = await createTestDatabase();
    try {
      // one lab: 3,000 rows pending, 1,000 patients (3 rows each), all under one (sender, facility)
      await fresh.sql.unsafe(`
        INSERT INTO inbox (source, sender_app, sender_facility, control_id, message_type, raw, content_hash, state, order_patient, priority)
        SELECT 'mllp', 'LAB', 'F', 'S' || g, 'ORU^R01', '\\x00'::bytea, sha256(('s' || g)::bytea), 'received', md5((g * 7919 % 1000)::text), 0
        FROM generate_series(1, 3000) g`);
      await fresh.sql`VACUUM ANALYZE inbox`;
      const { claims } = await recordClaims(fresh, { claimMs: 60_000, limit: 32 });
      const probes = orderProbes(await analyzed(fresh, claims[0]!));
      const ran = probes.filter((p) => p['Actual Loops'] > 0);
      if (process.env.SHOW_PLANS) console.log(ran.map((p) => [p.Alias, p['Actual Loops'], p['Shared Hit Blocks'] + p['Shared Read Blocks']]));
      expect(ran.reduce((n, p) => n + p['Actual Loops'], 0)).toBeGreaterThan(32);
      for (const p of ran) {
        expect(p['Index Name']).toBe('inbox_order_pending');
        // a probe descends the index to its (sender, patient) and reads a page or two there; one that
        // walks on through the sender's other patients reads tens of pages per probe here
        expect((p['Shared Hit Blocks'] + p['Shared Read Blocks']) / p['Actual Loops'], p.Alias).toBeLessThan(8);
      }
    } finally {
      await fresh.drop();
    }
  }, 60_000);
});
