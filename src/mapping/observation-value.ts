// OBX-5 by OBX-2 value type -> Observation.value[x] (v2-to-FHIR IG OBX[Observation], value section).
// Numbers stay numbers (NM, SN), never strings; SN comparators, ranges and ratios keep their meaning.
import type { Attachment, CodeableConcept, Observation, ObservationComponent, Quantity } from 'fhir/r4.js';
import type { Segment } from '../hl7/index.js';
import type { MapContext } from './context.js';
import { boundedRepetitions, truncatedLine, warn } from './context.js';
import { MAX_REPETITIONS, MAX_TEXT_LINES } from './limits.js';
import { conceptOf, cweToConcept, val } from './datatypes.js';
import type { ObxFields } from './obx-fields.js';
import { toFhirDate, toFhirDateTime } from './datetime.js';
import { parseDecimal } from './decimal.js';
import { unitFields } from './units.js';

export interface ObxValue {
  value: Pick<Observation, 'valueQuantity' | 'valueString' | 'valueCodeableConcept' | 'valueRange' | 'valueRatio' | 'valueDateTime' | 'valueTime' | 'dataAbsentReason'>;
  /** Extra components (further repetitions of a coded value). */
  components: ObservationComponent[];
  /** The number, for triage thresholds (NM, and SN without a range). */
  quantity?: Quantity;
  /**
   * A short rendering for the notification text; absent for a quantity, whose rendering is
   * quantityText(quantity), made only for the few results a notification names (number -> text
   * for every OBX was a visible cost in a CPU profile).
   */
  display?: string;
  /** ED data, turned into a DocumentReference by the caller. */
  attachment?: Attachment;
}

const DATA_ABSENT = 'http://terminology.hl7.org/CodeSystem/data-absent-reason';

/** The components of most values: none (one frozen array, not a new one per OBX). */
const NONE = Object.freeze([]) as unknown as ObservationComponent[];

/** FHIR decimal from an HL7 NM, or undefined when it is not a number. */
export function readNumber(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = parseDecimal(text.trim()); // undefined unless /^[+-]?(\d+\.?\d*|\.\d+)$/
  return n !== undefined && Number.isFinite(n) ? n : undefined;
}

export function obxValue(ctx: MapContext, f: ObxFields, index: number): ObxValue {
  const obx = f.seg;
  if (!obx.has(5) || (f.value === undefined && obx.repetitionCount(5) === 1 && obx.components(5).every((c) => c.trim() === '' || c === '""'))) {
    const code = f.status === 'X' ? 'not-performed' : 'unknown';
    return { value: { dataAbsentReason: { coding: [{ system: DATA_ABSENT, code }] } }, components: NONE, display: '(no value)' };
  }
  switch (f.type) {
    case 'NM': return numeric(ctx, f, index);
    case 'SN': return structuredNumeric(ctx, obx, index, units(ctx, f));
    case 'CE': case 'CWE': case 'CNE': case 'CF': return coded(ctx, f, index);
    case 'DT': return dated(ctx, f, index, true);
    case 'TS': case 'DTM': return dated(ctx, f, index, false);
    case 'TM': return timed(ctx, f, index);
    case 'ED': return encapsulated(ctx, obx, index);
    case 'ST': case 'TX': case 'FT': return text(ctx, obx);
    default:
      warn(ctx, `OBX[${index}]: value type '${f.type.slice(0, 8) || '(none)'}' kept as text`);
      return text(ctx, obx);
  }
}

/** OBX-6 (text, or name when the text is empty; coding system) -> Quantity unit fields. */
function units(ctx: MapContext, f: ObxFields): Partial<Quantity> {
  return unitFields(f.units[0] ?? f.units[1], f.units[2], ctx.config);
}

function text(ctx: MapContext, obx: Segment): ObxValue {
  // ST/TX/FT have no components: a sender's literal ^ is kept; repetitions are lines (v2 2.A.79 TX)
  const lines: string[] = [];
  for (let r = 0, n = boundedRepetitions(ctx, obx, 5, MAX_TEXT_LINES); r < n; r++) {
    const comps = obx.components(5, r);
    while (comps.length > 1 && comps[comps.length - 1] === '') comps.pop();
    lines.push(comps.join('^'));
  }
  if (obx.repetitionCount(5) > lines.length) lines.push(truncatedLine(lines.length, obx.repetitionCount(5)));
  return stringValue(lines.join('\n'));
}

/** FHIR R4 string: non-empty and not only whitespace (datatypes.html#string); else the value is absent. */
function stringValue(s: string): ObxValue {
  if (s.trim() === '') return { value: { dataAbsentReason: { coding: [{ system: DATA_ABSENT, code: 'unknown' }] } }, components: NONE, display: '(no value)' };
  return { value: { valueString: s }, components: NONE, display: s.length > 60 ? `${s.slice(0, 57)}...` : s };
}

function numeric(ctx: MapContext, f: ObxFields, index: number): ObxValue {
  const n = readNumber(f.value);
  if (n === undefined) {
    warn(ctx, `OBX[${index}]: NM value is not a number; kept as text`);
    return text(ctx, f.seg);
  }
  const q: Quantity = { value: n };
  // property by property, in unitFields' order: `{ value, ...unit }` was a visible cost per OBX
  const unit = units(ctx, f);
  if (unit.unit !== undefined) q.unit = unit.unit;
  if (unit.system !== undefined) q.system = unit.system;
  if (unit.code !== undefined) q.code = unit.code;
  return { value: { valueQuantity: q }, components: NONE, quantity: q };
}

const COMPARATORS = new Set(['<', '<=', '>=', '>']);

/** SN: comparator ^ num1 ^ separator/suffix ^ num2 (v2 2.A.73). */
function structuredNumeric(ctx: MapContext, obx: Segment, index: number, unit: Partial<Quantity>): ObxValue {
  const cmp = (val(obx, 5, 1) ?? '').trim();
  const n1 = readNumber(val(obx, 5, 2));
  const sep = (val(obx, 5, 3) ?? '').trim();
  const n2 = readNumber(val(obx, 5, 4));
  const raw = [cmp, val(obx, 5, 2) ?? '', sep, val(obx, 5, 4) ?? ''].join('');
  if (n1 !== undefined && sep === '' && val(obx, 5, 4) === undefined && (cmp === '' || cmp === '=' || COMPARATORS.has(cmp))) {
    const q: Quantity = { value: n1, ...(COMPARATORS.has(cmp) ? { comparator: cmp as Quantity['comparator'] } : {}), ...unit };
    return { value: { valueQuantity: q }, components: NONE, quantity: q };
  }
  if (n1 !== undefined && n2 !== undefined && sep === '-' && (cmp === '' || cmp === '=')) {
    return { value: { valueRange: { low: { value: n1, ...unit }, high: { value: n2, ...unit } } }, components: NONE, display: `${raw}${unit.unit ? ` ${unit.unit}` : ''}` };
  }
  if (n1 !== undefined && n2 !== undefined && (sep === ':' || sep === '/') && (cmp === '' || cmp === '=')) {
    return { value: { valueRatio: { numerator: { value: n1 }, denominator: { value: n2 } } }, components: NONE, display: raw };
  }
  warn(ctx, `OBX[${index}]: SN value is not a quantity, range or ratio; kept as text`);
  // a blank first repetition (e.g. a stray leading '~') leaves raw empty: keep the whole field as text
  return raw.trim() === '' ? text(ctx, obx) : stringValue(raw);
}

function coded(ctx: MapContext, f: ObxFields, index: number): ObxValue {
  const obx = f.seg;
  const concepts: CodeableConcept[] = [];
  for (let r = 0, n = boundedRepetitions(ctx, obx, 5, MAX_REPETITIONS); r < n; r++) {
    const cc = cweToConcept(ctx, obx, 5, r);
    if (cc) concepts.push(cc);
  }
  const [first, ...rest] = concepts;
  if (!first) return text(ctx, obx);
  const code = conceptOf(ctx, f.id) ?? { text: `OBX-3 of OBX[${index}]` };
  const components = rest.map((cc) => ({ code, valueCodeableConcept: cc }));
  const display = first.text ?? first.coding?.[0]?.display ?? first.coding?.[0]?.code ?? '';
  return { value: { valueCodeableConcept: first }, components, display };
}

function dated(ctx: MapContext, f: ObxFields, index: number, dateOnly: boolean): ObxValue {
  const raw = f.value ?? '';
  const v = dateOnly ? toFhirDate(raw) : toFhirDateTime(raw, ctx.config.timeZone);
  if (!v) {
    warn(ctx, `OBX[${index}]: ${dateOnly ? 'DT' : 'DTM'} value is not a valid date; kept as text`);
    return text(ctx, f.seg);
  }
  return { value: { valueDateTime: v }, components: NONE, display: v };
}

function timed(ctx: MapContext, f: ObxFields, index: number): ObxValue {
  const m = /^(\d{2})(\d{2})?(\d{2})?/.exec(f.value ?? '');
  if (!m || +m[1]! > 23 || +(m[2] ?? 0) > 59 || +(m[3] ?? 0) > 59) {
    warn(ctx, `OBX[${index}]: TM value is not a valid time; kept as text`);
    return text(ctx, f.seg);
  }
  const t = `${m[1]}:${m[2] ?? '00'}:${m[3] ?? '00'}`;
  return { value: { valueTime: t }, components: NONE, display: t };
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** RFC 6838 section 4.2: type "/" subtype, each a restricted name. */
const MIME_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

/** ED: source ^ type ^ subtype ^ encoding ^ data. The data goes to a DocumentReference. */
function encapsulated(ctx: MapContext, obx: Segment, index: number): ObxValue {
  const [type, subtype, encoding, data] = [2, 3, 4, 5].map((c) => val(obx, 5, c));
  const typed = type && subtype ? `${type}/${subtype}`.toLowerCase() : undefined;
  // a FHIR code, and a MIME type (RFC 6838 names): anything else is left out rather than made invalid
  const contentType = typed && MIME_TYPE.test(typed) ? typed : undefined;
  if (typed && !contentType) warn(ctx, `OBX[${index}]: ED type/subtype is not a MIME type; contentType left out`);
  const absent = (why: string): ObxValue => {
    warn(ctx, `OBX[${index}]: ED ${why}`);
    return { value: { dataAbsentReason: { coding: [{ system: DATA_ABSENT, code: 'unknown' }] } }, components: NONE, display: '(document)' };
  };
  if (!data) return absent('has no data');
  const clean = data.replace(/\s+/g, '');
  if (encoding?.toUpperCase() !== 'BASE64' || !BASE64.test(clean) || clean.length % 4 !== 0) return absent('data is not Base64; not mapped');
  const attachment: Attachment = contentType ? { contentType, data: clean } : { data: clean };
  return { value: {}, components: NONE, display: '(document)', attachment };
}

export function quantityText(q: Quantity): string {
  return `${q.comparator ?? ''}${q.value ?? ''}${q.unit ? ` ${q.unit}` : ''}`;
}
