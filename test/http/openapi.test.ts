// GET /openapi.json from the running gateway app (a real server on a loopback port): a valid OpenAPI
// 3.1 document (checked by @readme/openapi-parser) in which every non-FHIR row of the route table is
// an operation with its method, path parameters, request body schema, bearer scopes and
// OperationOutcome error answers, and nothing else is.
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { compileErrors, validate } from '@readme/openapi-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ROLE_SCOPES, ROLES } from '../../src/auth/index.js';
import { CALL_NOTE_MAX_BYTES } from '../../src/calls/index.js';
import { createApp, routeTable, type RouteRule } from '../../src/http/index.js';
import { buildOpenApiDocument, describedRows, openApiPath } from '../../src/http/openapi.js';
import { silentLogger } from '../../src/obs/log.js';
import { DEFAULT_SCHEDULE_LIMITS } from '../../src/oncall/index.js';

interface Param { name: string; in: string; required?: boolean; schema?: unknown }
interface Operation {
  operationId: string;
  parameters?: Param[];
  requestBody?: { content: Record<string, { schema?: unknown }> };
  responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
  security: Record<string, string[]>[];
}
interface Doc {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { properties?: Record<string, unknown> }>; securitySchemes: Record<string, { type: string; scheme: string; bearerFormat?: string }> };
}

const LIMITS = { maxHl7Bytes: 1024, maxCallBytes: CALL_NOTE_MAX_BYTES };
const table = routeTable(LIMITS);
const rows = describedRows(table);

// the dependencies are never touched: only /openapi.json is asked for, and it is public
const app = createApp({
  sql: {} as never, intake: {} as never, writer: {} as never, metrics: {} as never, log: silentLogger, verifier: null,
  maxHl7Bytes: LIMITS.maxHl7Bytes, schedules: { limits: DEFAULT_SCHEDULE_LIMITS, jobs: {} } as never, publicBaseUrl: 'https://sb.example', hsts: true,
  delivery: { o: { sql: {} } } as never, version: '1.2.3',
});

let server: ServerType;
let res: Response;
let doc: Doc;

beforeAll(async () => {
  server = await new Promise<ServerType>((resolve) => { const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s)); });
  const { port } = server.address() as AddressInfo;
  res = await fetch(`http://127.0.0.1:${port}/openapi.json`);
  doc = (await res.clone().json()) as Doc;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const op = (rule: RouteRule): Operation | undefined => doc.paths[openApiPath(rule.path)]?.[rule.method.toLowerCase()];

describe('GET /openapi.json', () => {
  it('is public JSON', () => {
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(table.find((r) => r.path === '/openapi.json')?.access.kind).toBe('public');
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid ? '' : compileErrors(result)).toBe('');
    expect(result.specification).toBe('OpenAPI');
    expect(doc.openapi).toMatch(/^3\.1\./);
  });

  it('describes the rows of the route table and nothing else (the FHIR API describes itself)', () => {
    const described = Object.entries(doc.paths).flatMap(([p, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${p}`)).sort();
    expect(described).toEqual(rows.map((r) => `${r.method} ${openApiPath(r.path)}`).sort());
    expect(rows.length).toBeGreaterThan(30);
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/fhir'))).toEqual([]);
  });

  it('names a bearer JWT scheme', () => {
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  });
});

describe.each(rows.map((r) => [`${r.method} ${r.path}`, r] as const))('%s', (_name, rule) => {
  it('is there, with every path parameter required', () => {
    const o = op(rule);
    expect(o).toBeDefined();
    const names = [...rule.path.matchAll(/:(\w+)/g)].map((m) => m[1]);
    const inPath = (o!.parameters ?? []).filter((p) => p.in === 'path');
    expect(inPath.map((p) => p.name).sort()).toEqual([...names].sort());
    for (const p of inPath) expect(p).toMatchObject({ required: true, schema: expect.any(Object) });
  });

  it('asks for the scopes the gate checks', () => {
    const { security } = op(rule)!;
    const a = rule.access;
    if (a.kind === 'public') expect(security).toEqual([]);
    // and the sign-in roles whose session carries the scope (src/auth/session-roles.ts)
    else if (a.kind === 'operation') expect(security).toEqual([{ bearer: [a.scope] }, { bearer: ['admin'] }, ...ROLES.filter((r) => ROLE_SCOPES[r].includes(a.scope)).map((r) => ({ session: [r] }))]);
    else if (a.kind === 'provider') expect(security).toEqual([{ bearer: ['provider'] }, { session: ['provider'] }]);
    else throw new Error(`a FHIR row is described: ${rule.path}`);
  });

  it('has a request body schema where the row takes a body', () => {
    const body = op(rule)!.requestBody;
    if (rule.body === undefined) return;
    expect(body).toBeDefined();
    const types = Object.keys(body!.content);
    if (rule.body.kind === 'json') expect(types).toContain('application/json');
    for (const t of types) expect(body!.content[t]!.schema).toBeDefined();
  });

  it('answers errors with OperationOutcome', () => {
    const { responses } = op(rule)!;
    const want = ['400', '404', '500', '503', ...(rule.access.kind === 'public' ? [] : ['401', '403']), ...(rule.body ? ['413'] : []), ...(rule.body?.kind === 'json' ? ['415'] : [])];
    for (const status of want) {
      const content = responses[status]?.content ?? {};
      // two answers are not OperationOutcomes, as the handlers really answer: POST /hl7's ACK (400,
      // 503) and /readyz's reason (503)
      const own = rule.path === '/hl7' ? content['application/hl7-v2'] : rule.path === '/readyz' && status === '503' ? content['application/json'] : undefined;
      const outcome = content['application/fhir+json'] ?? own;
      expect(outcome?.schema, `${status}`).toBeDefined();
      if (content['application/fhir+json']) expect(content['application/fhir+json'].schema).toEqual({ $ref: '#/components/schemas/OperationOutcome' });
    }
    // success is a 2xx, or the redirect of the sign-in routes (GET /auth/login, /auth/callback)
    expect(Object.keys(responses).some((s) => /^2/.test(s) || (rule.path.startsWith('/auth/') && s === '302'))).toBe(true);
  });
});

describe('bodies are the domains\' zod schemas', () => {
  it('POST /calls takes the call note schema, with its limit', () => {
    const body = doc.paths['/calls']!.post!.requestBody!.content['application/json']!.schema as { properties: Record<string, unknown>; required: string[] };
    expect(Object.keys(body.properties)).toEqual(expect.arrayContaining(['caller', 'patient', 'practice', 'reason', 'urgency']));
    expect(body.required).toEqual(expect.arrayContaining(['caller', 'patient', 'practice', 'reason', 'urgency']));
    expect(JSON.stringify(doc.paths['/calls']!.post!.requestBody)).toContain(`at most ${LIMITS.maxCallBytes} bytes`);
  });
  it('PUT /schedule takes the schedule document (JSON or YAML)', () => {
    const content = doc.paths['/schedule']!.put!.requestBody!.content;
    expect(Object.keys(content).sort()).toEqual(['application/json', 'application/yaml']);
    expect(JSON.stringify(content['application/json']!.schema)).toContain('practitioners');
  });
  it('POST /me/messages/{id}/reply takes {text}', () => {
    expect(doc.paths['/me/messages/{id}/reply']!.post!.requestBody!.content['application/json']!.schema).toMatchObject({ type: 'object', properties: { text: { type: 'string', maxLength: 4000 } }, required: ['text'] });
  });
});

describe('made from the route table, so it cannot drift', () => {
  const ok = { responses: { '200': { description: 'ok' } } };
  it('a row without a description does not build', () => {
    expect(() => buildOpenApiDocument([{ method: 'GET', path: '/new', access: { kind: 'public' } }], [], { version: '1' })).toThrow(/GET \/new has no description/);
  });
  it('a description without a row does not build', () => {
    expect(() => buildOpenApiDocument([], [{ 'GET /gone': ok }], { version: '1' })).toThrow(/GET \/gone/);
  });
  it('the path parameters come from the row when the domain gives none', () => {
    const built = buildOpenApiDocument([{ method: 'GET', path: '/things/:thing', access: { kind: 'operation', scope: 'inbox.read', family: 'message' } }, { method: 'GET', path: '/openapi.json', access: { kind: 'public' } }, { method: 'GET', path: '/healthz', access: { kind: 'public' } }, { method: 'GET', path: '/readyz', access: { kind: 'public' } }, { method: 'GET', path: '/metrics', access: { kind: 'public' } }], [{ 'GET /things/:thing': { ...ok, requestParams: { query: z.object({ q: z.string() }) } } }], { version: '1' });
    const params = (built.paths?.['/things/{thing}']?.get?.parameters ?? []) as Param[];
    expect(params.map((p) => `${p.in}:${p.name}`).sort()).toEqual(['path:thing', 'query:q']);
  });
});
