// A mapped Bundle the FHIR store refuses for its content fails the row at once, with the store's
// reason, instead of being retried until "saving failed repeatedly" (found by an end-to-end fuzz run:
// two Patients sharing a secondary identifier make a third message's conditional request match both,
// a 412 by the FHIR spec, on every retry).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SITE_CONFIG } from '../../src/mapping/index.js';
import { startPipeline, type PipelineHarness } from '../support/harness.js';
import { withControlId } from '../support/messages.js';

let p: PipelineHarness;
beforeAll(async () => {
  p = await startPipeline({ config: DEFAULT_SITE_CONFIG, maxAttempts: 5 });
});
afterAll(async () => {
  await p.close();
});

/** The ADT^A01 fixture with another MSH-10 and PID-3. */
const admit = (controlId: string, pid3: string) =>
  Buffer.from(withControlId('spine/adt-a01.hl7', controlId).toString('latin1').replace('|MRN100235^^^GENHOSP^MR|', `|${pid3}|`), 'latin1');

describe('a Bundle the FHIR store refuses', () => {
  it('fails its row on the first attempt with the reason; the rows before it are processed', async () => {
    for (const [id, pid3] of [['REF1', 'MRN1^^^GENHOSP^MR~EXT9^^^OTHER^PI'], ['REF2', 'MRN2^^^GENHOSP^MR~EXT9^^^OTHER^PI'], ['REF3', 'EXT9^^^OTHER^PI']] as const) {
      const r = await p.mllp.intake.receive(admit(id, pid3), { source: 'mllp', peer: 'test' });
      expect(r.outcome).toBe('accepted');
    }
    await p.drain();
    const rows = await p.db.sql<{ control_id: string; state: string; attempts: number; error_code: string | null; error: string | null }[]>`
      SELECT control_id, state, attempts, error_code, error FROM inbox WHERE control_id LIKE 'REF%' ORDER BY control_id`;
    expect(rows.map((r) => [r.control_id, r.state, r.attempts, r.error_code])).toEqual([
      ['REF1', 'processed', 1, null], ['REF2', 'processed', 1, null], ['REF3', 'failed', 1, 'ERR_FHIR_MULTIPLE_MATCHES'],
    ]);
    expect(rows[2]!.error).toBe('the FHIR store refused the mapped resources: Bundle.entry[0]: the Patient condition matches more than one resource');
    expect(rows[2]!.error).not.toContain('EXT9'); // names the entry and type, never a value
  });
});
