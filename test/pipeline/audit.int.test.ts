// The pipeline's audit trail: each message's receipt and its processing (or failure) recorded in
// the batch's save transaction, one append per batch; the sealed chain verifies (`switchboard audit verify`).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { runCli } from '../../src/cli/commands.js';
import { sealAll } from '../../src/audit/index.js';
import { intakeOn, oru, store, workerOn } from './support.js';

let db: TestDatabase;
const saved = { ...process.env };
beforeAll(async () => { db = await createTestDatabase({ max: 4 }); });
afterAll(async () => { process.env = saved; await db.drop(); });

interface Row { type: string; actor: string; actor_kind: string; entity_ids: string[]; patient: string | null; outcome: string; outcome_code: string | null; source: string | null }

describe('pipeline audit events', () => {
  it('records message.received and message.processed (or .failed) per message, in one append per batch, and the chain verifies', async () => {
    const intake = intakeOn(db.sql);
    const ok = await store(intake, oru({ control: 'AUD1', sender: 'LAB', mrn: 'AUDP1', order: 'AUDO1' }));
    const ok2 = await store(intake, oru({ control: 'AUD2', sender: 'LAB', mrn: 'AUDP1', order: 'AUDO2' }));
    // stored, then no longer a message: a mapping failure with a stable code
    const bad = await store(intake, oru({ control: 'AUD3', sender: 'LAB', mrn: 'AUDP2', order: 'AUDO3' }));
    await db.sql`UPDATE inbox SET raw = ${Buffer.from('MSH|^~\\&|LAB|LABFAC|SWITCHBOARD|GENHOSP|20261104023000||ORU^R01|AUD3|P|2.5.1\rPID|1\r', 'latin1')} WHERE id = ${bad}`;
    const [before] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM audit_pending`;
    expect(before!.n).toBe(0); // nothing on the ACK path

    const appends: string[] = [];
    const w = workerOn(db.sql, { batch: 8 });
    const spy = db.sql.options.debug;
    db.sql.options.debug = (_c: number, text: string) => { if (/INSERT INTO audit_pending/.test(text)) appends.push(text); };
    try {
      expect(await w.processBatch()).toBe(3);
    } finally {
      db.sql.options.debug = spy;
    }
    expect(appends).toHaveLength(1);

    expect(await sealAll(db.sql)).toBe(6);
    const rows = await db.sql<(Row & { id: string })[]>`
      SELECT type, actor, actor_kind, entity_ids, patient, outcome, outcome_code, source, entity_ids[1] AS id FROM audit_event ORDER BY seq`;
    const of = (id: string) => rows.filter((r) => r.id === id);
    for (const id of [ok, ok2]) {
      const [received, processed, ...rest] = of(id);
      expect(rest).toEqual([]);
      expect(received).toMatchObject({ type: 'message.received', actor: 'LAB^LABFAC', actor_kind: 'sender', outcome: 'success', outcome_code: 'mllp' });
      expect(processed).toMatchObject({ type: 'message.processed', actor: 'system', outcome: 'success' });
      const patient = processed!.entity_ids.find((e) => e.startsWith('Patient/'));
      expect(patient).toBeDefined();
      expect(processed!.patient).toBe(patient!.slice('Patient/'.length));
      expect(processed!.entity_ids.filter((e) => e.startsWith('Observation/'))).toHaveLength(3);
    }
    const failed = of(bad);
    expect(failed.map((r) => r.type)).toEqual(['message.received', 'message.failed']);
    expect(failed[1]).toMatchObject({ outcome: 'failure', patient: null, entity_ids: [bad] });
    expect(failed[1]!.outcome_code).toMatch(/^ERR_/);

    Object.assign(process.env, { DATABASE_URL: db.url });
    let out = '';
    const code = await runCli(['audit', 'verify'], { stdout: (s) => { out += s; }, stderr: () => {} });
    expect(code).toBe(0);
    expect(out).toContain('chain ok');
  }, 60_000);
});
