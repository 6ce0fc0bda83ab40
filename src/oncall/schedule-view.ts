/**
 * The FHIR R4 view of a stored schedule, written to `fhir_resource` with every save (pure part):
 * one Practitioner per practitioner, and per role its PractitionerRoles (with availableTime), a
 * Schedule and one Slot per coverage segment for the next SCHEDULE_VIEW_HORIZON_MS from the save.
 * Every resource carries the tag SCHEDULE_VIEW_TAG so the store can replace exactly what it wrote.
 */
import type { Identifier, Practitioner, Resource } from 'fhir/r4.js';
import { toFhirId, toFhirSchedule, type CompiledSchedule } from '../routing/index.js';

export { toFhirId };

/** How far ahead Schedule/Slot/PractitionerRole are materialised: two weeks from the save time, ms. */
export const SCHEDULE_VIEW_HORIZON_MS = 14 * 24 * 3_600_000;
/** meta.tag system marking resources written by the schedule store; the tag's code is the document id. */
export const SCHEDULE_VIEW_TAG = 'urn:switchboard:schedule-view';
export const SCHEDULE_VIEW_TYPES = ['Practitioner', 'PractitionerRole', 'Schedule', 'Slot'] as const;

const PRACTITIONER_ID_SYSTEM = 'urn:switchboard:practitioner';

/** "NPI|1000000001" -> {system: NPI, value}; a bare value has no system. */
const identifierOf = (text: string): Identifier => {
  const bar = text.indexOf('|');
  return bar < 0 ? { value: text } : { system: text.slice(0, bar), value: text.slice(bar + 1) };
};

export const buildScheduleView = (compiled: CompiledSchedule, documentId: string, nowMs: number): Resource[] => {
  const tag = { system: SCHEDULE_VIEW_TAG, code: documentId };
  const practitioners: Practitioner[] = compiled.schedule.practitioners.map((p) => ({
    resourceType: 'Practitioner',
    id: toFhirId(p.id),
    active: true,
    identifier: [{ system: PRACTITIONER_ID_SYSTEM, value: p.id }, ...p.identifiers.map(identifierOf)],
    name: [{ text: p.name }],
  }));
  const perRole: Resource[] = compiled.schedule.roles.flatMap((role) => {
    const view = toFhirSchedule(compiled, role.id, nowMs, nowMs + SCHEDULE_VIEW_HORIZON_MS);
    // compileSchedule accepted every role and the range is fixed and valid, so this cannot fail.
    return view.ok ? [...view.value.practitionerRoles, view.value.schedule, ...view.value.slots] : [];
  });
  // ids are legal FHIR ids already (routing's toFhirId): only the tag is added
  return [...practitioners, ...perRole].map((r) => ({ ...r, meta: { ...(r.meta ?? {}), tag: [...(r.meta?.tag ?? []), tag] } }));
};
