// The bounds of src/mapping/limits.ts: a field past its bound is mapped up to it and reported as
// truncated (the rest of the message still maps and routes); a message past MAX_SEGMENTS fails as
// ERR_MAPPING_TOO_LARGE.
import { readFileSync } from 'node:fs';
import type { Observation } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { parseHl7, parseHl7Input } from '../../src/hl7/index.js';
import { MAX_REPETITIONS, MAX_SEGMENTS, MAX_TEXT_LINES, type MappingResult, mapHl7Message } from '../../src/mapping/index.js';
import { CONFIG, FIXTURES, OPTIONS } from './golden.js';

const ORU = readFileSync(`${FIXTURES}/oru/potassium-critical-hh.hl7`, 'latin1').split('\r').filter((l) => l !== '');
const OBX = ORU[5]!;
const oru = (...tail: string[]): string => `${[...ORU.slice(0, 5), ...tail].join('\r')}\r`;
const map = (text: string): MappingResult => mapHl7Message(parseHl7(text), CONFIG, OPTIONS);
const observations = (r: MappingResult): Observation[] => (r.bundle.entry ?? []).map((e) => e.resource).filter((x): x is Observation => x?.resourceType === 'Observation');

describe('bounds on the work of one message', () => {
  it('maps the first MAX_TEXT_LINES of a 200,000-repetition OBX-5, reports the rest, and still routes the critical result after it', () => {
    const input = parseHl7Input(readFileSync(`${FIXTURES}/oru/obx5-200000-repetitions.hl7`));
    if (input.kind !== 'message') throw new Error('expected one message');
    const r = mapHl7Message(input.message, CONFIG, OPTIONS);
    expect(r.report.truncated).toEqual([{ segment: 'OBX', index: 4, field: 5, kept: MAX_TEXT_LINES, total: 200_000 }]);
    const [text, potassium] = observations(r);
    const lines = text!.valueString!.split('\n');
    expect(lines).toHaveLength(MAX_TEXT_LINES + 1);
    expect(lines.at(-1)).toMatch(/^\[190000 more lines not mapped/);
    expect(potassium!.valueQuantity?.value).toBe(6.8);
    expect(r.triage).toMatchObject({ priority: 'stat', category: 'critical-result' });
  });

  it('maps the first MAX_TEXT_LINES lines of a long NTE-3 into the note', () => {
    const input = parseHl7Input(readFileSync(`${FIXTURES}/oru/nte-40000-repetitions.hl7`));
    if (input.kind !== 'message') throw new Error('expected one message');
    const r = mapHl7Message(input.message, CONFIG, OPTIONS);
    expect(r.report.truncated).toEqual([{ segment: 'NTE', index: 5, field: 3, kept: MAX_TEXT_LINES, total: 40_000 }]);
    expect(observations(r)[0]!.note![0]!.text.split('\n')).toHaveLength(MAX_TEXT_LINES + 1);
  });

  it.each([
    ['coded OBX-5 (one component per further repetition)', (n: number) => oru(OBX.replace('|NM|', '|CWE|').replace('|6.8|', `|${Array.from({ length: n }, (_, i) => `C${i}^Code^L`).join('~')}|`)), 5, (o: Observation) => (o.component?.length ?? 0) + 1],
    ['OBX-8 flags', (n: number) => oru(OBX.replace('|HH|', `|${Array.from({ length: n }, () => 'H').join('~')}|`)), 8, (o: Observation) => o.interpretation?.length ?? 0],
  ] as const)('maps MAX_REPETITIONS of %s and reports the field once', (_what, make, field, count) => {
    const under = map(make(MAX_REPETITIONS));
    expect(under.report.truncated).toEqual([]);
    expect(count(observations(under)[0]!)).toBe(MAX_REPETITIONS);
    const over = map(make(MAX_REPETITIONS + 1));
    expect(over.report.truncated).toEqual([{ segment: 'OBX', index: 5, field, kept: MAX_REPETITIONS, total: MAX_REPETITIONS + 1 }]);
    expect(count(observations(over)[0]!)).toBe(MAX_REPETITIONS);
    expect(over.report.warnings.filter((w) => w.includes('repetitions'))).toHaveLength(1);
  });

  it('refuses a message of more than MAX_SEGMENTS segments as ERR_MAPPING_TOO_LARGE, and maps one at the bound', () => {
    const fill = (n: number) => Array.from({ length: n }, (_, i) => OBX.replace('OBX|1|', `OBX|${i + 1}|`).replace('|2823-3^', `|X${i}^`));
    expect(() => map(oru(...fill(MAX_SEGMENTS - 5)))).not.toThrow();
    expect(() => map(oru(...fill(MAX_SEGMENTS - 4)))).toThrow(expect.objectContaining({ code: 'ERR_MAPPING_TOO_LARGE' }));
  });
});
