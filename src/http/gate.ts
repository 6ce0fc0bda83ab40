// The one check in front of every sub-app: find the request's row in the route table (routes.ts; no
// row is a 404), authenticate unless the row is public, check the row's scope, then ask the policy
// (src/auth/policy.ts) which rows of the route's family the principal sees, then the body rule.
// A SMART `patient/` grant is passed on as `patientCompartment`, which the FHIR sub-app applies to
// every read and search; an organisation-limited principal's organisation as `organization`, which
// every store query of the route filters by; a provider's practitioner as `practitioner`, whom the /me
// routes act for, or whose messages' patients its FHIR reads are limited to (`patientsOf`). No sub-app
// checks a token again: this is the one place.
import type { Context, MiddlewareHandler, Next } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { getCookie } from 'hono/cookie';
import {
  AuthError, allowsOperation, authenticate, fhirGrant, reachOf, rowFilter, type Principal, type ResourceFamily, type SessionManager, type TokenVerifier,
} from '../auth/index.js';
import { hasPatientCompartment, isSupportedType } from '../fhir/index.js';
import { notFound, tooLarge } from '../outcome/index.js';
import { checkJsonContentType, checkJsonDepth } from './json-body.js';
import { matchRoute, type BodyRule, type RouteAccess, type RouteRule } from './routes.js';

/**
 * The variables the gate sets: the principal; the patient a `patient/` grant is limited to; a provider's
 * practitioner (/me); the organisation a reader is limited to, or that it sees no row (src/auth/policy.ts).
 */
export type HttpEnv = {
  Variables: {
    auth: Principal; patientCompartment?: string; practitioner?: string; organization?: string; noRows?: true;
    /** a provider reading FHIR: the practitioner whose messages' patients the reads are limited to */
    patientsOf?: string;
  };
};

/** The family of rows a route serves: the row's own, a FHIR type's (the audit trail, or a message's resources). */
export function familyOf(access: Exclude<RouteAccess, { kind: 'public' }>, params: Record<string, string>): ResourceFamily {
  if (access.kind === 'provider') return 'mine';
  if (access.kind === 'operation') return access.family;
  return params.type === 'AuditEvent' ? 'audit' : 'fhir';
}

function authorize(c: Context<HttpEnv>, access: Exclude<RouteAccess, { kind: 'public' }>, params: Record<string, string>, p: Principal): void {
  // which rows of the route's family: a provider reaches the /me routes and its patients' FHIR data only, whatever else it carries
  const rows = rowFilter(reachOf(p), familyOf(access, params));
  if (rows.kind === 'forbidden') throw new AuthError('ERR_AUTH_FORBIDDEN', rows.reason);
  // each kind below is given for one access kind only; should the two ever part, refuse (a guard)
  if (rows.kind === 'practitioner') {
    if (access.kind !== 'provider') throw new AuthError('ERR_AUTH_FORBIDDEN', 'not permitted');
    c.set('practitioner', rows.practitioner);
    return;
  }
  if (access.kind === 'provider') throw new AuthError('ERR_AUTH_FORBIDDEN', 'a provider token or session is required');
  if (rows.kind === 'patients') {
    const type = params.type ?? '';
    // only a type whose rows name their patient can be limited to the provider's patients
    if (access.kind !== 'fhir' || !isSupportedType(type) || !hasPatientCompartment(type)) throw new AuthError('ERR_AUTH_FORBIDDEN', 'a provider reads only resources of a patient (Patient, and types with a patient search parameter)');
    c.set('patientsOf', rows.practitioner);
    return;
  }
  if (rows.kind === 'organization') c.set('organization', rows.organization);
  if (rows.kind === 'none') c.set('noRows', true);
  scopeCheck(c, access, params, p);
}

/** The route's scope: an operation scope, or a SMART grant on the FHIR type. */
function scopeCheck(c: Context<HttpEnv>, access: Exclude<RouteAccess, { kind: 'public' | 'provider' }>, params: Record<string, string>, p: Principal): void {
  if (access.kind === 'operation') {
    if (!allowsOperation(p.scopes, access.scope)) throw new AuthError('ERR_AUTH_FORBIDDEN', `token lacks the '${access.scope}' scope`);
    return;
  }
  const type = params.type ?? '';
  const supported = isSupportedType(type);
  const grant = fhirGrant(p, type, access.access, supported && hasPatientCompartment(type));
  if (!grant) {
    // the type is named only when it is one of ours (never other request text)
    const what = access.access === 'r' ? 'read' : 'search';
    throw new AuthError('ERR_AUTH_FORBIDDEN', supported ? `token lacks a scope to ${what} ${type} (system/${type}.${access.access})` : `token lacks a scope to ${what} this resource type`);
  }
  if (grant.level === 'patient') c.set('patientCompartment', grant.patient);
}

async function checkBody(c: Context<HttpEnv>, rule: BodyRule, next: Next): Promise<Response | void> {
  if (rule.kind === 'json') checkJsonContentType(c.req.header('content-type'));
  const limit = bodyLimit({
    maxSize: rule.maxBytes,
    onError: () => { throw tooLarge(`body exceeds ${rule.maxBytes} bytes`, { code: 'ERR_BODY_TOO_LARGE' }); },
  });
  return limit(c, async () => {
    // read once here (Hono keeps the text for the handler's c.req.json())
    if (rule.kind === 'json') checkJsonDepth(await c.req.text(), rule.maxDepth);
    await next();
  });
}

/** Sign-in sessions: the cookie that names one, and where they are kept. */
export interface GateSessions { cookieName: string; manager: SessionManager }

/**
 * A bearer token when the request has an Authorization header; else a session cookie, which acts as
 * the same principal a token would (a state-changing request must also send X-CSRF-Token).
 */
function principalOf(c: Context<HttpEnv>, verifier: TokenVerifier | null, sessions: GateSessions | undefined): Promise<Principal> {
  const authorization = c.req.header('authorization');
  const cookie = sessions && authorization === undefined ? getCookie(c, sessions.cookieName) : undefined;
  if (sessions && cookie !== undefined) return sessions.manager.principal(cookie, { method: c.req.method, csrf: c.req.header('x-csrf-token') });
  return authenticate(authorization, verifier);
}

export function gate(table: readonly RouteRule[], verifier: TokenVerifier | null, sessions?: GateSessions): MiddlewareHandler<HttpEnv> {
  return async (c, next) => {
    const match = matchRoute(table, c.req.method, c.req.path);
    // no row: the route does not exist for this method (a sub-app route without a row is unreachable)
    if (!match) throw notFound('no such route', { code: 'ERR_NO_ROUTE' });
    const { rule, params } = match;
    if (rule.access.kind !== 'public') {
      const principal = await principalOf(c, verifier, sessions);
      c.set('auth', principal);
      authorize(c, rule.access, params, principal);
    }
    if (rule.body) return checkBody(c, rule.body, next);
    return next();
  };
}
