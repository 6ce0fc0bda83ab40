/**
 * The FHIR R4 view of a stored schedule, written to `fhir_resource` with every save (pure part):
 * one Practitioner per practitioner, and per role its PractitionerRoles (with availableTime), a
 * Schedule and one Slot per coverage segment for the next SCHEDULE_VIEW_HORIZON_MS from the save.
 * Every resource carries the tag SCHEDULE_VIEW_TAG so the store can replace exactly what it wrote.
 */
import { createHash } from 'node:crypto';
import type { Identifier, Practitioner, Resource } from 'fhir/r4.js';
import { toFhirSchedule, type CompiledSchedule } from '../routing/index.js';

/** How far ahead Schedule/Slot/PractitionerRole are materialised: two weeks from the save time, ms. */
export const SCHEDULE_VIEW_HORIZON_MS = 14 * 24 * 3_600_000;
/** meta.tag system marking resources written by the schedule store; the tag's code is the document id. */
export const SCHEDULE_VIEW_TAG = 'urn:switchboard:schedule-view';
export const SCHEDULE_VIEW_TYPES = ['Practitioner', 'PractitionerRole', 'Schedule', 'Slot'] as const;

const PRACTITIONER_ID_SYSTEM = 'urn:switchboard:practitioner';
/** FHIR R4 datatypes.html#id */
const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/**
 * Schedule ids may hold `_` and `:` and be long; FHIR ids may not. A valid id is kept; any other
 * becomes its legal characters (cut to 51) plus a hash of the original, so it stays unique and stable.
 */
export const toFhirId = (raw: string): string => {
  if (FHIR_ID.test(raw)) return raw;
  const hash = createHash('sha256').update(raw).digest('hex').slice(0, 12);
  return `${raw.replace(/[^A-Za-z0-9\-.]/g, '-').slice(0, 51)}.${hash}`;
};

/** "NPI|1000000001" -> {system: NPI, value}; a bare value has no system. */
const identifierOf = (text: string): Identifier => {
  const bar = text.indexOf('|');
  return bar < 0 ? { value: text } : { system: text.slice(0, bar), value: text.slice(bar + 1) };
};

/** Rewrites every `reference: "Type/id"` (at any depth) through the id map. */
const rewriteReferences = (value: unknown, ids: ReadonlyMap<string, string>): unknown => {
  if (Array.isArray(value)) return value.map((v) => rewriteReferences(v, ids));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = k === 'reference' && typeof v === 'string' ? (ids.get(v) ?? v) : rewriteReferences(v, ids);
  }
  return out;
};

export const buildScheduleView = (compiled: CompiledSchedule, documentId: string, nowMs: number): Resource[] => {
  const tag = { system: SCHEDULE_VIEW_TAG, code: documentId };
  const practitioners: Practitioner[] = compiled.schedule.practitioners.map((p) => ({
    resourceType: 'Practitioner',
    id: p.id,
    active: true,
    identifier: [{ system: PRACTITIONER_ID_SYSTEM, value: p.id }, ...p.identifiers.map(identifierOf)],
    name: [{ text: p.name }],
  }));
  const perRole: Resource[] = compiled.schedule.roles.flatMap((role) => {
    const view = toFhirSchedule(compiled, role.id, nowMs, nowMs + SCHEDULE_VIEW_HORIZON_MS);
    // compileSchedule accepted every role and the range is fixed and valid, so this cannot fail.
    return view.ok ? [...view.value.practitionerRoles, view.value.schedule, ...view.value.slots] : [];
  });
  const all: Resource[] = [...practitioners, ...perRole];
  const ids = new Map<string, string>();
  for (const r of all) {
    const id = r.id ?? '';
    const safe = toFhirId(id);
    if (safe !== id) ids.set(`${r.resourceType}/${id}`, `${r.resourceType}/${safe}`);
  }
  return all.map((r) => {
    const rewritten = (ids.size === 0 ? r : rewriteReferences(r, ids)) as Resource;
    return { ...rewritten, id: toFhirId(r.id ?? ''), meta: { ...(r.meta ?? {}), tag: [...(r.meta?.tag ?? []), tag] } };
  });
};
