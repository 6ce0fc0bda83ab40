// ER7 (pipe-and-hat) parser over the raw segments. A direct split reads an ORU about 10x faster than
// the npm parsers, and none of them handled escapes, MSH-18 and batches together (README,
// Benchmarks: `npm run bench -- parse`). Structure only: what a message type must contain is
// checked in validate.ts.
import { decodeHl7 } from './charset.js';
import { type Delimiters, type ParseRepair, readDelimiters } from './encoding.js';
import { isStorableText, toStorableText } from '../text/index.js';
import { HL7_ERROR, Hl7Error } from './errors.js';
import { Hl7Message, Segment, splitOn } from './message.js';

export interface Hl7Batch {
  kind: 'batch';
  /** FHS or BHS segment (the outermost header present); absent when messages simply follow each other. */
  header?: Segment;
  /** FHS-11 / BHS-11: the batch's control id. */
  controlId: string;
  messages: Hl7Message[];
  /** The BTS-1 message counts the sender gave, summed over the file's batches (each one checked). */
  declaredCount?: number;
}

export interface Hl7Single {
  kind: 'message';
  message: Hl7Message;
}

export type Hl7Input = Hl7Single | Hl7Batch;

const SEGMENT_BREAK = /\r\n|\n\r|\r|\n/;
const HEADER_IDS = new Set(['MSH', 'FHS', 'BHS']);

/** Parses bytes as received (MLLP frame payload or HTTP body): one message or a batch. */
export function parseHl7Input(bytes: Uint8Array): Hl7Input {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 4096)).toString('latin1');
  const start = head.search(/(MSH|FHS|BHS)/);
  if (start < 0 || head.slice(0, start).trim().replace(/^\uFEFF|^ï»¿/, '') !== '') {
    if (head.trim() === '' && bytes.byteLength <= 4096) throw new Hl7Error('ERR_HL7_EMPTY', HL7_ERROR.segmentSequence, 'empty message');
    throw new Hl7Error('ERR_HL7_NO_MSH', HL7_ERROR.segmentSequence, 'message does not begin with an MSH (or FHS/BHS) segment', { segment: 'MSH', sequence: 1 });
  }
  const { text, charset } = decodeHl7(bytes.subarray(start), declaredCharset(head.slice(start)));
  return parseHl7Text(text, charset);
}

/** Parses already-decoded text. `charset` is what the text was decoded from (for the ACK). */
export function parseHl7Text(text: string, charset = ''): Hl7Input {
  const lines = nonBlank(text.split(SEGMENT_BREAK));
  const controls = !isStorableText(text); // one scan of the whole input; per message only when set
  const first = lines[0];
  if (first === undefined) throw new Hl7Error('ERR_HL7_EMPTY', HL7_ERROR.segmentSequence, 'empty message');
  const id = first.slice(0, 3);
  if (id === 'MSH') {
    // several messages one after another without a batch header: each is its own message, never
    // merged into one (a bug seen in other parsers)
    const starts: number[] = [];
    for (let i = 0; i < lines.length; i++) if (lines[i]!.startsWith('MSH')) starts.push(i);
    if (starts.length === 1) return { kind: 'message', message: buildMessage(lines, charset, controls) };
    const messages = starts.map((s, k) => buildMessage(lines.slice(s, starts[k + 1]), charset, controls));
    return { kind: 'batch', controlId: '', messages };
  }
  if (id === 'FHS' || id === 'BHS') return parseBatch(lines, charset, controls);
  throw new Hl7Error('ERR_HL7_NO_MSH', HL7_ERROR.segmentSequence, 'message does not begin with an MSH segment', { segment: 'MSH', sequence: 1 });
}

/** The lines that are not empty or whitespace only (kept as they are; trim() only where one starts blank). */
function nonBlank(lines: string[]): string[] {
  const out: string[] = [];
  for (const l of lines) {
    const c = l.charCodeAt(0);
    if ((c > 0x20 && c < 0x7f) || (l !== '' && l.trim() !== '')) out.push(l);
  }
  return out;
}

/** Convenience for one message (a batch is an error here). */
export function parseHl7(input: Uint8Array | string): Hl7Message {
  const parsed = typeof input === 'string' ? parseHl7Text(input, 'UNICODE UTF-8') : parseHl7Input(input);
  if (parsed.kind === 'batch') throw new Hl7Error('ERR_HL7_BAD_BATCH', HL7_ERROR.segmentSequence, 'expected one message, found a batch');
  return parsed.message;
}

/** MSH-18 (first component of the first repetition) read from the ASCII header line. */
function declaredCharset(head: string): string {
  const msh = head.indexOf('MSH');
  if (msh < 0) return '';
  const line = head.slice(msh).split(SEGMENT_BREAK, 1)[0] ?? '';
  const fs = line[3];
  if (!fs) return '';
  const enc = line.slice(4).split(fs, 1)[0] ?? '';
  const f18 = line.split(fs)[17] ?? '';
  const stop = [enc[0], enc[1]].filter((c): c is string => !!c);
  let end = f18.length;
  for (const c of stop) { const i = f18.indexOf(c); if (i >= 0 && i < end) end = i; }
  return f18.slice(0, end);
}

function headerDelimiters(line: string): { d: Delimiters; repair?: ParseRepair } {
  const fs = line[3] ?? '';
  const enc = fs ? (line.slice(4).split(fs, 1)[0] ?? '') : '';
  const { delimiters, repair } = readDelimiters(fs, enc);
  return repair ? { d: delimiters, repair } : { d: delimiters };
}

/** [A-Z][A-Z0-9]{2}, by char code (once per segment: a regex test was a visible share of a parse). */
function isSegmentId(s: string): boolean {
  if (s.length !== 3) return false;
  const a = s.charCodeAt(0);
  return a >= 0x41 && a <= 0x5a && upperOrDigit(s.charCodeAt(1)) && upperOrDigit(s.charCodeAt(2));
}

const upperOrDigit = (x: number): boolean => (x >= 0x41 && x <= 0x5a) || (x >= 0x30 && x <= 0x39);

function splitSegment(line: string, d: Delimiters, index: number): Segment {
  const fields = splitOn(line, d.field);
  const name = fields[0]!;
  if (!isSegmentId(name)) {
    const id = line.slice(0, 3);
    throw new Hl7Error('ERR_HL7_BAD_SEGMENT', HL7_ERROR.segmentSequence, `segment ${index + 1} does not start with a segment id and field separator`, { segment: isSegmentId(id) ? id : '???', sequence: index + 1 });
  }
  if (HEADER_IDS.has(name)) {
    // MSH-1 is the field separator itself; MSH-2 the encoding characters (never split further)
    fields.splice(1, 0, d.field);
  }
  return new Segment(name, fields, d);
}

function buildMessage(raw: string[], charset: string, controls: boolean): Hl7Message {
  const { d, repair } = headerDelimiters(raw[0]!);
  const repairs: ParseRepair[] = repair ? [repair] : [];
  const lines = controls ? replaceControls(raw, repairs) : raw;
  const segments = lines.map((l, i) => splitSegment(l, d, i));
  const msh = segments[0]!;
  // the text a batch member is stored as keeps what was received, control characters included
  const message = new Hl7Message(segments, d, charset, repairs, raw);
  if (msh.name !== 'MSH') throw new Hl7Error('ERR_HL7_NO_MSH', HL7_ERROR.segmentSequence, 'message does not begin with an MSH segment', { segment: 'MSH', sequence: 1 });
  requireField(9, 'message type (MSH-9)', message.header.type.code);
  requireField(10, 'message control id (MSH-10)', message.header.controlId);
  requireField(12, 'version id (MSH-12)', message.header.version);
  return message;
}

/** The lines with each control character read as U+FFFD, and a repair saying how many there were (when any). */
function replaceControls(lines: string[], repairs: ParseRepair[]): string[] {
  let count = 0;
  const out = lines.map((l) => {
    const r = toStorableText(l);
    count += r.replaced;
    return r.text;
  });
  if (count) repairs.push({ code: 'CONTROL_CHARACTERS', at: 'message', text: `${count} control character${count === 1 ? '' : 's'} (not allowed in HL7 v2 text) read as U+FFFD` });
  return out;
}

function requireField(n: number, what: string, value: string): void {
  if (value.trim() === '') {
    throw new Hl7Error('ERR_HL7_MISSING_FIELD', HL7_ERROR.requiredFieldMissing, `required field missing: ${what}`, { segment: 'MSH', sequence: 1, field: n });
  }
}

function parseBatch(lines: string[], charset: string, controls: boolean): Hl7Batch {
  const { d } = headerDelimiters(lines[0]!);
  const header = splitSegment(lines[0]!, d, 0);
  const messages: Hl7Message[] = [];
  let current: string[] | undefined;
  let declaredCount: number | undefined;
  let batchStart = 0; // messages before the current BHS: each BTS-1 counts its own batch only
  const flush = () => { if (current) messages.push(buildMessage(current, charset, controls)); current = undefined; };
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const id = line.slice(0, 3);
    if (id === 'MSH') { flush(); current = [line]; continue; }
    if (id === 'BHS') { flush(); batchStart = messages.length; continue; }
    if (id === 'FHS') { flush(); continue; }
    if (id === 'BTS' || id === 'FTS') {
      flush();
      const f1 = id === 'BTS' ? nthField(line, d.field, 1) : '';
      const count = Number(f1);
      if (f1 !== '' && Number.isInteger(count)) {
        const held = messages.length - batchStart;
        if (count !== held) throw new Hl7Error('ERR_HL7_BAD_BATCH', HL7_ERROR.segmentSequence, `BTS-1 declares ${count} messages, batch holds ${held}`, { segment: 'BTS', field: 1 });
        declaredCount = (declaredCount ?? 0) + count;
      }
      if (id === 'BTS') batchStart = messages.length;
      continue;
    }
    if (!current) throw new Hl7Error('ERR_HL7_BAD_BATCH', HL7_ERROR.segmentSequence, `batch segment ${i + 1} (${id.replace(/[^A-Z0-9]/g, '?')}) stands outside any message`, { segment: 'BHS', sequence: i + 1 });
    current.push(line);
  }
  flush();
  if (messages.length === 0) throw new Hl7Error('ERR_HL7_BAD_BATCH', HL7_ERROR.segmentSequence, 'batch holds no message');
  const controlId = header.value(11);
  return declaredCount === undefined ? { kind: 'batch', header, controlId, messages } : { kind: 'batch', header, controlId, messages, declaredCount };
}

/** Field k of a segment line (line.split(fs)[k] ?? ''), without splitting the whole line. */
function nthField(line: string, fs: string, k: number): string {
  let from = 0;
  for (let i = 0; i < k; i++) {
    const at = line.indexOf(fs, from);
    if (at < 0) return '';
    from = at + 1;
  }
  const end = line.indexOf(fs, from);
  return end < 0 ? line.slice(from) : line.slice(from, end);
}
