// Who may see which rows: the one authorization policy, pure (a principal and a resource family in,
// a decision out). src/http's gate calls it for every request after the route's scope check, and
// passes the answer on as a filter the sub-apps apply to their store queries (as `patientCompartment`
// for a SMART `patient/` grant). Deny by default: a family or a reach this table does not name grants
// nothing.
//
//   reach         who                                                   rows
//   all           an admin session; a token without an organization     every row
//                 claim (a system client, limited by its scopes only)
//   organization  an operator or supervisor session (its organisation);  the rows of that organisation
//                 a token with an `organization` claim
//   practitioner  a provider (session, or token with the provider scope) the /me routes: messages
//                                                                        addressed to them or to a role
//                                                                        they cover (src/delivery); FHIR
//                                                                        reads of those messages' patients
//
// A row outside the reach reads as unknown (404, never 403): whether it exists is not disclosed.
import { DEFAULT_ORGANIZATION } from '../store/index.js';
import type { Principal } from './token.js';

export { DEFAULT_ORGANIZATION };

/** An organisation id: as a schedule id (letters, digits and . _ : -), at most 200 characters. */
export const ORGANIZATION_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;

/** The scope of a provider's principal (a provider token, a provider session): its subject is the practitioner. */
export const PROVIDER_SCOPE = 'provider';

export type Reach =
  | { kind: 'all' }
  | { kind: 'organization'; organization: string }
  | { kind: 'practitioner'; practitioner: string };

/** How far a principal reaches (see the table above). */
export function reachOf(p: Principal): Reach {
  if (p.scopes.includes(PROVIDER_SCOPE) && p.subject !== '') return { kind: 'practitioner', practitioner: p.subject };
  if (p.role !== undefined) {
    // a session: an administrator sees every organisation, everyone else their own
    if (p.role === 'admin') return { kind: 'all' };
    if (p.role === 'provider') return { kind: 'practitioner', practitioner: p.subject };
    return { kind: 'organization', organization: p.organization ?? DEFAULT_ORGANIZATION };
  }
  // a token: its organization claim limits it, whatever its scopes
  return p.organization !== undefined ? { kind: 'organization', organization: p.organization } : { kind: 'all' };
}

/**
 * The resource families of the route table, by whose rows they hold:
 * - `message`: inbox rows, call notes, their delivery (timeline, dead letters): the message's organisation's;
 * - `fhir`: the FHIR resources mapped from messages (and delivery's Communications): their message's
 *   organisation's, and a provider's patients' (the patients of the messages the provider sees);
 * - `rejected`: refused input, accepted from no known sender: the deployment's own (default) organisation's;
 * - `audit`: the audit trail (FHIR AuditEvent): every organisation's at once;
 * - `schedule`: the deployment's one on-call schedule, shared by its organisations (read);
 * - `schedule-change`: changing it: the deployment's own (default) organisation's;
 * - `intake`: POST /hl7 and POST /calls: what is stored belongs to the sender's (or submitter's) organisation;
 * - `mine`: the /me routes: a practitioner's own messages.
 */
export type ResourceFamily = 'message' | 'fhir' | 'rejected' | 'audit' | 'schedule' | 'schedule-change' | 'intake' | 'mine';

/**
 * The decision for a reach on a family:
 * - `forbidden`: the route is refused as a whole (403: it says nothing about any row);
 * - `all`: every row;
 * - `organization`: the rows of that organisation only; every other row is a 404 and is left out of lists;
 * - `none`: no row (lists are empty, every id a 404);
 * - `practitioner`: the practitioner's own messages (src/delivery decides which, by the schedule);
 * - `patients`: the FHIR resources of the patients of those messages (no SMART scope needed; types
 *   without a patient compartment are refused).
 */
export type RowFilter =
  | { kind: 'forbidden'; reason: string }
  | { kind: 'all' }
  | { kind: 'organization'; organization: string }
  | { kind: 'none' }
  | { kind: 'practitioner'; practitioner: string }
  | { kind: 'patients'; practitioner: string };

const ONLY_ME = 'a provider reaches only the /me routes and the FHIR resources of their messages\' patients';

export function rowFilter(reach: Reach, family: ResourceFamily): RowFilter {
  if (reach.kind === 'practitioner') {
    // a provider who names no practitioner speaks for nobody
    if (reach.practitioner === '') return { kind: 'forbidden', reason: 'a provider without a practitioner id' };
    if (family === 'mine') return { kind: 'practitioner', practitioner: reach.practitioner };
    if (family === 'fhir') return { kind: 'patients', practitioner: reach.practitioner };
    return { kind: 'forbidden', reason: ONLY_ME };
  }
  if (family === 'mine') return { kind: 'forbidden', reason: 'the /me routes are a provider\'s (a provider token or session)' };
  if (reach.kind === 'all') return { kind: 'all' };
  const org = reach.organization;
  switch (family) {
    case 'message':
    case 'fhir':
      return { kind: 'organization', organization: org };
    case 'intake':
    case 'schedule':
      return { kind: 'all' };
    case 'schedule-change':
      return org === DEFAULT_ORGANIZATION ? { kind: 'all' } : { kind: 'forbidden', reason: 'the schedule is shared by every organisation: only the deployment\'s own organisation or an administrator changes it' };
    case 'rejected':
      // whoever runs the gateway works out why input was refused; no other organisation sees it
      return org === DEFAULT_ORGANIZATION ? { kind: 'all' } : { kind: 'none' };
    case 'audit':
      return { kind: 'forbidden', reason: 'the audit trail spans every organisation: an administrator or an unlimited client reads it' };
    default:
      return { kind: 'forbidden', reason: 'not permitted' };
  }
}
