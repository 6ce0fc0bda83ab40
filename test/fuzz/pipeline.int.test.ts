// Mutated golden fixtures through the whole pipeline over PostgreSQL: intake, the worker (mapping,
// the FHIR transaction), the inbox state. Every accepted message ends processed, or failed with a
// reason an integration engineer can act on (mapping refused it, or the FHIR store found its Patient
// ambiguous); never "saving failed repeatedly", never an internal error. The first long run of this
// found the worker retrying a 412 until it gave up with no reason.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIG } from '../mapping/golden.js';
import { mutate, mutation } from '../mapping/mutation.js';
import { startPipeline, type PipelineHarness } from '../support/harness.js';

let p: PipelineHarness;
beforeAll(async () => {
  p = await startPipeline({ config: CONFIG, maxAttempts: 1 });
});
afterAll(async () => {
  await p.close();
});

const ACTIONABLE = /^ERR_MAPPING_(UNSUPPORTED|MISSING_SEGMENT|DUPLICATE_IDENTITY)$|^ERR_FHIR_MULTIPLE_MATCHES$/;

describe('pipeline fuzz', () => {
  it('every accepted mutated message ends processed or failed with an actionable reason', async () => {
    let n = 0;
    for (const m of fc.sample(mutation, 400)) {
      // a fresh MSH-10 each, so most are new messages rather than duplicates
      const text = mutate(m).replace(/\|([A-Z]{3}\d{4})\|P\|/, `|PIPE${n++}|P|`);
      await p.mllp.intake.receive(Buffer.from(text, 'latin1'), { source: 'mllp', peer: 'fuzz' });
    }
    await p.drain();
    const rows = await p.db.sql<{ state: string; error_code: string | null }[]>`SELECT state, error_code FROM inbox`;
    expect(rows.length).toBeGreaterThan(100);
    expect(rows.filter((r) => r.state !== 'processed' && !ACTIONABLE.test(r.error_code ?? ''))).toEqual([]);
  });
});
