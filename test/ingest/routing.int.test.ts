// The worker routes each message that needs a human to whoever is on call at that instant; without a
// schedule it fails closed (visible, re-processable) and keeps the mapped resources.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { InboxWorker } from '../../src/pipeline/worker.js';
import { InboxWriter } from '../../src/ingest/inbox-writer.js';
import { Hl7Intake } from '../../src/ingest/hl7-intake.js';
import { retryInbox, getInbox } from '../../src/ingest/inbox-admin.js';
import { createMetrics } from '../../src/obs/metrics.js';
import { silentLogger } from '../../src/obs/log.js';
import { DEFAULT_SITE_CONFIG } from '../../src/mapping/index.js';
import { ScheduleService, saveSchedule } from '../../src/oncall/index.js';
import { parseScheduleFile } from '../../src/routing/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { withControlId } from '../support/messages.js';

let db: TestDatabase;
let intake: Hl7Intake;
let worker: InboxWorker;
let schedules: ScheduleService;
// Tue 2025-03-04 21:00 New York: Dr. Diaz has OB weeknights (layer 'nights')
const NOW = new Date('2025-03-05T02:00:00Z');

beforeAll(async () => {
  db = await createTestDatabase();
  const metrics = createMetrics();
  intake = new Hl7Intake({ sql: db.sql, writer: new InboxWriter(db.sql, { maxBatch: 16 }), metrics, log: silentLogger, appName: 'SWITCHBOARD' });
  schedules = new ScheduleService({ sql: db.sql });
  worker = new InboxWorker({ sql: db.sql, config: DEFAULT_SITE_CONFIG, log: silentLogger, metrics, claimMs: 60_000, pollMs: 50, maxAttempts: 3, appName: 'SWITCHBOARD', schedules, now: () => NOW });
});
afterAll(async () => { await db.drop(); });

async function receive(controlId: string, fixture = 'spine/oru-r01.hl7'): Promise<string> {
  const r = await intake.receive(withControlId(fixture, controlId), { source: 'mllp', peer: null });
  return r.ids[0]!;
}
const drain = async () => { while ((await worker.processBatch()) > 0) { /* until empty */ } };

describe('routing in the worker', () => {
  it('without a stored schedule: the critical result is failed with the reason, its resources kept', async () => {
    const id = await receive('ROUTE1');
    await drain();
    const row = (await getInbox(db.sql, id))!;
    expect(row.state).toBe('failed');
    expect(row.errorCode).toBe('ERR_SCHEDULE_NOT_FOUND');
    expect(row.error).toMatch(/^not routed: /);
    const [n] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM fhir_resource WHERE inbox_id = ${id} AND resource_type = 'Observation'`;
    expect(n!.n).toBe(3);
  });

  it('once a schedule is stored, a retry routes it to the on-call provider', async () => {
    const parsed = parseScheduleFile(readFileSync(new URL('../../fixtures/schedules/example.json', import.meta.url), 'utf8'), 'example.json');
    if (!parsed.ok) throw new Error('example schedule does not parse');
    expect((await saveSchedule(db.sql, parsed.value, { by: 'test', now: NOW })).ok).toBe(true);
    schedules.invalidate();
    const [failed] = await db.sql<{ id: string }[]>`SELECT id::text FROM inbox WHERE control_id = 'ROUTE1'`;
    expect(await retryInbox(db.sql, failed!.id)).toBe(true);
    await drain();
    const row = (await getInbox(db.sql, failed!.id))!;
    expect(row.state).toBe('processed');
    expect(row.routing).toMatchObject({ rule: 'critical-lab', oncall: { role: 'ob-oncall', primary: { id: 'dr-diaz' } } });
    const [cr] = await db.sql<{ recipients: string[] }[]>`SELECT recipients FROM fhir_resource WHERE inbox_id = ${failed!.id} AND resource_type = 'CommunicationRequest'`;
    expect(cr!.recipients).toEqual(['Practitioner/dr-diaz']);
  });

  it('a result that needs nobody is processed without routing', async () => {
    const id = await receive('NORMAL1', 'spine/oru-r01-enhanced.hl7');
    await drain();
    const row = (await getInbox(db.sql, id))!;
    expect(row.state).toBe('processed');
    expect(row.routing).toBeNull();
    // enhanced mode: the application ACK was built when it was processed
    expect(row.appAck).toContain('MSA|AA|NORMAL1');
  });
});
