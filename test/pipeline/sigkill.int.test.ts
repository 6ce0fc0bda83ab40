// SIGKILL a gateway process in the middle of processing a backlog, start it again: every row ends
// processed, once; no resource is created twice, no escalation run is started twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { saveSchedule } from '../../src/oncall/index.js';
import { parseScheduleFile } from '../../src/routing/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { spawnGateway, type GatewayProcess } from '../support/process.js';
import { intakeOn, oru, store } from './support.js';

let db: TestDatabase;
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sb-pipeline-kill-'));
let gw: GatewayProcess | undefined;
beforeAll(async () => { db = await createTestDatabase(); });
afterAll(async () => {
  if (gw && gw.child.exitCode === null) { gw.child.kill('SIGTERM'); await gw.exited; }
  await db.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

const N = 600;
const counts = async () => (await db.sql<{ processed: number; pending: number }[]>`
  SELECT count(*) FILTER (WHERE state = 'processed')::int AS processed, count(*) FILTER (WHERE state IN ('received', 'processing'))::int AS pending FROM inbox`)[0]!;

describe('SIGKILL during processing', () => {
  it('loses and doubles nothing', async () => {
    const intake = intakeOn(db.sql);
    // every 10th result critical: routed on the example schedule, one escalation run each
    for (let i = 0; i < N; i++) await store(intake, oru({ control: `K${i}`, sender: `LAB${i % 5}`, mrn: `K${i % 150}`, order: `KO${i}`, critical: i % 10 === 0 }));
    const env = {
      DATABASE_URL: db.url, DATA_DIR: dataDir, WORKER_CLAIM_MS: '1500', WORKER_POLL_MS: '100', WORKER_BATCH: '16',
    };
    const parsed = parseScheduleFile(readFileSync(new URL('../../fixtures/schedules/example.json', import.meta.url), 'utf8'), 'example.json');
    if (!parsed.ok) throw new Error('example schedule does not parse');
    expect((await saveSchedule(db.sql, parsed.value, { by: 'test', now: new Date() })).ok).toBe(true);
    gw = await spawnGateway(env);
    // kill it once part of the backlog is done (whatever batch is in flight then is cut off)
    for (let i = 0; (await counts()).processed < N / 4; i++) {
      if (i > 6000) throw new Error('processing did not start');
      await new Promise((r) => setTimeout(r, 10));
    }
    gw.child.kill('SIGKILL');
    await gw.exited;
    const atKill = await counts();
    expect(atKill.pending).toBeGreaterThan(0);
    gw = await spawnGateway(env);
    for (let i = 0; (await counts()).pending > 0; i++) {
      if (i > 1200) throw new Error('backlog not processed after the restart');
      await new Promise((r) => setTimeout(r, 100));
    }
    const rows = await db.sql<{ state: string; n: number }[]>`SELECT state, count(*)::int AS n FROM inbox GROUP BY state`;
    expect(rows).toEqual([{ state: 'processed', n: N }]);
    const res = await db.sql<{ resource_type: string; n: number; versions: number }[]>`
      SELECT resource_type, count(*)::int AS n, max(version_id)::int AS versions FROM fhir_resource
      WHERE resource_type IN ('Patient', 'Observation', 'DiagnosticReport', 'CommunicationRequest') GROUP BY 1 ORDER BY 1`;
    const by = Object.fromEntries(res.map((r) => [r.resource_type, r]));
    expect(by.Patient!.n).toBe(150);
    expect(by.Observation).toMatchObject({ n: 3 * N, versions: 1 });
    expect(by.DiagnosticReport).toMatchObject({ n: N, versions: 1 });
    const [runs] = await db.sql<{ runs: number; started: number; requests: number }[]>`
      SELECT (SELECT count(*)::int FROM delivery_run) AS runs,
             (SELECT count(*)::int FROM delivery_event WHERE kind = 'run_started') AS started,
             (SELECT count(*)::int FROM fhir_resource WHERE resource_type = 'CommunicationRequest') AS requests`;
    expect(runs).toEqual({ runs: N / 10, started: N / 10, requests: N / 10 });
  }, 240_000);
});
