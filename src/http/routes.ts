// The one table of what the web layer serves: for each route family and method, who may call it and
// what its body must be. gate.ts applies it to every request before any sub-app sees it, and a request
// that no row matches is a 404 there, so a route a sub-app adds without a row here cannot be reached
// (deny by default). Sub-apps carry no auth code.
import type { ResourceFamily } from '../auth/index.js';

/** Operation scopes of the gateway's own routes (`admin` grants all of them). */
export type OperationScope = 'hl7.write' | 'calls.write' | 'inbox.read' | 'inbox.write' | 'oncall.read' | 'oncall.write' | 'delivery.read' | 'delivery.write';

/**
 * Who may call a route. Past the scope, every non-public row names the family of rows it serves
 * (src/auth/policy.ts `ResourceFamily`): the policy decides from it which of those rows the caller
 * sees. A FHIR row's family follows from its `:type` (the audit trail, or a message's resources).
 */
export type RouteAccess =
  /** no token: health, metrics, the API descriptions (OpenAPI; the FHIR CapabilityStatement): clients read them before they authenticate */
  | { kind: 'public' }
  | { kind: 'operation'; scope: OperationScope; family: Exclude<ResourceFamily, 'mine'> }
  /** SMART v2 access to the FHIR type in the path's `:type`: `r` read by id, `s` search */
  | { kind: 'fhir'; access: 'r' | 's' }
  /** a provider token (`provider` scope; its subject is the practitioner): the /me routes, and only they */
  | { kind: 'provider' };

export type BodyRule =
  /** raw bytes (an HL7 message) up to a size */
  | { kind: 'bytes'; maxBytes: number }
  /** JSON (`application/json` or `application/*+json`, else 415) up to a size and a nesting depth */
  | { kind: 'json'; maxBytes: number; maxDepth: number };

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RouteRule {
  method: Method;
  /** segments; `:name` matches one (non-empty) segment */
  path: string;
  access: RouteAccess;
  /** checked before the handler runs; the handler's own limits (a sub-app's) still apply after */
  body?: BodyRule;
}

export interface RouteLimits {
  /** POST /hl7 (HTTP_MAX_BODY_BYTES) */
  maxHl7Bytes: number;
  /** POST /calls (the call note schema's limit) */
  maxCallBytes: number;
}

/** A call note nests three levels; 32 leaves room and keeps a hostile body from reaching the parser deep. */
export const MAX_JSON_DEPTH = 32;

const op = (scope: OperationScope, family: Exclude<ResourceFamily, 'mine'>): RouteAccess => ({ kind: 'operation', scope, family });
const PUBLIC: RouteAccess = { kind: 'public' };
const PROVIDER: RouteAccess = { kind: 'provider' };
/** A reply, a forward, a push subscription: small JSON (a reply is at most 4,000 characters). */
const SMALL_JSON: BodyRule = { kind: 'json', maxBytes: 32 * 1024, maxDepth: 4 };
/** A WebAuthn response: {response: {response: {…, transports: []}, clientExtensionResults: {}}}. */
const CREDENTIAL_JSON: BodyRule = { kind: 'json', maxBytes: 32 * 1024, maxDepth: 6 };

/** Every route, first match wins (so /fhir/metadata comes before /fhir/:type/:id). */
export function routeTable(limits: RouteLimits): readonly RouteRule[] {
  return [
    { method: 'GET', path: '/healthz', access: PUBLIC },
    { method: 'GET', path: '/readyz', access: PUBLIC },
    { method: 'GET', path: '/metrics', access: PUBLIC },
    { method: 'GET', path: '/openapi.json', access: PUBLIC },
    { method: 'GET', path: '/fhir/metadata', access: PUBLIC },
    { method: 'GET', path: '/fhir/:type/:id', access: { kind: 'fhir', access: 'r' } },
    { method: 'GET', path: '/fhir/:type', access: { kind: 'fhir', access: 's' } },
    { method: 'POST', path: '/hl7', access: op('hl7.write', 'intake'), body: { kind: 'bytes', maxBytes: limits.maxHl7Bytes } },
    { method: 'POST', path: '/calls', access: op('calls.write', 'intake'), body: { kind: 'json', maxBytes: limits.maxCallBytes, maxDepth: MAX_JSON_DEPTH } },
    { method: 'GET', path: '/inbox', access: op('inbox.read', 'message') },
    { method: 'GET', path: '/inbox/:id', access: op('inbox.read', 'message') },
    { method: 'POST', path: '/inbox/:id/retry', access: op('inbox.write', 'message') },
    { method: 'GET', path: '/rejected', access: op('inbox.read', 'rejected') },
    { method: 'GET', path: '/rejected/:id', access: op('inbox.read', 'rejected') },
    { method: 'GET', path: '/oncall', access: op('oncall.read', 'schedule') },
    { method: 'GET', path: '/oncall/coverage', access: op('oncall.read', 'schedule') },
    { method: 'GET', path: '/oncall/next', access: op('oncall.read', 'schedule') },
    { method: 'GET', path: '/schedule', access: op('oncall.read', 'schedule') },
    { method: 'PUT', path: '/schedule', access: op('oncall.write', 'schedule-change') },
    { method: 'GET', path: '/schedule/lint', access: op('oncall.read', 'schedule') },
    { method: 'POST', path: '/schedule/import', access: op('oncall.write', 'schedule-change') },
    { method: 'GET', path: '/schedule/:collection/:id', access: op('oncall.read', 'schedule') },
    { method: 'PUT', path: '/schedule/:collection/:id', access: op('oncall.write', 'schedule-change') },
    { method: 'DELETE', path: '/schedule/:collection/:id', access: op('oncall.write', 'schedule-change') },
    // delivery: the provider API (provider tokens only) and the operator views
    { method: 'GET', path: '/me/messages', access: PROVIDER },
    { method: 'GET', path: '/me/messages/:id', access: PROVIDER },
    { method: 'POST', path: '/me/messages/:id/read', access: PROVIDER },
    { method: 'POST', path: '/me/messages/:id/ack', access: PROVIDER },
    { method: 'POST', path: '/me/messages/:id/resolve', access: PROVIDER },
    { method: 'POST', path: '/me/messages/:id/reply', access: PROVIDER, body: SMALL_JSON },
    { method: 'POST', path: '/me/messages/:id/forward', access: PROVIDER, body: SMALL_JSON },
    { method: 'GET', path: '/me/events', access: PROVIDER },
    { method: 'GET', path: '/me/push-subscriptions', access: PROVIDER },
    { method: 'POST', path: '/me/push-subscriptions', access: PROVIDER, body: SMALL_JSON },
    { method: 'DELETE', path: '/me/push-subscriptions/:id', access: PROVIDER },
    { method: 'GET', path: '/messages/:id/timeline', access: op('delivery.read', 'message') },
    { method: 'GET', path: '/delivery/dead-letters', access: op('delivery.read', 'message') },
    { method: 'POST', path: '/delivery/dead-letters/:id/replay', access: op('delivery.write', 'message') },
    // sign-in (src/auth/session-app.ts): public, each route reads its own cookie; a session then passes the gate like a token
    { method: 'GET', path: '/auth/login', access: PUBLIC },
    { method: 'GET', path: '/auth/callback', access: PUBLIC },
    { method: 'POST', path: '/auth/logout', access: PUBLIC },
    { method: 'GET', path: '/auth/session', access: PUBLIC },
    // local sign-in (src/auth/local-app.ts): public as the rows above; the routes that need a session check it and its CSRF token themselves
    { method: 'POST', path: '/auth/local/login', access: PUBLIC, body: SMALL_JSON },
    { method: 'POST', path: '/auth/local/password', access: PUBLIC, body: SMALL_JSON },
    { method: 'POST', path: '/auth/local/totp/enroll', access: PUBLIC, body: SMALL_JSON },
    { method: 'POST', path: '/auth/local/totp/confirm', access: PUBLIC, body: SMALL_JSON },
    { method: 'POST', path: '/auth/local/passkeys/register/options', access: PUBLIC },
    { method: 'POST', path: '/auth/local/passkeys/register/verify', access: PUBLIC, body: CREDENTIAL_JSON },
    { method: 'GET', path: '/auth/local/passkeys', access: PUBLIC },
    { method: 'DELETE', path: '/auth/local/passkeys/:credentialId', access: PUBLIC },
    { method: 'POST', path: '/auth/local/passkeys/login/options', access: PUBLIC },
    { method: 'POST', path: '/auth/local/passkeys/login/verify', access: PUBLIC, body: CREDENTIAL_JSON },
  ];
}

export interface RouteMatch {
  rule: RouteRule;
  params: Record<string, string>;
}

function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  if (!path.startsWith('/')) return undefined;
  const want = pattern.slice(1).split('/');
  const got = path.slice(1).split('/');
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i];
    if (g === undefined || g === '') return undefined;
    if (w.startsWith(':')) params[w.slice(1)] = g;
    else if (w !== g) return undefined;
  }
  return got.length === want.length ? params : undefined;
}

/** The rule for a request; HEAD is answered as GET (RFC 9110 9.3.2). */
export function matchRoute(table: readonly RouteRule[], method: string, path: string): RouteMatch | undefined {
  const m = method === 'HEAD' ? 'GET' : method;
  for (const rule of table) {
    if (rule.method !== m) continue;
    const params = matchPath(rule.path, path);
    if (params) return { rule, params };
  }
  return undefined;
}
