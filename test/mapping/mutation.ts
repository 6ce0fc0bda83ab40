// The mapping fuzzer's inputs and its one check, shared by the CI property tests (fuzz.test.ts, a few
// hundred samples per run) and the long run (`npm run fuzz -- map [N]`, test/fuzz/long-map.ts), which
// found bugs the CI sample size missed.
import { readFileSync, statSync } from 'node:fs';
import fc from 'fast-check';
import { validateFhir } from '../../src/fhir/validate.js';
import { isHl7Error, parseHl7 } from '../../src/hl7/index.js';
import { isMappingError, mapHl7Message } from '../../src/mapping/index.js';
import { CONFIG, FIXTURES, hl7Files, OPTIONS } from './golden.js';

/** Seeds larger than this (the 400 KB fixtures of limits.ts) are left out: each run would map them whole. */
const MAX_SEED_BYTES = 64 * 1024;

/**
 * The golden fixtures of one message, or the .hl7 files under FUZZ_SEEDS (an integration engineer's
 * own samples); files of several messages are left out, as parseHl7 refuses them before any mapping.
 */
export const SEED_FILES = hl7Files(process.env.FUZZ_SEEDS ?? FIXTURES)
  .filter((f) => statSync(f).size <= MAX_SEED_BYTES && (readFileSync(f, 'latin1').match(/(^|[\r\n])MSH/g) ?? []).length === 1);
export const SEEDS = SEED_FILES.map((f) => readFileSync(f, 'latin1'));
const ALPHABET = ['|', '^', '~', '\\', '&', '\r', '"', 'X', '0', '9', '.', '-', '+', '<', '>', ' ', 'é', '\u0001', 'constructor', 'valueOf', '__proto__', 'toString', '""', '\\X00\\', '\\.br\\', '\\E\\', '0000', '99991231', '20241301', '-0500', '+1400', 'ISO', 'UUID', 'URI', 'MR', ':', '/', '%', '#', 'urn:', '2.16.840', 'OBX', 'PID', 'OBR', 'NM', 'SN', 'ED', 'HH'];

export interface Mutation { seed: number; edits: { at: number; del: number; ins: string[] }[] }

/** A golden fixture with up to six edits: deletions and insertions of delimiters, digits, ids. */
export const mutation: fc.Arbitrary<Mutation> = fc.record({
  seed: fc.integer({ min: 0, max: SEEDS.length - 1 }),
  edits: fc.array(fc.record({ at: fc.nat(), del: fc.integer({ min: 0, max: 6 }), ins: fc.array(fc.constantFrom(...ALPHABET), { maxLength: 4 }) }), { minLength: 1, maxLength: 6 }),
});

export function mutate(m: Mutation): string {
  let s = SEEDS[m.seed]!;
  for (const e of m.edits) {
    const at = 8 + (e.at % Math.max(1, s.length - 8)); // keep MSH-1/2 mostly intact so mapping is reached
    s = s.slice(0, at) + e.ins.join('') + s.slice(at + e.del);
  }
  return s;
}

/**
 * The config as a mapping thread receives it (src/pipeline/map-pool.ts): a structured clone, whose
 * lookup tables are plain objects again (Object.prototype keys included), not the parsed config's
 * prototype-free ones.
 */
const THREAD_CONFIG = structuredClone(CONFIG);

/** What mapping a text came to: 'ok', or the parser's / mapper's error code. */
export type Outcome = { kind: 'ok' | 'refused'; code?: string } | { kind: 'wrong'; why: string };

/**
 * Parses and maps; with `validate`, the Bundle is validated too. Anything but a valid Bundle that a
 * mapping thread can post back (structured clone), an Hl7Error or a MappingError with a reason is
 * `wrong`; so is ERR_MAPPING_INTERNAL, which only a mapper bug raises.
 */
export function outcome(text: string, validate: boolean): Outcome {
  let message;
  try { message = parseHl7(text); } catch (e) { return isHl7Error(e) ? { kind: 'refused', code: e.code } : { kind: 'wrong', why: `parser threw ${String(e)}` }; }
  try {
    const r = mapHl7Message(message, THREAD_CONFIG, OPTIONS);
    if (validate) {
      const issues = validateFhir(r.bundle).issues;
      if (issues.length) return { kind: 'wrong', why: `invalid FHIR: ${issues.join('; ')}` };
    }
    JSON.stringify(r.bundle);
    try { structuredClone(r); } catch (e) { return { kind: 'wrong', why: `the result cannot be posted from a mapping thread: ${String(e)}` }; }
    return { kind: 'ok' };
  } catch (e) {
    if (isMappingError(e) && e.code === 'ERR_MAPPING_INTERNAL') return { kind: 'wrong', why: `${e.code}: ${e.reason}` };
    if (isMappingError(e)) return e.reason.length > 0 ? { kind: 'refused', code: e.code } : { kind: 'wrong', why: `${e.code} without a reason` };
    return { kind: 'wrong', why: `mapper threw ${String(e)}` };
  }
}
