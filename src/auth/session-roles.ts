// Who a signed-in person is to Switchboard: a role from the IdP's groups/roles claim (through the
// configured role map), a practitioner id from the practitioner claim, and what each role may do.
// Deny by default: a person none of whose groups is mapped gets no session.
import { SessionError } from './session-errors.js';
import { ORGANIZATION_ID } from './policy.js';
import type { SessionRole } from '../store/index.js';

export const ROLES: readonly SessionRole[] = ['provider', 'operator', 'supervisor', 'admin'];

/**
 * The operation scopes each role's session carries (the route table's scopes). A provider's session
 * carries the `provider` scope alone, with its practitioner as subject: it reaches the /me routes only,
 * like a provider token. No session carries a FHIR (SMART) scope or `admin`: FHIR reads stay with tokens.
 */
export const ROLE_SCOPES: Record<SessionRole, readonly string[]> = {
  provider: ['provider'],
  operator: ['calls.write', 'inbox.read', 'oncall.read', 'delivery.read'],
  supervisor: ['calls.write', 'inbox.read', 'inbox.write', 'oncall.read', 'oncall.write', 'delivery.read', 'delivery.write'],
  admin: ['hl7.write', 'calls.write', 'inbox.read', 'inbox.write', 'oncall.read', 'oncall.write', 'delivery.read', 'delivery.write'],
};

/** When several groups map, the widest role wins. */
const PRECEDENCE: readonly SessionRole[] = ['admin', 'supervisor', 'operator', 'provider'];

export interface ClaimMapping {
  practitionerClaim: string;
  rolesClaim: string;
  /**
   * The claim naming the person's organisation (OIDC_ORGANIZATION_CLAIM). Unset: one organisation,
   * everyone in the default one. Set: an operator or supervisor without it gets no session.
   */
  organizationClaim?: string | undefined;
  /** IdP group/role value -> role */
  roleMap: ReadonlyMap<string, SessionRole>;
}

/** OIDC_ROLE_MAP: a JSON object of IdP value -> role; anything else is a configuration error. */
export function parseRoleMap(json: string): Map<string, SessionRole> {
  let v: unknown;
  try { v = JSON.parse(json); } catch { throw new Error('OIDC_ROLE_MAP must be a JSON object of group -> role'); }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('OIDC_ROLE_MAP must be a JSON object of group -> role');
  const out = new Map<string, SessionRole>();
  for (const [k, r] of Object.entries(v)) {
    if (!ROLES.includes(r as SessionRole)) throw new Error(`OIDC_ROLE_MAP: '${k}' maps to an unknown role (expected ${ROLES.join(', ')})`);
    out.set(k, r as SessionRole);
  }
  return out;
}

/** FHIR id (datatypes.html#id). */
const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;
const PRACTITIONER_REF = /(?:^|\/)Practitioner\/([A-Za-z0-9\-.]{1,64})$/;

/** `Practitioner/ID`, a URL ending so (SMART fhirUser), or a bare id. */
export function practitionerFrom(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 2048) return undefined;
  const m = PRACTITIONER_REF.exec(value);
  if (m) return m[1];
  return FHIR_ID.test(value) ? value : undefined;
}

export interface Person {
  issuer: string;
  subject: string;
  role: SessionRole;
  practitioner: string | null;
  /** the organisation the person acts for; none: the default organisation */
  organization?: string | undefined;
}

/** The person an ID token's claims describe, or a 403 with a stable code. */
export function mapPerson(claims: Record<string, unknown>, m: ClaimMapping): Person {
  const raw = claims[m.rolesClaim];
  const values = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw.filter((x): x is string => typeof x === 'string') : [];
  const mapped = new Set(values.map((v) => m.roleMap.get(v)).filter((r): r is SessionRole => r !== undefined));
  const role = PRECEDENCE.find((r) => mapped.has(r));
  if (!role) throw new SessionError('ERR_SESSION_UNKNOWN_PERSON', `no group in the '${m.rolesClaim}' claim maps to a Switchboard role`);
  const practitioner = practitionerFrom(claims[m.practitionerClaim]) ?? null;
  if (role === 'provider' && practitioner === null) throw new SessionError('ERR_SESSION_NO_PRACTITIONER', `a provider needs a practitioner id in the '${m.practitionerClaim}' claim`);
  const organization = organizationOf(claims, m, role);
  return { issuer: String(claims.iss ?? ''), subject: String(claims.sub ?? ''), role, practitioner, ...(organization !== undefined ? { organization } : {}) };
}

/**
 * The person's organisation from the configured claim (a string, or the first string of an array).
 * Fail closed: with the claim configured, an operator or supervisor whose claim is missing or not an
 * organisation id gets no session (they would otherwise see another organisation's rows, or none).
 */
function organizationOf(claims: Record<string, unknown>, m: ClaimMapping, role: SessionRole): string | undefined {
  if (m.organizationClaim === undefined) return undefined;
  const raw = claims[m.organizationClaim];
  const value = typeof raw === 'string' ? raw : Array.isArray(raw) ? raw.find((x): x is string => typeof x === 'string') : undefined;
  if (value !== undefined && ORGANIZATION_ID.test(value)) return value;
  if (role === 'operator' || role === 'supervisor') throw new SessionError('ERR_SESSION_NO_ORGANIZATION', `an ${role === 'operator' ? 'operator' : 'supervisor'} needs an organisation id in the '${m.organizationClaim}' claim`);
  return undefined;
}
