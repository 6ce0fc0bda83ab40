// The routine workers in their own thread (src/pipeline/processing-thread.ts): rows stored on this
// thread are mapped, routed and saved there with the thread's own pool, keys and schedule; what must
// happen here comes back (delivery pokes, application ACKs on the sender's connection, counters on
// this registry); the critical lane's state is read from shared memory; a thread killed mid-run is
// started again and every row ends processed exactly once.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAck } from '../../src/hl7/index.js';
import { MllpClient } from '../../src/mllp/index.js';
import { AppAckRouter } from '../../src/ingest/app-ack.js';
import { Hl7Intake, InboxWriter } from '../../src/ingest/index.js';
import { silentLogger } from '../../src/obs/log.js';
import { SenderPolicy, sendersFileSchema } from '../../src/ingest/senders.js';
import { ProcessingThread, SharedLane, type ProcessingSetup } from '../../src/pipeline/index.js';
import { createMetrics, type Metrics } from '../../src/obs/metrics.js';
import { DEFAULT_SITE_CONFIG } from '../../src/mapping/index.js';
import { DEFAULT_SCHEDULE_LIMITS, saveSchedule } from '../../src/oncall/index.js';
import { parseScheduleFile } from '../../src/routing/index.js';
import { DB_TIMEOUT_DEFAULTS, ensureIdKey, getRun } from '../../src/store/index.js';
import type { Logger } from '../../src/obs/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startMllpHarness, type MllpHarness } from '../support/harness.js';
import { fixture, toWire } from '../support/fixtures.js';
import { withControlId, withMshField } from '../support/messages.js';
import { TEST_KEYRING_INIT } from '../support/phi-keys.js';

let db: TestDatabase;
/** an MLLP listener whose senders get application ACKs on their connection */
let mllp: MllpHarness;
/** intake without a sender list: rows stored directly by the test */
let direct: MllpHarness;
let idKey: Uint8Array;
const appAcks = new AppAckRouter();

/** A logger keeping each line's event name (what the thread posts back). */
function capture(): Logger & { events: string[] } {
  const events: string[] = [];
  const push = (e: string) => { events.push(e); };
  return { events, debug: push, info: push, warn: push, error: push };
}

function setup(o: { claimMs?: number; concurrency?: number; nice?: number; youngMb?: number } = {}): ProcessingSetup {
  return {
    db: { url: db.url, max: 3, name: 'sb-test-processing', timeouts: DB_TIMEOUT_DEFAULTS },
    workers: {
      concurrency: o.concurrency ?? 2, batch: 8, gatherMs: 0, claimMs: o.claimMs ?? 60_000, pollMs: 50, maxAttempts: 5, appName: 'SWITCHBOARD',
      inlineMaxBytes: 16_384, mapThreads: 1, mapBudgetMs: 5_000, nice: o.nice ?? 0, ...(o.youngMb ? { youngMb: o.youngMb } : {}),
    },
    siteConfig: DEFAULT_SITE_CONFIG, idKey, keys: TEST_KEYRING_INIT, scheduleLimits: DEFAULT_SCHEDULE_LIMITS, route: true,
  };
}

async function until(what: string, check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const stateOf = async (controlId: string) => (await db.sql<{ state: string }[]>`SELECT state FROM inbox WHERE control_id = ${controlId}`)[0]?.state;
const counted = async (m: Metrics, name: 'processed' | 'routed') => (await m[name].get()).values.reduce((n, v) => n + v.value, 0);

beforeAll(async () => {
  db = await createTestDatabase();
  const parsed = parseScheduleFile(fixture('schedules/example.json').toString('utf8'), 'example.json');
  if (!parsed.ok) throw new Error('example schedule does not parse');
  expect((await saveSchedule(db.sql, parsed.value, { by: 'test', now: new Date() })).ok).toBe(true);
  idKey = await ensureIdKey(db.sql);
  const senders = SenderPolicy.fromFile(sendersFileSchema.parse({
    senders: [{ application: 'LAB', facility: 'NORTHLAB', from: ['127.0.0.1'], appAck: { to: 'connection' } }],
  }));
  mllp = await startMllpHarness(db.sql, { appAcks, senders });
  direct = await startMllpHarness(db.sql);
});
afterAll(async () => {
  await mllp?.close();
  await direct?.close();
  await db?.drop();
});

/** The nice value of each task (thread) of this process, from /proc/self/task/<tid>/stat (Linux). */
function taskNices(): number[] {
  return readdirSync('/proc/self/task').map((tid) => niceOf(`/proc/self/task/${tid}/stat`)).filter((n): n is number => n !== undefined);
}
/** Field 19 of a /proc stat line (after the parenthesised name): the task's nice value. */
function niceOf(statFile: string): number | undefined {
  try {
    const stat = readFileSync(statFile, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  } catch {
    return undefined;
  }
}

describe('the processing thread', () => {
  it('maps, routes and saves a critical result; the run it starts pokes delivery here; counters land on this registry', { timeout: 60_000 }, async () => {
    const metrics = createMetrics();
    const log = capture();
    const pokes: ({ urgent: boolean } | undefined)[] = [];
    const thread = new ProcessingThread({ setup: setup(), log, metrics, appAcks, delivery: { poke: (what) => { pokes.push(what); } } });
    await thread.start();
    try {
      expect(thread.running).toBe(true);
      // PROCESSING_YOUNG_MB unset: the default young generation
      expect(thread.heapLimits).toEqual({ youngMb: 16, oldMb: 1024 });
      const r = await direct.intake.receive(withControlId('spine/oru-r01.hl7', 'THREAD1'), { source: 'mllp', peer: null });
      thread.poke();
      await until('THREAD1 processed', async () => (await stateOf('THREAD1')) === 'processed');
      const saved = await db.sql<{ resource_type: string; id: string }[]>`SELECT resource_type, id FROM fhir_resource WHERE inbox_id = ${r.ids[0]!}`;
      expect(saved.map((s) => s.resource_type)).toEqual(expect.arrayContaining(['Patient', 'Observation', 'CommunicationRequest']));
      const [row] = await db.sql<{ routed: boolean }[]>`SELECT routing IS NOT NULL AS routed FROM inbox WHERE id = ${r.ids[0]!}`;
      expect(row!.routed).toBe(true);
      const cr = saved.find((s) => s.resource_type === 'CommunicationRequest')!;
      expect(await getRun(db.sql, cr.id)).toMatchObject({ state: 'active', step: 0 });
      await until('the delivery poke', async () => pokes.length > 0);
      // a critical result's run: the delivery's urgent lane is told
      expect(pokes[0]).toEqual({ urgent: true });
      await until('the counters', async () => (await counted(metrics, 'processed')) === 1 && (await counted(metrics, 'routed')) === 1);
      expect((await metrics.processed.get()).values[0]).toMatchObject({ labels: { type: 'ORU^R01', outcome: 'processed' }, value: 1 });
    } finally {
      await thread.stop();
    }
    expect(thread.running).toBe(false);
  });

  it('enhanced mode: the application ACK made in the thread reaches the sender on its connection here', { timeout: 60_000 }, async () => {
    const log = capture();
    const thread = new ProcessingThread({ setup: setup({ youngMb: 48 }), log, metrics: createMetrics(), appAcks });
    await thread.start();
    // PROCESSING_YOUNG_MB=48: the thread runs with that young generation, and does its work as before
    expect(thread.heapLimits?.youngMb).toBe(48);
    const c = new MllpClient({ port: mllp.port });
    try {
      await c.connect();
      expect(readAck((await c.send(toWire(fixture('spine/oru-r01-enhanced.hl7')))).toString('latin1'))).toMatchObject({ code: 'CA', controlId: 'ENH0001' });
      const next = c.nextReply();
      thread.poke();
      expect(readAck((await next).toString('latin1'))).toMatchObject({ code: 'AA', controlId: 'ENH0001' });
      await until('the log line', async () => log.events.includes('app_ack_sent'));
    } finally {
      c.close();
      await thread.stop();
    }
  });

  it('beside a running critical lane (shared memory) claims only routine rows, and urgent ones while the lane is busy', { timeout: 60_000 }, async () => {
    const lane = new SharedLane();
    lane.publish({ urgentFrom: 1, busy: false, batch: 4 });
    const thread = new ProcessingThread({ setup: setup(), log: capture(), metrics: createMetrics(), lane });
    await thread.start();
    try {
      await direct.intake.receive(withControlId('spine/oru-r01.hl7', 'LANE1'), { source: 'mllp', peer: null });
      await direct.intake.receive(withControlId('spine/adt-a01.hl7', 'LANE2'), { source: 'mllp', peer: null });
      const [p] = await db.sql<{ priority: number }[]>`SELECT priority FROM inbox WHERE control_id = 'LANE1'`;
      expect(p!.priority).toBeGreaterThan(0);
      thread.poke();
      await until('the routine row', async () => (await stateOf('LANE2')) === 'processed');
      // several empty rounds later the urgent row is still the lane's
      await new Promise((r) => setTimeout(r, 300));
      expect(await stateOf('LANE1')).toBe('received');
      lane.publish({ urgentFrom: 1, busy: true, batch: 4 });
      thread.poke();
      await until('the urgent row, taken while the lane is busy', async () => (await stateOf('LANE1')) === 'processed');
    } finally {
      await thread.stop();
    }
  });

  it('is not poked for a batch its idle lane takes alone, and is for any other', { timeout: 60_000 }, async () => {
    const lane = new SharedLane();
    lane.publish({ urgentFrom: 1, busy: false, batch: 4 });
    const base = setup();
    // no poll: only a poke (or a NOTIFY) wakes the workers
    const thread = new ProcessingThread({ setup: { ...base, workers: { ...base.workers, pollMs: 600_000 } }, log: capture(), metrics: createMetrics(), lane });
    // a writer of its own whose first batch NOTIFYs and no later one (within the hour): the pokes below are the only wake-ups
    const intake = new Hl7Intake({ sql: db.sql, writer: new InboxWriter(db.sql, { maxBatch: 8, notifyEveryMs: 3_600_000 }), metrics: createMetrics(), log: silentLogger, appName: 'SWITCHBOARD' });
    await thread.start();
    try {
      await intake.receive(withControlId('spine/adt-a01.hl7', 'POKE0'), { source: 'mllp', peer: null });
      await until('the first row (its NOTIFY)', async () => (await stateOf('POKE0')) === 'processed');
      await new Promise((r) => setTimeout(r, 300));
      await intake.receive(withControlId('spine/adt-a01.hl7', 'POKE1'), { source: 'mllp', peer: null });
      // told the batch held one urgent row only: the idle lane's, so the workers are not woken
      thread.poke({ max: 3, min: 3, rows: 1 });
      await new Promise((r) => setTimeout(r, 500));
      expect(await stateOf('POKE1')).toBe('received');
      thread.poke({ max: 0, min: 0, rows: 1 });
      await until('the routine row, once poked for it', async () => (await stateOf('POKE1')) === 'processed');
    } finally {
      await thread.stop();
    }
  });

  it('killed mid-run, it is started again and every row ends processed, none twice', async () => {
    const metrics = createMetrics();
    const log = capture();
    const thread = new ProcessingThread({ setup: setup({ claimMs: 1_500 }), log, metrics, restart: { baseMs: 100, maxMs: 1_000 } });
    const n = 240;
    for (let i = 0; i < n; i++) {
      // twenty senders: twenty order groups, so batches fill
      await direct.intake.receive(withMshField(withControlId('spine/adt-a01.hl7', `KILL${i}`), 4, `FAC${i % 20}`), { source: 'mllp', peer: null });
    }
    const done = async () => (await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM inbox WHERE control_id LIKE 'KILL%' AND state IN ('processed', 'failed')`)[0]!.n;
    await thread.start();
    try {
      await until('some rows processed', async () => (await done()) >= 8, 30_000);
      expect(await done()).toBeLessThan(n);
      await thread.kill();
      await until('the restart', async () => thread.running && log.events.includes('processing_thread_restarting'));
      await until('every row', async () => (await done()) === n, 60_000);
      const states = await db.sql<{ state: string; n: number }[]>`SELECT state, count(*)::int AS n FROM inbox WHERE control_id LIKE 'KILL%' GROUP BY state`;
      expect(states).toEqual([{ state: 'processed', n }]);
      // each row's processing is recorded once: a row saved twice would have two events
      const twice = await db.sql`
        SELECT i.id FROM inbox i JOIN audit_pending a ON a.event->>'type' IN ('message.processed', 'message.failed') AND a.event->'entityIds'->>0 = i.id::text
        WHERE i.control_id LIKE 'KILL%' GROUP BY i.id HAVING count(*) <> 1`;
      expect(twice).toHaveLength(0);
      const events = await db.sql<{ n: number }[]>`
        SELECT count(*)::int AS n FROM inbox i JOIN audit_pending a ON a.event->>'type' = 'message.processed' AND a.event->'entityIds'->>0 = i.id::text WHERE i.control_id LIKE 'KILL%'`;
      expect(events[0]!.n).toBe(n);
      expect(log.events).toContain('processing_thread_died');
      const restarts = await metrics.registry.getSingleMetric('switchboard_processing_thread_restarts_total')!.get();
      expect(restarts.values[0]!.value).toBe(1);
    } finally {
      await thread.stop();
    }
  }, 120_000);

  it.runIf(process.platform === 'linux')('with a nice: the thread, its mapping threads and its server processes run at that lower priority; the main thread does not', { timeout: 60_000 }, async () => {
    const before = taskNices().filter((n) => n === 7).length;
    const base = setup({ nice: 7 });
    const thread = new ProcessingThread({ setup: { ...base, workers: { ...base.workers, inlineMaxBytes: 0 } }, log: capture(), metrics: createMetrics(), lowerBackends: db.sql });
    await thread.start();
    try {
      await direct.intake.receive(withControlId('spine/oru-r01.hl7', 'NICE1'), { source: 'mllp', peer: null });
      thread.poke();
      // mapped in a mapping thread of the processing thread (inlineMaxBytes 0), which runs at nice 7 while it lives
      let mapThreadSeen = false;
      await until('NICE1 processed', async () => {
        if (taskNices().filter((n) => n === 7).length >= before + 2) mapThreadSeen = true;
        return (await stateOf('NICE1')) === 'processed';
      });
      expect(taskNices().filter((n) => n === 7).length).toBeGreaterThanOrEqual(before + 1);
      expect(mapThreadSeen || taskNices().filter((n) => n === 7).length >= before + 2).toBe(true);
      expect(niceOf('/proc/self/stat')).toBe(0);
      // the server processes of the thread's connections (this machine's database): lowered when we may
      const mine = process.getuid?.() ?? -1;
      await until('the server processes lowered', async () => {
        const pids = (await db.sql<{ pid: number }[]>`SELECT pid FROM pg_stat_activity WHERE application_name = 'sb-test-processing'`).map((r) => r.pid);
        const ours = pids.filter((pid) => mine === 0 || statSync(`/proc/${pid}`, { throwIfNoEntry: false })?.uid === mine);
        return pids.length > 0 && ours.every((pid) => niceOf(`/proc/${pid}/stat`) === 7);
      });
    } finally {
      await thread.stop();
    }
  });
});
