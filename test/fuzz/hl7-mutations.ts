// Structure-aware HL7 v2 inputs for MLLP: the golden fixtures (test/mapping/mutation.ts SEEDS) taken
// apart into segments, fields, repetitions and components and put together wrongly — repeated and
// dropped segments, fields of thousands of repetitions or components, escapes that are broken or
// huge, other delimiters in MSH-1/2 (with the message re-encoded or not), other charsets and types,
// cut short — and then put on the wire wrongly: split into chunks, two frames in one write, frames
// cut short, no start block, binary garbage, a frame past the size limit. Used by the long fuzz of
// a running gateway (`npm run fuzz`, gateway.ts).
import fc from 'fast-check';
import { frame } from '../../src/hl7/index.js';
import { mutate, mutation, SEEDS, type Mutation } from '../mapping/mutation.js';

/** One change to a message's structure (applied to its text, segments split on CR, fields on `|`). */
export type Edit =
  | { kind: 'repeat-field'; seg: number; field: number; times: number; value: string }
  | { kind: 'components'; seg: number; field: number; times: number; sep: '^' | '&' }
  | { kind: 'escape'; seg: number; field: number; escape: string }
  | { kind: 'segments'; op: 'duplicate' | 'drop' | 'swap' | 'unknown' | 'empty' | 'lowercase'; seg: number; times: number }
  | { kind: 'delimiters'; chars: string; reencode: boolean }
  | { kind: 'msh'; field: 9 | 12 | 18; value: string }
  | { kind: 'bytes'; at: number; bytes: number[] }
  | { kind: 'truncate'; at: number }
  | { kind: 'line-ends'; to: '\n' | '\r\n' };

export interface Hl7Case {
  /** a golden fixture with edits, or the mapping fuzzer's character-level mutation of one */
  source: { seed: number; edits: Edit[] } | { chars: Mutation };
  wire: 'frame' | 'chunks' | 'two-in-one' | 'cut-frame' | 'no-start' | 'garbage' | 'oversize';
  /** where to cut chunks and frames, as fractions of the bytes */
  cuts: number[];
  garbage: number[];
}

const ESCAPES = ['\\X41\\', '\\X\\', '\\Xzz\\', '\\E\\', '\\F\\', '\\S\\', '\\T\\', '\\R\\', '\\.br\\', '\\', '\\H\\', '\\N\\', '\\Zfoo\\', '\\C2842\\', '\\M2442\\', '\\.sp5\\', '\\.in-4\\', '\\X' + '41'.repeat(5_000) + '\\', '\\E\\'.repeat(2_000), '\\.br\\'.repeat(2_000)];
const VALUES = ['A', '1', '', '""', 'x^y', '6.8', '>^250', '20260229', 'é', '\u0001', 'C1^Code^LN', '~', '|', 'MSH'];
/** MSH-1 + MSH-2 instead of |^~\&: valid other sets, short or long ones, repeated or control characters */
const DELIMITERS = ['#!$%@', '|^~\\', '|^~', '|', '||||', '|^^^&', '|^~\\&#', '\u0000^~\\&', '\r^~\\&', '|\u001c~\\&', '|^~\\&\u000b', 'é^~\\&', ' ^~\\&', '|^~\\&|^~\\&'];
const MSH_VALUES = {
  9: ['ADT^A01^ADT_A01', 'ACK', 'ORU', 'QRY^A19', 'ORU^R01^ORU_R01^X', '', '^^', 'ORU^R99', 'ZZZ^Z01', 'ORU^R01'.repeat(500)],
  12: ['2.1', '2.3', '2.9', '3.0', '', '2.5.1^^^', '99', '2.5.1'.repeat(300)],
  18: ['UNICODE UTF-8', '8859/1', 'ASCII', 'UTF-16', 'EBCDIC', '', 'UNICODE UTF-8~8859/1', 'x'.repeat(300)],
};

const index = fc.nat(60);
const times = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 2, max: 50 }) }, { weight: 2, arbitrary: fc.integer({ min: 50, max: 5_000 }) }, { weight: 1, arbitrary: fc.integer({ min: 5_000, max: 60_000 }) });

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('repeat-field' as const), seg: index, field: fc.nat(25), times, value: fc.constantFrom(...VALUES) }),
  fc.record({ kind: fc.constant('components' as const), seg: index, field: fc.nat(25), times, sep: fc.constantFrom('^' as const, '&' as const) }),
  fc.record({ kind: fc.constant('escape' as const), seg: index, field: fc.nat(25), escape: fc.constantFrom(...ESCAPES) }),
  fc.record({ kind: fc.constant('segments' as const), op: fc.constantFrom('duplicate' as const, 'drop' as const, 'swap' as const, 'unknown' as const, 'empty' as const, 'lowercase' as const), seg: index, times: fc.integer({ min: 1, max: 300 }) }),
  fc.record({ kind: fc.constant('delimiters' as const), chars: fc.constantFrom(...DELIMITERS), reencode: fc.boolean() }),
  fc.oneof(...([9, 12, 18] as const).map((f) => fc.record({ kind: fc.constant('msh' as const), field: fc.constant(f), value: fc.constantFrom(...MSH_VALUES[f]) }))),
  fc.record({ kind: fc.constant('bytes' as const), at: fc.nat(), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('line-ends' as const), to: fc.constantFrom('\n' as const, '\r\n' as const) }),
);

export const hl7Case: fc.Arbitrary<Hl7Case> = fc.record({
  source: fc.oneof(
    { weight: 3, arbitrary: fc.record({ seed: fc.nat(SEEDS.length - 1), edits: fc.array(edit, { minLength: 0, maxLength: 3 }) }) },
    { weight: 1, arbitrary: mutation.map((chars) => ({ chars })) },
  ),
  wire: fc.oneof(
    { weight: 120, arbitrary: fc.constant('frame' as const) },
    { weight: 40, arbitrary: fc.constantFrom('chunks' as const, 'two-in-one' as const, 'cut-frame' as const) },
    { weight: 20, arbitrary: fc.constantFrom('no-start' as const, 'garbage' as const) },
    // a megabyte each: rare
    { weight: 1, arbitrary: fc.constant('oversize' as const) },
  ),
  cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 6 }),
  garbage: fc.array(fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x0b, 0x1c, 0x0d, 0x7c)), { maxLength: 400 }),
});

/** MSH-10 (field 10 of the first segment) set to the id, with the seed's own field separator. */
function withControlId(text: string, id: string): string {
  const fs = text[3] ?? '|';
  const end = text.indexOf('\r');
  const msh = (end < 0 ? text : text.slice(0, end)).split(fs);
  while (msh.length < 10) msh.push('');
  msh[9] = id;
  return msh.join(fs) + (end < 0 ? '' : text.slice(end));
}

/** Applies one edit; indexes wrap around the message's segments and fields. */
function apply(text: string, e: Edit): string {
  const segs = text.split('\r');
  const at = (n: number) => n % Math.max(1, segs.length);
  const setField = (seg: number, field: number, value: string) => {
    const s = at(seg);
    const f = segs[s]!.split('|');
    const i = 1 + (field % Math.max(1, f.length + 2));
    while (f.length <= i) f.push('');
    f[i] = value;
    segs[s] = f.join('|');
    return segs.join('\r');
  };
  switch (e.kind) {
    case 'repeat-field': return setField(e.seg, e.field, Array.from({ length: e.times }, () => e.value).join('~'));
    case 'components': return setField(e.seg, e.field, Array.from({ length: e.times }, (_, i) => `c${i}`).join(e.sep));
    case 'escape': return setField(e.seg, e.field, `a${e.escape}b`);
    case 'segments': {
      const s = at(e.seg);
      if (e.op === 'duplicate') segs.splice(s, 0, ...Array.from({ length: e.times }, () => segs[s]!));
      else if (e.op === 'drop') segs.splice(s, 1);
      else if (e.op === 'swap') { const o = at(e.seg + e.times); [segs[s], segs[o]] = [segs[o]!, segs[s]!]; }
      else if (e.op === 'unknown') segs.splice(s, 0, ...Array.from({ length: Math.min(e.times, 50) }, (_, i) => `ZZ${i % 10}|${i}|x^y~z`));
      else if (e.op === 'empty') segs.splice(s, 0, ...Array.from({ length: e.times }, () => ''));
      else segs[s] = segs[s]!.slice(0, 3).toLowerCase() + segs[s]!.slice(3);
      return segs.join('\r');
    }
    case 'delimiters': {
      const old = text.slice(3, 8);
      const head = `MSH${e.chars}${text.slice(8)}`;
      if (!e.reencode || e.chars.length < 5) return head;
      // the same message with every delimiter swapped for its new character (a valid custom set when they are distinct)
      const map = new Map([...old].map((c, i) => [c, e.chars[i]!]));
      return `MSH${e.chars}${[...text.slice(8)].map((c) => map.get(c) ?? c).join('')}`;
    }
    case 'msh': return setField(0, e.field - 2, e.value);
    case 'bytes': { const i = e.at % Math.max(1, text.length); return text.slice(0, i) + String.fromCharCode(...e.bytes) + text.slice(i); }
    case 'truncate': return text.slice(0, Math.max(8, e.at % Math.max(1, text.length)));
    case 'line-ends': return text.replace(/\r/g, e.to);
  }
}

/** The message text of a case, with the control id set before the edits (so most are new messages). */
export function messageOf(c: Hl7Case, controlId: string): string {
  if ('chars' in c.source) return mutate(c.source.chars).replace(/^(MSH.(?:[^\r]*?\|){8})[^|\r]*/, `$1${controlId}`);
  let text = withControlId(SEEDS[c.source.seed]!.replace(/\r?\n/g, '\r'), controlId);
  for (const e of c.source.edits) text = apply(text, e);
  return text;
}

const cut = (b: Buffer, f: number) => Math.floor(f * b.length);

/** The bytes to write for a case, as the chunks to write them in. */
export function wireOf(c: Hl7Case, controlId: string, maxFrameBytes: number): Buffer[] {
  const msg = Buffer.from(messageOf(c, controlId), 'latin1');
  const framed = frame(msg);
  switch (c.wire) {
    case 'frame': return [framed];
    case 'chunks': {
      const points = [...new Set(c.cuts.map((f) => cut(framed, f)))].sort((a, b) => a - b);
      return [0, ...points].map((p, i) => framed.subarray(p, points[i] ?? framed.length)).filter((b) => b.length > 0);
    }
    case 'two-in-one': return [Buffer.concat([framed, frame(Buffer.from(messageOf(c, `${controlId}B`), 'latin1'))])];
    case 'cut-frame': return [framed.subarray(0, Math.max(1, cut(framed, c.cuts[0]!)))];
    case 'no-start': return [Buffer.concat([msg, Buffer.from('\x1c\r', 'latin1')])];
    case 'garbage': return [Buffer.from(c.garbage)];
    case 'oversize': return [frame(Buffer.concat([msg, Buffer.alloc(maxFrameBytes + 1 - Math.min(msg.length, maxFrameBytes), 0x41)]))];
  }
}
