// The search columns of fhir_resource, extracted from a resource on every write (pure). What is
// extracted here is exactly what search.ts can filter on (resource-types.ts SEARCH_PARAMS).
import type { Resource } from 'fhir/r4.js';
import { normalizeReference } from './references.js';

export interface SearchColumns {
  /** 'Patient/<id>': the resource's subject (patient / subject search), or a Patient's own reference */
  subject: string | null;
  status: string | null;
  priority: string | null;
  /** recipient[].reference, normalised to Type/id */
  recipients: string[];
  /** identifier[] as 'system|value' ('|value' when there is no system), FHIR R4 search.html#token */
  identifiers: string[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

function referenceOf(v: unknown): string | null {
  return isObject(v) && typeof v.reference === 'string' && v.reference !== '' ? normalizeReference(v.reference) : null;
}

/** Element names differ by type, so read them as data: every type here has these at the top level. */
export function extractSearchColumns(resource: Resource): SearchColumns {
  const r = resource as unknown as Record<string, unknown>;
  // Communication/CommunicationRequest/Observation/DiagnosticReport/Encounter/ServiceRequest/Specimen.subject
  const subject = resource.resourceType === 'Patient' && resource.id ? `Patient/${resource.id}` : referenceOf(r.subject);
  const recipients = asList(r.recipient).map(referenceOf).filter((x): x is string => x !== null);
  const identifiers: string[] = [];
  for (const i of asList(r.identifier)) {
    if (!isObject(i)) continue;
    const value = str(i.value);
    if (value !== null) identifiers.push(`${str(i.system) ?? ''}|${value}`);
  }
  return {
    subject,
    status: str(r.status),
    priority: str(r.priority),
    recipients: [...new Set(recipients)],
    identifiers: [...new Set(identifiers)],
  };
}
