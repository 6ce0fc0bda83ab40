// v2 composite data types -> FHIR datatypes (HL7 v2-to-FHIR IG, datatype maps CX, EI, XPN, XAD, XTN,
// XCN, CWE). Each reads one repetition of one field of a segment; empty or explicit-null ("") parts
// are left out, never written as empty strings (FHIR forbids empty values).
import { urnSegment } from './bundle.js';
import type { Address, CodeableConcept, Coding, ContactPoint, HumanName, Identifier, Reference } from 'fhir/r4.js';
import { HL7_NULL, type Segment } from '../hl7/index.js';
import { CANONICAL_OIDS, codeSystemUri, IDENTIFIER_TYPES, NAME_USE } from './codes.js';
import type { MapContext } from './context.js';
import { configEntry } from './config.js';
import { table } from '../text/index.js';

/**
 * HL7_NULL bound once in this module: val() runs ~25 times per OBX, and each read of the imported
 * constant went through two live-binding getters of the module loader (tsx; CPU profile).
 */
const NULL = HL7_NULL;

/** Decoded value, with "" (explicit null) and whitespace-only read as absent. */
export function val(seg: Segment, n: number, c = 1, s = 1, rep = 0): string | undefined {
  return present(seg.value(n, c, s, rep));
}

/** A decoded value as val() reads it: "" (explicit null) and whitespace-only are absent. */
export function present(v: string | undefined): string | undefined {
  if (v === undefined || v === '' || v === NULL) return undefined;
  // a value that starts with a visible ASCII character is not blank: skips a trim on most reads
  const first = v.charCodeAt(0);
  if (first > 0x20 && first < 0x7f) return v;
  return v.trim() === '' ? undefined : v;
}

/** One repetition of a composite field as val() reads it: [c - 1] is val(seg, n, c, 1, rep). */
export type FieldValues = readonly (string | undefined)[];

/** val(seg, n, c, 1, rep) of every component c, from one split of the field (Segment.componentValues). */
export function fieldValues(seg: Segment, n: number, rep = 0): FieldValues {
  return presentAll(seg.componentValues(n, rep));
}

/** present() of every decoded component, in place: the array becomes FieldValues. */
export function presentAll(comps: (string | undefined)[]): FieldValues {
  for (let c = 0; c < comps.length; c++) comps[c] = present(comps[c]);
  return comps;
}

/**
 * A code from the message as a FHIR `code` (R4 datatypes.html#code: no leading or trailing
 * whitespace, single spaces inside); undefined when nothing is left.
 */
export function fhirCode(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (visibleAscii(raw)) return raw; // most codes (LOINC, flags): the pattern below would match
  const c = /^\S+( \S+)*$/.test(raw) ? raw : raw.trim().replace(/\s+/g, ' ');
  return c === '' ? undefined : c;
}

/** Non-empty and only visible ASCII (0x21-0x7e): no whitespace at all, so already a FHIR code. */
function visibleAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return s.length > 0;
}

/** HD (namespace & universal id & type) -> identifier system (site config, OID, or minted). */
export function systemForAuthority(ctx: MapContext, ns: string | undefined, uid: string | undefined, uidType: string | undefined): string | undefined {
  const { byAuthority, fallbackBase } = ctx.config.identifierSystems;
  const byNs = ns ? configEntry(byAuthority, ns) : undefined;
  if (byNs) return byNs;
  const byUid = uid ? configEntry(byAuthority, uid) : undefined;
  if (byUid) return byUid;
  if (uid && (uidType === 'ISO' || /^[0-2](\.\d+)+$/.test(uid)) && /^[0-2](\.\d+)+$/.test(uid)) return CANONICAL_OIDS[uid] ?? `urn:oid:${uid}`;
  if (uid && uidType === 'UUID') return `urn:uuid:${uid.toLowerCase()}`;
  if (uid && uidType === 'URI' && /^[a-z][a-z0-9+.-]*:/i.test(uid)) return uid;
  const name = ns ?? uid;
  return name ? `${fallbackBase}:${urnSegment(name)}` : undefined;
}

/** Identifier system when the v2 value names no authority: the sending facility's (site config or minted). */
export function facilitySystem(ctx: MapContext): string {
  const { byFacility, fallbackBase } = ctx.config.identifierSystems;
  return configEntry(byFacility, ctx.facility) ?? `${fallbackBase}:${urnSegment(ctx.facility || 'unknown-facility')}`;
}

/** CX -> Identifier (v2-to-FHIR IG CX[Identifier]: CX-1 value, CX-4 system, CX-5 type). */
export function cxToIdentifier(ctx: MapContext, seg: Segment, n: number, rep: number): Identifier | undefined {
  const value = val(seg, n, 1, 1, rep);
  if (!value) return undefined;
  const type = val(seg, n, 5, 1, rep);
  let system = systemForAuthority(ctx, val(seg, n, 4, 1, rep), val(seg, n, 4, 2, rep), val(seg, n, 4, 3, rep));
  if (!system && type === 'SS') system = 'http://hl7.org/fhir/sid/us-ssn';
  if (!system && type === 'NPI') system = 'http://hl7.org/fhir/sid/us-npi';
  const id: Identifier = {};
  if (type) id.type = identifierType(type);
  id.system = system ?? facilitySystem(ctx);
  id.value = value;
  return id;
}

/** EI (entity id ^ namespace ^ universal id ^ type) -> Identifier with a v2-0203 type. */
export function eiToIdentifier(ctx: MapContext, seg: Segment, n: number, type: string, rep = 0): Identifier | undefined {
  const value = val(seg, n, 1, 1, rep);
  if (!value) return undefined;
  const system = systemForAuthority(ctx, val(seg, n, 2, 1, rep), val(seg, n, 3, 1, rep), val(seg, n, 4, 1, rep)) ?? facilitySystem(ctx);
  return { type: identifierType(type), system, value };
}

function identifierType(code: string): CodeableConcept {
  return IDENTIFIER_TYPES.has(code)
    ? { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code }] }
    : { text: code };
}

/** XPN -> HumanName (XPN-1 family, -2/-3 given, -4 suffix, -5 prefix, -6 degree, -7 use). */
export function xpnToName(seg: Segment, n: number, rep: number): HumanName | undefined {
  const family = val(seg, n, 1, 1, rep);
  const given = [val(seg, n, 2, 1, rep), val(seg, n, 3, 1, rep)].filter((x): x is string => x !== undefined);
  const suffix = [val(seg, n, 4, 1, rep), val(seg, n, 6, 1, rep)].filter((x): x is string => x !== undefined);
  const prefix = val(seg, n, 5, 1, rep);
  if (!family && given.length === 0) return undefined;
  const name: HumanName = {};
  const use = NAME_USE[val(seg, n, 7, 1, rep) ?? ''];
  if (use) name.use = use;
  if (family) name.family = family;
  if (given.length) name.given = given;
  if (prefix) name.prefix = [prefix];
  if (suffix.length) name.suffix = suffix;
  return name;
}

const ADDRESS_USE: Readonly<Record<string, { use?: Address['use']; type?: Address['type'] }>> = table({
  H: { use: 'home' }, B: { use: 'work' }, O: { use: 'work' }, C: { use: 'temp' }, BA: { use: 'old' },
  M: { type: 'postal' }, P: { use: 'home' }, BDL: { use: 'old' },
});

/** XAD -> Address (XAD-1 street, -2 other designation, -3 city, -4 state, -5 zip, -6 country, -7 type). */
export function xadToAddress(seg: Segment, n: number, rep: number): Address | undefined {
  const line = [val(seg, n, 1, 1, rep), val(seg, n, 2, 1, rep)].filter((x): x is string => x !== undefined);
  const [city, state, postalCode, country] = [3, 4, 5, 6].map((c) => val(seg, n, c, 1, rep));
  if (!line.length && !city && !state && !postalCode && !country) return undefined;
  // built property by property: a literal that starts with a spread and then grows took ~4 µs in V8
  // (Node 20), more than the rest of the mapping of the PID (CPU profile)
  const a: Address = {};
  const kind = ADDRESS_USE[val(seg, n, 7, 1, rep) ?? ''];
  if (kind?.use) a.use = kind.use;
  if (kind?.type) a.type = kind.type;
  if (line.length) a.line = line;
  if (city) a.city = city;
  if (state) a.state = state;
  if (postalCode) a.postalCode = postalCode;
  if (country) a.country = country;
  return a;
}

const TELECOM_USE: Readonly<Record<string, ContactPoint['use']>> = table({
  PRN: 'home', ORN: 'home', VHN: 'home', WPN: 'work', PRS: 'mobile', EMR: 'temp', ASN: 'work',
});

/**
 * XTN -> ContactPoint (v2-to-FHIR IG XTN[ContactPoint]: XTN-1 text, -2 use, -3 equipment, -4 email;
 * with a local number (-7) the value is "+country area local X extension", else -12, else -1).
 */
export function xtnToContactPoint(seg: Segment, n: number, rep: number): ContactPoint | undefined {
  const equipment = val(seg, n, 3, 1, rep);
  const email = val(seg, n, 4, 1, rep);
  const [country, area, local, extension] = [5, 6, 7, 8].map((c) => val(seg, n, c, 1, rep));
  const built = [country ? `+${country}` : undefined, area, local].filter((x) => x !== undefined).join(' ') + (extension ? ` X${extension}` : '');
  const isEmail = equipment === 'Internet' || equipment === 'X.400' || (!!email && !local);
  const value = isEmail ? (email ?? val(seg, n, 1, 1, rep)) : local ? built : (val(seg, n, 12, 1, rep) ?? val(seg, n, 1, 1, rep));
  if (!value) return undefined;
  const cp: ContactPoint = { system: isEmail ? 'email' : equipment === 'FX' ? 'fax' : equipment === 'BP' ? 'pager' : 'phone', value };
  const use = equipment === 'CP' ? 'mobile' : TELECOM_USE[val(seg, n, 2, 1, rep) ?? ''];
  if (use) cp.use = use;
  return cp;
}

/** XCN -> logical Reference (identifier + display). Practitioners are not created, only named. */
export function xcnToReference(ctx: MapContext, seg: Segment, n: number, rep: number): Reference | undefined {
  if (!seg.has(n)) return undefined;
  const id = val(seg, n, 1, 1, rep);
  const display = [val(seg, n, 6, 1, rep), val(seg, n, 3, 1, rep), val(seg, n, 4, 1, rep), val(seg, n, 2, 1, rep), val(seg, n, 5, 1, rep), val(seg, n, 7, 1, rep)]
    .filter((x) => x !== undefined).join(' ');
  if (!id && !display) return undefined;
  const ref: Reference = { type: 'Practitioner' };
  if (id) {
    const system = systemForAuthority(ctx, val(seg, n, 9, 1, rep), val(seg, n, 9, 2, rep), val(seg, n, 9, 3, rep)) ?? facilitySystem(ctx);
    ref.identifier = { system, value: id };
  }
  if (display) ref.display = display;
  return ref;
}

/** CWE triplets: the code's component and its version's (7 for 1-3, 8 for 4-6). */
const CWE_TRIPLETS = [[1, 7], [4, 8]] as const;

/** CWE/CE/CNE (triplets 1-3 and 4-6, 7/8 versions, 9 original text) -> CodeableConcept. */
export function cweToConcept(ctx: MapContext, seg: Segment, n: number, rep = 0): CodeableConcept | undefined {
  if (!seg.has(n)) return undefined; // an empty field (OBX-17 mostly is) has no component to read
  return conceptOf(ctx, fieldValues(seg, n, rep));
}

/** cweToConcept of a field already read: v is fieldValues of the CWE. */
export function conceptOf(ctx: MapContext, v: FieldValues): CodeableConcept | undefined {
  const coding: Coding[] = [];
  for (const [c, vc] of CWE_TRIPLETS) {
    const code = fhirCode(v[c - 1]);
    if (!code) continue;
    const display = v[c];
    const one: Coding = {};
    const system = codeSystemUri(v[c + 1] ?? '', ctx.config);
    if (system) one.system = system;
    const version = v[vc - 1];
    if (version && system) one.version = version;
    one.code = code;
    if (display) one.display = display;
    coding.push(one);
  }
  const text = v[8] ?? v[1] ?? v[4];
  if (!coding.length && !text) return undefined;
  const cc: CodeableConcept = {};
  if (coding.length) cc.coding = coding;
  if (text) cc.text = text;
  return cc;
}
