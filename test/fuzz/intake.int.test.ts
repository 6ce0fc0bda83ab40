// Intake over a real PostgreSQL with mutated golden fixtures (delimiters, control characters, batch
// headers, BOMs, charsets, ack modes): every input gets an ACK of its own kind (MSA with a code, in a
// printable field separator), and none is answered "store unavailable" — bad input never reaches
// PostgreSQL as something it refuses (without the parser reading control characters as U+FFFD, a NUL
// in MSH-10 reached the inbox insert and the sender was told to retry forever).
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startMllpHarness, type MllpHarness } from '../support/harness.js';
import { SEEDS } from '../mapping/mutation.js';

let db: TestDatabase;
let h: MllpHarness;
beforeAll(async () => {
  db = await createTestDatabase();
  h = await startMllpHarness(db.sql);
});
afterAll(async () => {
  await h.close();
  await db.drop();
});

const ALPHABET = ['|', '^', '~', '\\', '&', '\r', '\n', '\u0000', '\u0001', '\u001c', '\u000b', 'é', '"', 'MSH|', 'BHS|', 'FHS|', 'BTS|1', '\uFEFF', 'ï»¿', 'UNICODE UTF-8', '8859/1', 'AL', 'NE', 'ER', '2.9', '2.1', 'ACK', 'ORU^R01', 'ADT^A08', 'constructor', '__proto__', ' '];
const mutation = fc.record({
  seed: fc.nat(SEEDS.length - 1),
  edits: fc.array(fc.record({ at: fc.nat(), del: fc.nat(6), ins: fc.array(fc.constantFrom(...ALPHABET), { maxLength: 4 }) }), { minLength: 1, maxLength: 6 }),
});
const CONTROL = /[\u0000-\u001f]/;

describe('intake fuzz', () => {
  it('property: every mutated message is answered with an ACK, never "store unavailable"', async () => {
    let n = 0;
    await fc.assert(fc.asyncProperty(mutation, async (m) => {
      // a fresh MSH-10 per run, so most inputs are new messages rather than duplicates
      let s = SEEDS[m.seed]!.replace(/\|([A-Z]{3}\d{4})\|P\|/, `|F${n++}|P|`);
      for (const e of m.edits) {
        const at = e.at % Math.max(1, s.length);
        s = s.slice(0, at) + e.ins.join('') + s.slice(at + e.del);
      }
      const r = await h.intake.receive(Buffer.from(s, 'latin1'), { source: 'mllp', peer: 'fuzz' });
      expect(r.outcome).not.toBe('unavailable');
      const ack = r.ack.toString('latin1');
      const fs = ack[3]!;
      expect(CONTROL.test(fs)).toBe(false);
      expect(ack).toMatch(new RegExp(`\\rMSA\\${fs}(AA|AE|AR|CA|CE|CR)(\\${fs}|\\r)`));
    }), { numRuns: 500 });
  });
});
