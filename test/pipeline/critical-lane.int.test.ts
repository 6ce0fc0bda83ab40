// The critical lane beside routine workers on a real PostgreSQL: routine workers leave urgent rows
// to a running lane (claim `maxPriority`), keep per-(sender, patient) order across the two, claim
// everything when no lane runs, and take urgent rows alone while the lane is busy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { InboxWorker as InboxWorkerClass } from '../../src/pipeline/worker.js';
import { Hl7Intake, InboxWriter } from '../../src/ingest/index.js';
import { createMetrics } from '../../src/obs/metrics.js';
import { silentLogger } from '../../src/obs/log.js';
import { claimInboxRows, markInboxRows } from '../../src/store/inbox.js';
import { mapInboxRow, type MappedRow, type RowToMap } from '../../src/pipeline/map-row.js';
import type { RowMapper } from '../../src/pipeline/map-pool.js';
import type { InboxWorker } from '../../src/pipeline/worker.js';
import { DEFAULT_SITE_CONFIG } from '../../src/mapping/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { ID_KEY, intakeOn, oru, store, workerOn } from './support.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ max: 8 });
});
afterAll(async () => {
  await db.drop();
});

const reset = async () => {
  await db.sql`TRUNCATE inbox, fhir_resource, delivery_run, delivery_event CASCADE`;
};

/** Maps in this thread, recording each row it was given (and whether the worker called it urgent); `hold` keeps it waiting. */
function recordingMapper(): RowMapper & { seen: { id: string; urgent: boolean }[]; hold(): void; release(): void } {
  let gate: Promise<void> = Promise.resolve();
  let open = () => {};
  const seen: { id: string; urgent: boolean }[] = [];
  return {
    seen,
    hold() { gate = new Promise((r) => { open = r; }); },
    release() { open(); },
    async map(row: RowToMap, o?: { urgent?: boolean }): Promise<MappedRow> {
      seen.push({ id: row.id, urgent: o?.urgent === true });
      await gate;
      return mapInboxRow(row, DEFAULT_SITE_CONFIG, ID_KEY);
    },
    async close() {},
  };
}

const states = async (ids: readonly string[]) => {
  const rows = await db.sql<{ id: string; state: string }[]>`SELECT id::text AS id, state FROM inbox WHERE id = ANY(${ids as string[]}::bigint[])`;
  return Object.fromEntries(rows.map((r) => [r.id, r.state]));
};

async function until(what: string, ok: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 2_000; i++) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`never: ${what}`);
}

describe('claim with maxPriority (routine workers beside the lane)', () => {
  it('leaves urgent rows, and a routine row behind an urgent row of its patient waits for it', async () => {
    await reset();
    const intake = intakeOn(db.sql);
    const r1 = await store(intake, oru({ control: 'P1', sender: 'LAB', mrn: 'PAT1', order: 'O1' }));
    const c2 = await store(intake, oru({ control: 'P2', sender: 'LAB', mrn: 'PAT1', order: 'O2', critical: true }));
    const r3 = await store(intake, oru({ control: 'P3', sender: 'LAB', mrn: 'PAT1', order: 'O3' }));
    const other = await store(intake, oru({ control: 'Q1', sender: 'LAB', mrn: 'PAT2', order: 'O4', critical: true }));
    const routine = { claimMs: 60_000, limit: 16, maxPriority: 0 };
    const lane = { claimMs: 60_000, limit: 4, minPriority: 1 };
    // the routine claim takes the head of PAT1 only: its chain stops at the urgent row; PAT2's urgent row is left
    expect((await claimInboxRows(db.sql, routine)).map((r) => r.id)).toEqual([r1]);
    // the lane takes PAT2's urgent row, not PAT1's (behind r1, in flight)
    expect((await claimInboxRows(db.sql, lane)).map((r) => r.id)).toEqual([other]);
    const done = (id: string) => ({ id, state: 'processed' as const, errorCode: null, error: null, mappingReport: null, routing: null, appAck: null });
    await db.sql.begin((tx) => markInboxRows(tx, [done(r1), done(other)]));
    // r3 waits for the urgent row before it, which now is the lane's
    expect(await claimInboxRows(db.sql, routine)).toEqual([]);
    expect((await claimInboxRows(db.sql, lane)).map((r) => r.id)).toEqual([c2]);
    await db.sql.begin((tx) => markInboxRows(tx, [done(c2)]));
    expect((await claimInboxRows(db.sql, routine)).map((r) => r.id)).toEqual([r3]);
  });
});

describe('routine workers beside a running critical lane', () => {
  it('never claim an urgent row with routine rows to take: the batch is the routine rows, the urgent ones are the lane\'s', async () => {
    await reset();
    const intake = intakeOn(db.sql);
    const routineIds: string[] = [];
    const urgentIds: string[] = [];
    for (let i = 0; i < 10; i++) {
      const critical = i % 2 === 0;
      const id = await store(intake, oru({ control: `U${i}`, sender: 'LAB', mrn: `UP${i}`, order: `UO${i}`, critical }));
      (critical ? urgentIds : routineIds).push(id);
    }
    const lane = workerOn(db.sql, { batch: 4, minPriority: 1 });
    const mapper = recordingMapper();
    const worker = workerOn(db.sql, { batch: 8, mapper, lane });
    await lane.start();
    try {
      expect(await worker.processBatch()).toBe(routineIds.length);
      expect(mapper.seen.map((s) => s.id).sort()).toEqual([...routineIds].sort());
      await until('the lane processed the urgent rows', async () => Object.values(await states(urgentIds)).every((s) => s === 'processed'));
    } finally {
      await lane.stop();
    }
  });

  it('keep every patient\'s rows in stored order across the lane and them, and never mix urgent rows into a routine batch', async () => {
    await reset();
    const intake = intakeOn(db.sql);
    const ids: { id: string; mrn: string; critical: boolean }[] = [];
    // 8 patients, 96 results; every 7th critical, so some critical rows sit behind routine rows of their patient and routine rows behind them
    for (let i = 0; i < 96; i++) {
      const mrn = `LP${i % 8}`;
      const critical = i % 7 === 3;
      ids.push({ id: await store(intake, oru({ control: `L${i}`, sender: 'LAB', mrn, order: `LO${i}`, critical })), mrn, critical });
    }
    const lane = workerOn(db.sql, { batch: 4, minPriority: 1 });
    // each routine worker's batches: the rows its mapper saw between the ends of its rounds
    const batches: { id: string; urgent: boolean }[][][] = [[], []];
    const routine = batches.map((mine) => {
      const mapper = recordingMapper();
      return workerOn(db.sql, { batch: 8, mapper, lane, onStages: () => { mine.push(mapper.seen.splice(0)); } });
    });
    const workers: InboxWorker[] = [lane, ...routine];
    for (const w of workers) await w.start();
    try {
      await until('every row processed', async () => Object.values(await states(ids.map((r) => r.id))).every((s) => s === 'processed'));
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
    }
    const urgent = new Set(ids.filter((r) => r.critical).map((r) => r.id));
    for (const batch of batches.flat()) {
      // routine rows only, or (the lane busy, nothing routine claimable) at most the lane's batch of urgent rows
      const n = batch.filter((s) => urgent.has(s.id)).length;
      expect(n === 0 || (n === batch.length && n <= 4)).toBe(true);
      for (const s of batch) expect(s.urgent).toBe(urgent.has(s.id));
    }
    // per patient, a later row was processed no earlier than the row before it (a later claim commits later)
    const at = new Map((await db.sql<{ id: string; t: Date }[]>`SELECT id::text AS id, processed_at AS t FROM inbox`).map((r) => [r.id, r.t.getTime()]));
    for (let p = 0; p < 8; p++) {
      const times = ids.filter((r) => r.mrn === `LP${p}`).map((r) => at.get(r.id)!);
      expect(times).toEqual([...times].sort((a, b) => a - b));
    }
  });

  it('claim every row, urgent ones too, when the lane is not running', async () => {
    await reset();
    const intake = intakeOn(db.sql);
    const r = await store(intake, oru({ control: 'N1', sender: 'LAB', mrn: 'NP1', order: 'NO1' }));
    const c = await store(intake, oru({ control: 'N2', sender: 'LAB', mrn: 'NP2', order: 'NO2', critical: true }));
    const lane = workerOn(db.sql, { batch: 4, minPriority: 1 });
    // never started
    const worker = workerOn(db.sql, { batch: 8, lane });
    expect(await worker.processBatch()).toBe(2);
    expect(await states([r, c])).toEqual({ [r]: 'processed', [c]: 'processed' });
    // started, then stopped
    await reset();
    await lane.start();
    await lane.stop();
    const c2 = await store(intake, oru({ control: 'N3', sender: 'LAB', mrn: 'NP3', order: 'NO3', critical: true }));
    expect(await worker.processBatch()).toBe(1);
    expect(await states([c2])).toEqual({ [c2]: 'processed' });
  });

  it('take urgent rows alone (the lane\'s batch) while the lane is busy and no routine row is claimable', async () => {
    await reset();
    const intake = intakeOn(db.sql);
    const laneMapper = recordingMapper();
    laneMapper.hold();
    const lane = workerOn(db.sql, { batch: 1, minPriority: 1, mapper: laneMapper });
    const worker = workerOn(db.sql, { batch: 8, lane });
    await lane.start();
    try {
      const first = await store(intake, oru({ control: 'B1', sender: 'LAB', mrn: 'BP1', order: 'BO1', critical: true }));
      lane.poke();
      await until('the lane holds its row', async () => laneMapper.seen.length === 1);
      expect(lane.busy).toBe(true);
      const second = await store(intake, oru({ control: 'B2', sender: 'LAB', mrn: 'BP2', order: 'BO2', critical: true }));
      const third = await store(intake, oru({ control: 'B3', sender: 'LAB', mrn: 'BP3', order: 'BO3', critical: true }));
      // the lane's batch (1): one of the two
      expect(await worker.processBatch()).toBe(1);
      expect(await worker.processBatch()).toBe(1);
      expect(await states([second, third])).toEqual({ [second]: 'processed', [third]: 'processed' });
      expect(laneMapper.seen.map((s) => s.id)).toEqual([first]);
    } finally {
      laneMapper.release();
      await lane.stop();
    }
  });
});

/** Waits until `count()` holds still over 50 ms with `worker` between rounds (asleep); returns the count. */
async function quietCount(count: () => number, worker: { readonly busy: boolean }): Promise<number> {
  let seen = -1;
  await until('the worker is idle', async () => {
    const idle = count() === seen && !worker.busy;
    seen = count();
    await new Promise((r) => setTimeout(r, 50));
    return idle;
  });
  return count();
}

describe('wake-ups of the critical lane', () => {
  it('sleeps through wake-ups for routine rows (in-process and NOTIFY) and wakes for an urgent one', async () => {
    await reset();
    let statements = 0;
    const counted = postgres(db.url, { max: 2, onnotice: () => {}, debug: () => { statements++; } });
    const lane = new InboxWorkerClass({
      sql: counted, config: DEFAULT_SITE_CONFIG, log: silentLogger, metrics: createMetrics(), claimMs: 60_000, pollMs: 600_000, maxAttempts: 3,
      appName: 'SWITCHBOARD', schedules: null, batch: 4, minPriority: 1, idKey: ID_KEY,
    });
    // a writer of its own, so its first batch NOTIFYs; intake triage sets the rows' priority
    const intake = new Hl7Intake({ sql: db.sql, writer: new InboxWriter(db.sql, { maxBatch: 64 }), metrics: createMetrics(), log: silentLogger, appName: 'SWITCHBOARD', triage: DEFAULT_SITE_CONFIG });
    await lane.start();
    try {
      // its first round, then asleep until woken (the poll is ten minutes away)
      const before = await quietCount(() => statements, lane);
      const routine = await store(intake, oru({ control: 'W1', sender: 'LAB', mrn: 'WPAT1', order: 'WO1' }));
      for (let i = 0; i < 5; i++) lane.poke({ max: 0, min: 0 });
      await new Promise((r) => setTimeout(r, 300));
      expect(statements).toBe(before);
      expect(await states([routine])).toEqual({ [routine]: 'received' });
      // an urgent row: its batch NOTIFYs with its priority, and the lane claims and processes it
      const urgent = await store(intake, oru({ control: 'W2', sender: 'LAB', mrn: 'WPAT2', order: 'WO2', critical: true }));
      await until('the lane processed the urgent row', async () => (await states([urgent]))[urgent] === 'processed');
      expect(statements).toBeGreaterThan(before);
    } finally {
      await lane.stop();
      await counted.end();
    }
  });
});

describe('wake-ups of the routine workers beside the lane', () => {
  it('sleep through a batch only their idle lane takes, and wake for one holding a routine row, a burst larger than its claim, or beside a busy lane', async () => {
    await reset();
    let statements = 0;
    const counted = postgres(db.url, { max: 2, onnotice: () => {}, debug: () => { statements++; } });
    // the lane's state as the processing thread reads it (shared-lane.ts): running, idle or busy
    const lane = { urgentFrom: 1 as number | undefined, busy: false, batch: 4 };
    const routine = new InboxWorkerClass({
      sql: counted, config: DEFAULT_SITE_CONFIG, log: silentLogger, metrics: createMetrics(), claimMs: 60_000, pollMs: 600_000, maxAttempts: 3,
      appName: 'SWITCHBOARD', schedules: null, batch: 4, idKey: ID_KEY, lane,
    });
    // a writer of its own: every batch holding an urgent row NOTIFYs, with the batch's priorities
    const intake = new Hl7Intake({ sql: db.sql, writer: new InboxWriter(db.sql, { maxBatch: 64, notifyEveryMs: 0 }), metrics: createMetrics(), log: silentLogger, appName: 'SWITCHBOARD', triage: DEFAULT_SITE_CONFIG });
    await routine.start();
    const quiet = () => quietCount(() => statements, routine);
    try {
      let before = await quiet();
      // only an urgent row, the lane idle: NOTIFY and in-process pokes alike leave the worker asleep
      const urgent = await store(intake, oru({ control: 'R1', sender: 'LAB', mrn: 'RPAT1', order: 'RO1', critical: true }));
      for (let i = 0; i < 5; i++) routine.poke({ max: 3, min: 3, rows: 1 });
      await new Promise((r) => setTimeout(r, 300));
      expect(statements).toBe(before);
      expect(await states([urgent])).toEqual({ [urgent]: 'received' });
      // the lane busy: the worker wakes (and, finding no routine row, takes the urgent one alone)
      lane.busy = true;
      routine.poke({ max: 3, min: 3, rows: 1 });
      await until('the worker took the urgent row beside the busy lane', async () => (await states([urgent]))[urgent] === 'processed');
      expect(statements).toBeGreaterThan(before);
      lane.busy = false;
      before = await quiet();
      // a batch holding a routine row wakes it, whatever else the batch holds
      routine.poke({ max: 3, min: 0, rows: 2 });
      await new Promise((r) => setTimeout(r, 300));
      expect(statements).toBeGreaterThan(before);
      before = await quiet();
      // so does a burst of urgent rows larger than the lane's claim (4), or one of unknown size
      routine.poke({ max: 3, min: 3, rows: 5 });
      await new Promise((r) => setTimeout(r, 300));
      expect(statements).toBeGreaterThan(before);
      before = await quiet();
      routine.poke({ max: 3, min: 3 });
      await new Promise((r) => setTimeout(r, 300));
      expect(statements).toBeGreaterThan(before);
      before = await quiet();
      // no lane running (stopped): every wake-up counts, and so does one of unknown priorities
      lane.urgentFrom = undefined;
      routine.poke({ max: 3, min: 3, rows: 1 });
      await new Promise((r) => setTimeout(r, 300));
      expect(statements).toBeGreaterThan(before);
      lane.urgentFrom = 1;
      before = await quiet();
      routine.poke();
      await new Promise((r) => setTimeout(r, 300));
      expect(statements).toBeGreaterThan(before);
    } finally {
      await routine.stop();
      await counted.end();
    }
  });
});
