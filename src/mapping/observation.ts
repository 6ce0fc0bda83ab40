// OBX (+ its NTEs) -> Observation (v2-to-FHIR IG OBX[Observation]).
import type { CodeableConcept, DocumentReference, Observation, ObservationReferenceRange, Quantity, Reference } from 'fhir/r4.js';
import type { Segment } from '../hl7/index.js';
import { type Entry, fullUrlFor, keyIdentifier } from './bundle.js';
import type { KeyPrefix } from './ids.js';
import { INTERPRETATION_DISPLAY, OBSERVATION_STATUS, V3_INTERPRETATION } from './codes.js';
import { boundedRepetitions, fhirDateTime, type MapContext, warn } from './context.js';
import { MAX_REPETITIONS } from './limits.js';
import { conceptOf, cweToConcept, fhirCode, val, xcnToReference } from './datatypes.js';
import type { ObxFields } from './obx-fields.js';
import { parseDecimal } from './decimal.js';
import { obxValue, type ObxValue } from './observation-value.js';

export interface ObservationScope {
  /** Business key of the order group (or the message) the OBX belongs to. */
  key: readonly string[];
  patient: Entry;
  encounter?: Entry;
  specimen?: Reference;
  basedOn?: Reference;
  /** OBR-7 (effective when OBX-14 is empty). */
  effective?: string;
  category?: CodeableConcept;
}

export interface MappedObservation {
  entry: Entry<Observation>;
  document?: Entry<DocumentReference>;
  flags: string[];
  quantity?: Quantity;
  /** As ObxValue.display: absent when the value is `quantity`. */
  display?: string;
  label: string;
}

/**
 * f: the OBX, read (readObx); notes: the NTE texts that follow it. keyHead: keyPrefix([...scope.key,
 * 'OBX']), made once for all the OBX of the scope; the OBX's key is that and its code, sub-id and
 * occurrence.
 */
export function mapObservation(ctx: MapContext, f: ObxFields, index: number, occurrence: number, scope: ObservationScope, keyHead: KeyPrefix, notes: readonly string[]): MappedObservation {
  const obx = f.seg;
  const code = conceptOf(ctx, f.id);
  if (!code) warn(ctx, `OBX[${index}]: OBX-3 observation identifier is empty`);
  const own = [f.id[0] ?? '', f.subId ?? '', String(occurrence)];
  const v = obxValue(ctx, f, index);
  const hash = ctx.ids.after(keyHead, own);
  const o = { resourceType: 'Observation', identifier: [keyIdentifier(ctx.ids, hash)] } as Observation; // status, code below
  if (scope.basedOn) o.basedOn = [scope.basedOn];
  o.status = OBSERVATION_STATUS[f.status ?? ''] ?? 'unknown';
  if (scope.category) o.category = [scope.category];
  o.code = code ?? { text: 'not coded' };
  o.subject = { reference: scope.patient.fullUrl };
  if (scope.encounter) o.encounter = { reference: scope.encounter.fullUrl };
  const effective = fhirDateTime(ctx, f.time ?? '') ?? scope.effective;
  if (effective) o.effectiveDateTime = effective;
  const performer = responsibleObservers(ctx, obx);
  // OBX-23 performing organization name (XON-1), a logical reference
  if (f.organization) performer.push({ type: 'Organization', display: f.organization });
  if (performer.length) o.performer = performer;
  // the value[x] where the old Object.assign put it; a quantity (most results) without the generic copy
  if (v.value.valueQuantity) o.valueQuantity = v.value.valueQuantity;
  else Object.assign(o, v.value);
  const flags = interpretationFlags(ctx, obx);
  if (flags.length) o.interpretation = flags.map(interpretation);
  if (notes.length) o.note = notes.map((text) => ({ text }));
  const method = cweToConcept(ctx, obx, 17);
  if (method) o.method = method;
  if (scope.specimen) o.specimen = scope.specimen;
  const range = referenceRange(f.range, v.quantity);
  if (range) o.referenceRange = [range];
  if (v.components.length) o.component = v.components;
  const document = v.attachment ? documentFor(ctx, [...keyHead.parts, ...own], v.attachment, scope) : undefined;
  if (document) o.derivedFrom = [{ reference: document.fullUrl }];
  return mapped(o, fullUrlFor(ctx.ids, 'Observation', hash), v, flags, code, document);
}

/** The Observation's entry, with what triage and the notification text read of it. */
function mapped(o: Observation, fullUrl: string, v: ObxValue, flags: string[], code: CodeableConcept | undefined, document: Entry<DocumentReference> | undefined): MappedObservation {
  const label = code?.coding?.[0]?.display ?? code?.text ?? code?.coding?.[0]?.code ?? 'Result';
  const m: MappedObservation = { entry: { fullUrl, resource: o, mode: 'upsert', match: o.identifier![0]! }, flags, label };
  if (v.display !== undefined) m.display = v.display;
  if (document) m.document = document;
  if (v.quantity) m.quantity = v.quantity;
  return m;
}

function interpretationFlags(ctx: MapContext, obx: Segment): string[] {
  const out: string[] = [];
  for (let r = 0, n = boundedRepetitions(ctx, obx, 8, MAX_REPETITIONS); r < n; r++) {
    const f = fhirCode(val(obx, 8, 1, 1, r));
    if (f) out.push(f);
  }
  return out;
}

/** v2-to-FHIR IG OBX[Observation]: OBX-8 -> interpretation (table 0078 = v3 ObservationInterpretation). */
function interpretation(flag: string): CodeableConcept {
  const display = INTERPRETATION_DISPLAY[flag];
  return display
    ? { coding: [{ system: V3_INTERPRETATION, code: flag, display }] }
    : { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0078', code: flag }] };
}

/** OBX-16 responsible observers (XCN, repeating). */
function responsibleObservers(ctx: MapContext, obx: Segment): Reference[] {
  const n = boundedRepetitions(ctx, obx, 16, MAX_REPETITIONS);
  const out: Reference[] = [];
  for (let r = 0; r < n; r++) {
    const ref = xcnToReference(ctx, obx, 16, r);
    if (ref) out.push(ref);
  }
  return out;
}

export const RANGE = /^\s*(-?\d+(?:\.\d+)?)\s*(?:-|–|_|to)\s*(-?\d+(?:\.\d+)?)\s*$/;
const BOUND = /^\s*(<=|>=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$/;

/** OBX-7 -> referenceRange: low/high when the text is a plain range or bound; the text always kept. */
function referenceRange(text: string | undefined, q: Quantity | undefined): ObservationReferenceRange | undefined {
  if (!text) return undefined;
  const r: ObservationReferenceRange = {};
  const m = plainRange(text) ?? RANGE.exec(text);
  const b = m ? null : BOUND.exec(text);
  if (m) {
    r.low = limit(finite(m[1]!), q);
    r.high = limit(finite(m[2]!), q);
  } else if (b && (b[1] === '<' || b[1] === '<=')) r.high = limit(finite(b[2]!), q);
  else if (b) r.low = limit(finite(b[2]!), q);
  r.text = text;
  return r;
}

/**
 * The common "3.5-5.1" (no spaces, a hyphen) without the RANGE regex: [, low, high] as RANGE.exec
 * gives them for it (a subset of what RANGE matches), else undefined.
 */
export function plainRange(text: string): [string, string, string] | undefined {
  const end1 = decimalEnd(text, 0);
  if (end1 <= 0 || text.charCodeAt(end1) !== 0x2d) return undefined;
  const end2 = decimalEnd(text, end1 + 1);
  if (end2 !== text.length) return undefined;
  return [text, text.slice(0, end1), text.slice(end1 + 1)];
}

/** The end of -?\d+(\.\d+)? read from `from`, or -1 when there is none there. */
function decimalEnd(s: string, from: number): number {
  let i = from;
  if (s.charCodeAt(i) === 0x2d) i++;
  const digits = i;
  while (isDigit(s.charCodeAt(i))) i++;
  if (i === digits) return -1;
  if (s.charCodeAt(i) === 0x2e && isDigit(s.charCodeAt(i + 1))) {
    i += 2;
    while (isDigit(s.charCodeAt(i))) i++;
  }
  return i;
}

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

/** readNumber of a text the patterns above already matched as a number: only the finiteness check left. */
function finite(text: string): number | undefined {
  const n = parseDecimal(text)!; // a decimal: the patterns matched it
  return Number.isFinite(n) ? n : undefined;
}

/** A range limit in the result's unit: value, then unit, system and code (when the result has them). */
function limit(value: number | undefined, q: Quantity | undefined): Quantity {
  const l: Quantity = { value: value! }; // undefined only past Number.MAX_VALUE: then left out of the JSON, as before
  if (q?.unit) l.unit = q.unit;
  if (q?.code) {
    l.system = q.system!;
    l.code = q.code;
  }
  return l;
}

function documentFor(ctx: MapContext, key: readonly string[], attachment: NonNullable<ReturnType<typeof obxValue>['attachment']>, scope: ObservationScope): Entry<DocumentReference> {
  const hash = ctx.ids.hash([...key, 'ED']);
  const d: DocumentReference = { resourceType: 'DocumentReference', identifier: [keyIdentifier(ctx.ids, hash)], status: 'current', subject: { reference: scope.patient.fullUrl }, content: [{ attachment }] };
  return { fullUrl: fullUrlFor(ctx.ids, 'DocumentReference', hash), resource: d, mode: 'upsert', match: d.identifier![0]! };
}
