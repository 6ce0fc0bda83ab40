// The OpenAPI 3.1 document of the gateway's own (non-FHIR) routes, served at GET /openapi.json. It is
// made from the route table (routes.ts): each row is one operation, so a route cannot be served
// without being described, nor described without being served. The row gives the method, the path,
// who may call it (the bearer scheme with the operation's scope) and its body limits; each domain's
// sub-app gives, beside its handlers, what the route reads and answers (its zod schemas); the error
// answers are the OperationOutcomes of error-response.ts. The FHIR API is described by its own
// CapabilityStatement at /fhir/metadata, as FHIR clients expect.
import { z } from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject, type oas31 } from 'zod-openapi';
import { ROLE_SCOPES, ROLES } from '../auth/index.js';
import type { BodyRule, RouteAccess, RouteRule } from './routes.js';

/** What a domain says of its routes, keyed `METHOD /path` as the route table writes the path. */
export type ApiOperations = Readonly<Record<string, ZodOpenApiOperationObject>>;

export interface OpenApiInfo {
  version: string;
}

/** The FHIR REST API under /fhir describes itself (FHIR R4 http.html#capabilities). */
const isFhir = (rule: RouteRule): boolean => rule.path === '/fhir' || rule.path.startsWith('/fhir/');

/** The rows this document describes: all but the FHIR API's. */
export const describedRows = (table: readonly RouteRule[]): RouteRule[] => table.filter((r) => !isFhir(r));

/** `/inbox/:id` -> `/inbox/{id}` (OpenAPI 3.1 4.8.2 path templating). */
export const openApiPath = (path: string): string => path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');

const pathParams = (path: string): string[] => [...path.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!);

const BEARER = 'bearer';
const SESSION = 'session';

/** The sign-in roles whose session carries a scope (src/auth/session-roles.ts), as the session scheme's role names. */
const rolesWith = (scope: string): string[] => ROLES.filter((r) => ROLE_SCOPES[r].includes(scope));

/** The scopes (role names, OpenAPI 3.1 4.8.30) a token needs: the operation's, or `admin` for any operation. */
function security(access: RouteAccess): ZodOpenApiOperationObject['security'] {
  switch (access.kind) {
    case 'public': return [];
    case 'operation': return [{ [BEARER]: [access.scope] }, { [BEARER]: ['admin'] }, ...rolesWith(access.scope).map((r) => ({ [SESSION]: [r] }))];
    case 'provider': return [{ [BEARER]: ['provider'] }, { [SESSION]: ['provider'] }];
    case 'fhir': return [{ [BEARER]: [`system/<type>.${access.access}`] }];
  }
}

/** The FHIR R4 OperationOutcome every error answer carries (error-response.ts). */
const operationOutcome = z.object({
  resourceType: z.literal('OperationOutcome'),
  issue: z.array(z.object({
    severity: z.enum(['fatal', 'error', 'warning', 'information']),
    code: z.string().describe('FHIR issue type (invalid, not-found, forbidden, …)'),
    diagnostics: z.string().optional(),
    expression: z.array(z.string()).optional(),
    details: z.object({
      coding: z.array(z.object({ system: z.string().describe('urn:switchboard:error-code'), code: z.string().describe('the stable error code, e.g. ERR_AUTH_FORBIDDEN') })),
    }).optional().describe('the error\'s stable code, for clients to switch on'),
  })).min(1),
}).meta({ id: 'OperationOutcome', description: 'FHIR R4 OperationOutcome: every error answer of the gateway' });

const ERROR_TEXT: Record<string, string> = {
  '400': 'the request is not valid (an issue per problem)',
  '401': 'no valid bearer token (WWW-Authenticate: Bearer)',
  '403': 'the token lacks the scope this route needs',
  '404': 'no such route or resource',
  '409': 'conflict',
  '413': 'the body is larger than this route takes',
  '415': 'the body\'s Content-Type is not one this route takes',
  '422': 'valid, but cannot be processed',
  '429': 'too many at once; retry later',
  '500': 'internal error (no details are given)',
  '503': 'the store is unavailable; retry after Retry-After seconds',
};

/** The error statuses any route may answer, from its row: authentication, body checks, the store. */
function errorStatuses(rule: RouteRule): string[] {
  const out = ['400', '404', '500', '503'];
  if (rule.access.kind !== 'public') out.push('401', '403');
  if (rule.body) out.push('413');
  if (rule.body?.kind === 'json') out.push('415');
  return out;
}

const bodyText = (b: BodyRule): string =>
  b.kind === 'json' ? `JSON, at most ${b.maxBytes} bytes and ${b.maxDepth} levels deep` : `at most ${b.maxBytes} bytes`;

type Responses = ZodOpenApiOperationObject['responses'];

/** The domain's answers, with an OperationOutcome for every error status (its own and the row's). */
function withErrors(rule: RouteRule, responses: Responses): Responses {
  const out: Responses = { ...responses };
  for (const status of errorStatuses(rule)) out[status as '400'] ??= { description: ERROR_TEXT[status] ?? 'error' };
  for (const [status, r] of Object.entries(out)) {
    if (!/^[45]/.test(status) || r === undefined || '$ref' in r || r.content !== undefined) continue;
    out[status as '400'] = { ...r, content: { 'application/fhir+json': { schema: operationOutcome } } };
  }
  return out;
}

function operation(rule: RouteRule, given: ZodOpenApiOperationObject): ZodOpenApiOperationObject {
  const names = pathParams(rule.path);
  const path = given.requestParams?.path ?? (names.length ? z.object(Object.fromEntries(names.map((n) => [n, z.string().min(1)]))) : undefined);
  const requestBody = given.requestBody && rule.body
    ? { ...given.requestBody, description: [given.requestBody.description, bodyText(rule.body)].filter(Boolean).join('; ') }
    : given.requestBody;
  return {
    ...given,
    operationId: given.operationId ?? `${rule.method.toLowerCase()}${rule.path.replace(/[/:.]+(.)?/g, (_m, ch: string | undefined) => (ch ?? '').toUpperCase())}`,
    ...(path || given.requestParams ? { requestParams: { ...given.requestParams, ...(path ? { path } : {}) } } : {}),
    ...(requestBody ? { requestBody } : {}),
    security: security(rule.access),
    responses: withErrors(rule, given.responses),
  };
}

/** The gateway's own routes served here (src/http): health, readiness, metrics, this document. */
const ownApi: ApiOperations = {
  'GET /healthz': { summary: 'Liveness', responses: { '200': { description: 'the process answers', content: { 'application/json': { schema: z.object({ status: z.literal('ok') }) } } } } },
  'GET /readyz': {
    summary: 'Readiness: the store answers and delivery keeps up',
    responses: {
      '200': { description: 'ready', content: { 'application/json': { schema: z.object({ status: z.literal('ready') }) } } },
      '503': { description: 'not ready, and why', content: { 'application/json': { schema: z.object({ status: z.literal('unavailable'), reason: z.string() }) } } },
    },
  },
  'GET /metrics': { summary: 'Prometheus metrics', responses: { '200': { description: 'the text exposition format', content: { 'text/plain': { schema: z.string() } } } } },
  'GET /openapi.json': { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1', content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } } } } },
};

/**
 * The document for the route table's non-FHIR rows. A row no domain describes, or a description
 * no row serves, is a programming error: it throws (and the tests build the document).
 */
export function buildOpenApiDocument(table: readonly RouteRule[], domains: readonly ApiOperations[], info: OpenApiInfo): oas31.OpenAPIObject {
  const docs = new Map<string, ZodOpenApiOperationObject>();
  for (const d of [ownApi, ...domains]) {
    for (const [key, op] of Object.entries(d)) {
      if (docs.has(key)) throw new Error(`OpenAPI: ${key} is described twice`);
      docs.set(key, op);
    }
  }
  const paths: ZodOpenApiPathsObject = {};
  for (const rule of describedRows(table)) {
    const key = `${rule.method} ${rule.path}`;
    const given = docs.get(key);
    if (given === undefined) throw new Error(`OpenAPI: route ${key} has no description`);
    docs.delete(key);
    const item = (paths[openApiPath(rule.path)] ??= {});
    item[rule.method.toLowerCase() as 'get'] = operation(rule, given);
  }
  if (docs.size > 0) throw new Error(`OpenAPI: described but not in the route table: ${[...docs.keys()].join(', ')}`);
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Switchboard',
      version: info.version,
      description: 'The gateway\'s own HTTP API. The FHIR R4 API under /fhir is described by its CapabilityStatement (GET /fhir/metadata).',
    },
    externalDocs: { description: 'FHIR R4 CapabilityStatement of the /fhir API', url: '/fhir/metadata' },
    components: {
      securitySchemes: {
        [BEARER]: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'A JWT from a configured issuer (or `switchboard token`). Each operation lists the scopes that admit it: its operation scope or `admin`; `provider` tokens (switchboard token --practitioner ID) reach only /me.',
        },
        [SESSION]: {
          type: 'apiKey',
          in: 'cookie',
          name: '__Host-sb_session',
          description: 'A person\'s session after OpenID Connect sign-in (GET /auth/login) or local sign-in (POST /auth/local/login); `sb_session` over plain HTTP. Each operation lists the roles whose session admits it. State-changing requests also send X-CSRF-Token (GET /auth/session).',
        },
      },
    },
    paths,
  });
}
