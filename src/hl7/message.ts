// A parsed HL7 v2 message: segments keep their raw (still escaped) field text and decode on read,
// so a parse costs one split per segment and only the fields a mapper touches are unescaped.
import { type Delimiters, type ParseRepair, unescapeValue } from './encoding.js';

/** HL7 v2's explicit null: a field holding `""` means "delete the receiver's value". */
export const HL7_NULL = '""';

/**
 * unescapeValue, bound once in this module: every value() calls it, and an imported binding read
 * through the module loader's live-binding getter (tsx) was ~1.5% of mapping an ORU (CPU profile).
 */
const decode = unescapeValue;

export class Segment {
  /**
   * parts[n][r]: repetition r of field n split into its raw (escaped) components, made on the first
   * read of that repetition and kept. A mapper reads the same composite field many times (CWE, XCN,
   * CX: one component per call), and re-splitting it on every read was the largest cost of mapping.
   * Only the repetitions read are split: a mapper reads a bounded number of them, and splitting all
   * 200,000 of a hostile field into component arrays was most of the time (the garbage collector's).
   */
  private parts: ((readonly string[] | undefined)[] | undefined)[] | undefined;

  /** reps[n]: the raw repetitions of field n, for a field with more than one (else parts[n] is whole). */
  private reps: (readonly string[] | undefined)[] | undefined;

  /** fields[n] is field n as received (escaped); fields[0] is the segment id. For MSH, fields[1] is MSH-1. */
  constructor(
    readonly name: string,
    readonly fields: readonly string[],
    private readonly d: Delimiters,
  ) {}

  /** Field n exactly as received (escaped, all repetitions). '' when absent. */
  raw(n: number): string {
    return this.fields[n] ?? '';
  }

  has(n: number): boolean {
    return (this.fields[n] ?? '') !== '';
  }

  /**
   * The repetitions of field n, raw. An absent field has none. MSH-1/MSH-2 are never split. Splits on
   * every call: to visit each repetition, loop to repetitionCount(n) and read value()/components().
   */
  repetitions(n: number): string[] {
    const f = this.fields[n];
    if (f === undefined || f === '') return [];
    if (n <= 2 && this.name === 'MSH') return [f];
    return f.split(this.d.repetition);
  }

  /** repetitions(n).length, without splitting: mappers loop over repetitions by count. */
  repetitionCount(n: number): number {
    const f = this.fields[n];
    if (f === undefined || f === '') return 0;
    if (n <= 2 && this.name === 'MSH') return 1;
    const split = this.parts?.[n];
    if (split !== undefined) return split.length;
    let count = 1;
    for (let i = f.indexOf(this.d.repetition); i >= 0; i = f.indexOf(this.d.repetition, i + 1)) count++;
    return count;
  }

  /** Decoded value of field n, repetition rep, component c, sub-component s (1-based c and s). */
  value(n: number, c = 1, s = 1, rep = 0): string {
    const f = this.fields[n];
    if (f === undefined || f === '') return '';
    if (n <= 2 && this.name === 'MSH') return f; // the number first: most reads are past field 2
    const simple = this.parts?.[n] === undefined && f.indexOf(this.d.component) < 0 && f.indexOf(this.d.repetition) < 0;
    // a field of one component and one repetition has nothing to split, so nothing worth keeping
    const comp = simple ? (rep === 0 && c === 1 ? f : undefined) : this.repetition(n, f, rep)?.[c - 1];
    if (comp === undefined) return '';
    const sub = s === 1 && comp.indexOf(this.d.subcomponent) < 0 ? comp : nthPart(comp, this.d.subcomponent, s - 1);
    return sub === undefined ? '' : decode(sub, this.d);
  }

  /**
   * value(n, c, 1, rep) of every component c of one repetition, in one pass (a new array; [] when the
   * repetition is absent): a coded field (CWE, 9 components) read one value() at a time cost more than the
   * mapping around it (CPU profile). MSH-1/MSH-2 are never split: [the field] for repetition 0.
   */
  componentValues(n: number, rep = 0): string[] {
    const f = this.fields[n];
    if (f === undefined || f === '') return [];
    if (n <= 2 && this.name === 'MSH') return rep === 0 ? [f] : [];
    // as in value(): a field of one component and one repetition is not split (nor kept split)
    if (this.parts?.[n] === undefined && f.indexOf(this.d.component) < 0 && f.indexOf(this.d.repetition) < 0) return rep === 0 ? [this.firstSub(f)] : [];
    const comps = this.repetition(n, f, rep);
    if (comps === undefined) return [];
    const out = new Array<string>(comps.length);
    for (let c = 0; c < comps.length; c++) out[c] = this.firstSub(comps[c]!);
    return out;
  }

  /** Sub-component 1 of a raw component, decoded: what value() returns for s = 1. */
  private firstSub(comp: string): string {
    const at = comp.indexOf(this.d.subcomponent);
    return decode(at < 0 ? comp : comp.slice(0, at), this.d);
  }

  /**
   * Decoded components of one repetition of field n (sub-components kept joined, unescaped). Reads the
   * field's kept split, so a loop over the repetitions is linear in the field's length: re-splitting the
   * whole field for each repetition made a 32,000-repetition OBX-5 take about a minute.
   */
  components(n: number, rep = 0): string[] {
    const comps = this.rawComponents(n, rep);
    if (comps === undefined) return [];
    const out = new Array<string>(comps.length);
    for (let c = 0; c < comps.length; c++) out[c] = decode(comps[c]!, this.d);
    return out;
  }

  /** Decoded sub-components of component c of repetition rep of field n. */
  subcomponents(n: number, c = 1, rep = 0): string[] {
    const comp = this.rawComponents(n, rep)?.[c - 1];
    if (comp === undefined || comp === '') return [];
    return splitOn(comp, this.d.subcomponent).map((x) => decode(x, this.d));
  }

  /** The raw components of one repetition of field n (from the kept split); undefined when absent. */
  private rawComponents(n: number, rep: number): readonly string[] | undefined {
    const f = this.fields[n];
    if (f === undefined || f === '') return undefined;
    if (n <= 2 && this.name === 'MSH') return rep === 0 ? [f] : undefined;
    return this.repetition(n, f, rep);
  }

  /** The raw components of repetition rep of field n (raw text f: present, and not MSH-1/MSH-2), kept once split. */
  private repetition(n: number, f: string, rep: number): readonly string[] | undefined {
    // allocated on the first read, not in the constructor: a parse stays one split per segment
    this.parts ??= new Array<undefined>(this.fields.length);
    let p = this.parts[n];
    if (p === undefined) {
      const { repetition, component } = this.d;
      if (f.indexOf(repetition) < 0) {
        this.parts[n] = [splitOn(f, component)];
        return rep === 0 ? this.parts[n]![0] : undefined;
      }
      const raw = splitOn(f, repetition);
      (this.reps ??= new Array<undefined>(this.fields.length))[n] = raw;
      p = new Array<undefined>(raw.length);
      this.parts[n] = p;
    }
    const comps = p[rep];
    if (comps !== undefined || rep >= p.length || rep < 0) return comps;
    const raw = this.reps?.[n]?.[rep];
    if (raw === undefined) return undefined; // a single-repetition field: parts[n] is whole
    return (p[rep] = splitOn(raw, this.d.component));
  }

  /** Number of fields present (the highest field number). */
  get size(): number {
    return this.fields.length - 1;
  }
}

/**
 * s.split(ch) for a one-character ch: the same parts, ~2.5x faster on the short, fresh strings of a
 * message (Node 20; String#split only caches results for a string it has seen before).
 */
export function splitOn(s: string, ch: string): string[] {
  const out: string[] = [];
  let from = 0;
  for (let i = s.indexOf(ch); i >= 0; i = s.indexOf(ch, from)) {
    out.push(s.slice(from, i));
    from = i + 1;
  }
  out.push(s.slice(from));
  return out;
}

/** s.split(ch)[k] for a one-character ch, without building the other parts. */
function nthPart(s: string, ch: string, k: number): string | undefined {
  if (k < 0) return undefined; // as split(ch)[-1]
  let from = 0;
  for (let i = 0; i < k; i++) {
    const at = s.indexOf(ch, from);
    if (at < 0) return undefined;
    from = at + 1;
  }
  const end = s.indexOf(ch, from);
  return end < 0 ? s.slice(from) : s.slice(from, end);
}

export interface MessageType {
  code: string;
  event: string;
  structure: string;
}

/** MSH fields every layer needs, decoded once. */
export interface MessageHeader {
  sendingApplication: string;
  sendingFacility: string;
  receivingApplication: string;
  receivingFacility: string;
  dateTime: string;
  type: MessageType;
  controlId: string;
  processingId: string;
  version: string;
  acceptAckType: string;
  applicationAckType: string;
  charset: string;
}

/** HL7 table 0155 (accept/application acknowledgment conditions). */
const ACK_TYPES: ReadonlySet<string> = new Set(['AL', 'NE', 'ER', 'SU']);

export class Hl7Message {
  readonly header: MessageHeader;

  constructor(
    readonly segments: readonly Segment[],
    readonly delimiters: Delimiters,
    readonly charset: string,
    readonly repairs: readonly ParseRepair[] = [],
    /** The message's segment lines as received (decoded), for `text`. */
    private readonly lines: readonly string[] = [],
  ) {
    const msh = segments[0]!;
    this.header = {
      sendingApplication: msh.value(3),
      sendingFacility: msh.value(4),
      receivingApplication: msh.value(5),
      receivingFacility: msh.value(6),
      dateTime: msh.value(7),
      type: { code: msh.value(9, 1), event: msh.value(9, 2), structure: msh.value(9, 3) },
      controlId: msh.value(10),
      processingId: msh.value(11),
      version: msh.value(12),
      acceptAckType: msh.value(15),
      applicationAckType: msh.value(16),
      charset,
    };
  }

  /**
   * The message's segments as received (decoded text, each ended by CR): what a batch member stores.
   * Joined on first read: only batch members need it, and joining every message was a parse's cost.
   */
  get text(): string {
    this.joined ??= this.lines.length ? `${this.lines.join('\r')}\r` : '';
    return this.joined;
  }

  private joined: string | undefined;

  get msh(): Segment {
    return this.segments[0]!;
  }

  /** The first segment with this id. */
  segment(name: string): Segment | undefined {
    return this.segments.find((s) => s.name === name);
  }

  /** Every segment with this id, in order. */
  all(name: string): Segment[] {
    return this.segments.filter((s) => s.name === name);
  }

  /** `ORU^R01` */
  get typeName(): string {
    const t = this.header.type;
    return t.event ? `${t.code}^${t.event}` : t.code;
  }

  /**
   * Enhanced acknowledgement mode (HL7 v2 2.9.3): MSH-15 or MSH-16 valued. Then the first answer is a
   * commit ACK (CA/CE/CR) and the application ACK (AA/AE/AR) follows after processing.
   */
  get enhancedMode(): boolean {
    return ACK_TYPES.has(this.header.acceptAckType) || ACK_TYPES.has(this.header.applicationAckType);
  }
}
