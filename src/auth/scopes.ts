// SMART App Launch v2 scopes (hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html) plus the
// gateway's own operation scopes (`hl7.write`, `calls.write`, `inbox.read`, `inbox.write`,
// `oncall.read`, `oncall.write`, `admin`). Deny by default: a scope we do not understand grants nothing.

/** SMART v2 permission letters: create, read (one resource by id), update, delete, search. */
export type Access = 'c' | 'r' | 'u' | 'd' | 's';

export interface SmartScope {
  /** patient/: the launch patient's data; user/: what the user may see; system/: the whole server */
  context: 'patient' | 'user' | 'system';
  /** a resource type, or '*' */
  type: string;
  access: ReadonlySet<Access>;
}

// v2 letters must appear in the order c r u d s; v1's read / write / * are read as rs / cud / cruds
// (the v1-to-v2 table of the SMART spec). A v2 scope with a `?param=value` restriction does not match
// and so grants nothing: we cannot enforce the restriction yet.
const SMART_SCOPE = /^(patient|user|system)\/([A-Z][A-Za-z]{0,63}|\*)\.(\*|read|write|c?r?u?d?s?)$/;
const V1: Record<string, string> = { '*': 'cruds', read: 'rs', write: 'cud' };

export function parseSmartScope(scope: string): SmartScope | undefined {
  const m = SMART_SCOPE.exec(scope);
  if (!m || m[3] === '') return undefined;
  const letters = V1[m[3]!] ?? m[3]!;
  return { context: m[1] as SmartScope['context'], type: m[2]!, access: new Set(letters.split('') as Access[]) };
}

const grants = (s: SmartScope, type: string, access: Access): boolean => (s.type === '*' || s.type === type) && s.access.has(access);

/** True when a scope in any context (patient, user, system) names `access` on `type`: the grammar, not the policy (fhirGrant). */
export function allowsFhir(scopes: readonly string[], resourceType: string, access: Access): boolean {
  return scopes.some((s) => {
    const p = parseSmartScope(s);
    return p !== undefined && grants(p, resourceType, access);
  });
}

/** True when the operation scope (or `admin`) was granted. */
export function allowsOperation(scopes: readonly string[], operation: string): boolean {
  return scopes.includes(operation) || scopes.includes('admin');
}

/** What a token may do on a FHIR type: everything, or only what belongs to one patient. */
export type FhirGrant = { level: 'all' } | { level: 'patient'; patient: string };

/**
 * The policy for a FHIR interaction (`r` read, `s` search) on `type`:
 * - `admin`, or a `system/` scope with the letter: everything;
 * - a `patient/` scope with the letter: the token's launch patient only (its `patient` claim), and only
 *   on a type whose searches can be limited to one patient (`canLimitToPatient`); without the claim, nothing;
 * - a `user/` scope grants nothing yet: what a user may see is not modelled, and refusing is the safe
 *   reading (deny by default) until it is.
 */
export function fhirGrant(principal: { scopes: readonly string[]; patient?: string }, type: string, access: Access, canLimitToPatient: boolean): FhirGrant | undefined {
  const parsed = principal.scopes.map(parseSmartScope).filter((s): s is SmartScope => s !== undefined && grants(s, type, access));
  if (principal.scopes.includes('admin') || parsed.some((s) => s.context === 'system')) return { level: 'all' };
  if (parsed.some((s) => s.context === 'patient') && canLimitToPatient && principal.patient !== undefined) return { level: 'patient', patient: principal.patient };
  return undefined;
}

/** What `switchboard token` grants unless told otherwise: everything a first-time user tries. */
export const DEFAULT_LOCAL_SCOPES = ['admin', 'system/*.rs'];
