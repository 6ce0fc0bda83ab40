// Parsing and mapping are linear in the message: each family of pathological inputs below is built
// at sizes n and 16n from a golden fixture, and one parse + map of the larger may take at most 6 times
// as long as 16 of the smaller. Linear code measures 0.1-4 here (the larger input's strings and
// objects no longer fit the caches); the quadratic OBX-5 and NTE-3 readers this replaced measured
// 12-14 (the "under the bound" families stay below limits.ts's bounds, which would hide a slow
// reader by mapping fewer repetitions). Equal volumes
// are compared so that both sides make the same garbage: timing one small run against one large one
// mostly measured whether a major GC fell inside the large run. Only ratios measured in this test are
// compared, never absolute times. n is first doubled until the small side takes a few milliseconds;
// each side is timed as its fastest of several interleaved runs, and a family gets three tries, so a
// pause of the machine cannot fail it alone.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type Hl7Message, parseHl7Input } from '../../src/hl7/index.js';
import { isMappingError, mapHl7Message } from '../../src/mapping/index.js';
import { CONFIG, FIXTURES, OPTIONS } from './golden.js';

const GROWTH = 16;
const SLACK = 6;
const RUNS = 5;
const TRIES = 3;
/** The small side (GROWTH runs of size n) is grown until it takes this long (ns), or to its family's largest n. */
const MIN_SMALL_NS = 5e6;

const lines = (f: string): string[] => readFileSync(`${FIXTURES}/${f}`, 'latin1').split('\r').filter((l) => l !== '');
const ORU = lines('oru/potassium-critical-hh.hl7');
const ADT = lines('adt/a01-admit.hl7');
const OBX = ORU[5]!;
const msg = (segments: string[]): string => `${segments.join('\r')}\r`;
/** The ORU fixture with its OBX replaced by these segments. */
const oru = (...tail: string[]): string => msg([...ORU.slice(0, 5), ...tail]);
const obx = (type: string, value: string): string => `OBX|1|${type}|2823-3^Potassium^LN||${value}|mmol/L|3.5-5.1|N|||F`;
const reps = (n: number, one: (i: number) => string, sep = '~'): string => Array.from({ length: n }, (_, i) => one(i)).join(sep);

/**
 * Each family: a message of size n (under, at and over the mapper's bounds in limits.ts), the n to
 * start from and the largest n to grow to (segment families stay under MAX_SEGMENTS at 8n, so the
 * mapper's own work is measured, not its refusal).
 */
const FAMILIES: [string, number, number, (n: number) => string][] = [
  ['OBX-5 TX repetitions (under the line bound)', 500, 625, (n) => oru(obx('TX', reps(n, (i) => `line ${i}`)))],
  ['OBX-5 TX repetitions (over the line bound)', 12_500, 25_000, (n) => oru(obx('TX', reps(n, () => 'A')))],
  ['OBX-5 ST repetitions with components', 500, 625, (n) => oru(obx('ST', reps(n, (i) => `a^b^${i}`)))],
  ['OBX-5 CWE repetitions', 50, 62, (n) => oru(obx('CWE', reps(n, (i) => `C${i}^Code ${i}^L`)))],
  ['OBX-5 CWE repetitions (over the bound)', 1_000, 4_000, (n) => oru(obx('CWE', reps(n, (i) => `C${i}^Code ${i}^L`)))],
  ['NTE-3 repetitions', 500, 625, (n) => oru(OBX, `NTE|1||${reps(n, (i) => `note ${i}`)}`)],
  ['NTE-3 repetitions (over the line bound)', 10_000, 20_000, (n) => oru(OBX, `NTE|1||${reps(n, () => 'x')}`)],
  ['NTE segments', 150, 300, (n) => oru(OBX, ...Array.from({ length: n }, (_, i) => `NTE|${i}||note ${i}`))],
  ['OBX-8 flag repetitions', 50, 62, (n) => oru(OBX.replace('|HH|', `|${reps(n, () => 'H')}|`))],
  ['OBX-16 observer repetitions', 50, 62, (n) => oru(`${OBX}||${reps(n, (i) => `D${i}^DOC^ONE`)}`)],
  ['OBX segments that each warn', 150, 300, (n) => oru(...Array.from({ length: n }, (_, i) => `OBX|${i}|NM|${i}^Analyte^L||not a number||||||F`))],
  ['order groups', 75, 150, (n) => oru(...Array.from({ length: n }, (_, i) => `OBR|${i}|P${i}|F${i}|1^Test^L\r${OBX}`))],
  ['PID-3 repetitions', 50, 62, (n) => msg([ORU[0]!, ORU[1]!.replace('SYN0001^^^', `${reps(n, (i) => `M${i}^^^FAC^MR`)}~SYN0001^^^`), ...ORU.slice(2)])],
  ['NK1 segments', 150, 300, (n) => msg([...ADT.slice(0, 3), ...Array.from({ length: n }, (_, i) => ADT[3]!.replace('NK1|1|', `NK1|${i}|`)), ...ADT.slice(4)])],
  ['\\Xhh\\ escapes', 1_000, 8_000, (n) => oru(obx('ST', '\\X41\\'.repeat(n)))],
  ['one long \\Xhh..\\ escape', 10_000, 40_000, (n) => oru(obx('ST', `\\X${'41'.repeat(n)}\\`))],
  ['\\.br\\ escapes', 1_000, 8_000, (n) => oru(obx('FT', 'a\\.br\\'.repeat(n)))],
  ['unknown escapes', 1_000, 8_000, (n) => oru(obx('ST', '\\Q\\'.repeat(n)))],
  ['messages in a FHS/BHS batch', 50, 200, (n) => msg(['FHS|^~\\&|SYNLAB', 'BHS|^~\\&|SYNLAB', ...Array.from({ length: n }, (_, i) => msg(ORU).replace('ORU0001', `B${i}`).slice(0, -1)), `BTS|${n}`, 'FTS|1'])],
  ['messages one after another', 50, 200, (n) => Array.from({ length: n }, (_, i) => msg(ORU).replace('ORU0001', `M${i}`)).join('')],
];

/** Parse and map every message of the text; a MappingError is an outcome too (it must come as fast). */
function work(text: Buffer): void {
  const parsed = parseHl7Input(text);
  const messages: Hl7Message[] = parsed.kind === 'batch' ? parsed.messages : [parsed.message];
  for (const m of messages) {
    try { mapHl7Message(m, CONFIG, OPTIONS); } catch (e) { if (!isMappingError(e)) throw e; }
  }
}

/** Wall time (ns) of `times` parse + map runs of text. */
function timed(text: Buffer, times: number): number {
  const start = process.hrtime.bigint();
  for (let k = 0; k < times; k++) work(text);
  return Number(process.hrtime.bigint() - start);
}

/** One large run against GROWTH small ones, each side its fastest of RUNS interleaved runs. */
function ratio(small: Buffer, large: Buffer): number {
  let s = Infinity;
  let l = Infinity;
  for (let r = 0; r < RUNS; r++) {
    s = Math.min(s, timed(small, GROWTH));
    l = Math.min(l, timed(large, 1));
  }
  return l / s;
}

describe('parse + map is linear in the input', () => {
  it.each(FAMILIES)('%s (from n = %i)', (_name, start, largest, make) => {
    let n = start;
    let small = Buffer.from(make(n), 'latin1');
    work(small); // warm the code paths before timing
    while (timed(small, GROWTH) < MIN_SMALL_NS && n * 2 <= largest) small = Buffer.from(make((n *= 2)), 'latin1');
    const large = Buffer.from(make(n * GROWTH), 'latin1');
    let best = Infinity;
    for (let t = 0; t < TRIES && best >= SLACK; t++) best = Math.min(best, ratio(small, large));
    expect(best).toBeLessThan(SLACK);
  });
});
