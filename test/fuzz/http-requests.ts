// Generators of HTTP requests to the whole route table, structure-aware: besides random strings and
// bytes, what a confused or hostile client sends — numbers that are not integers or do not fit,
// repeated parameters, FHIR modifiers and chains, impossible dates, unicode and lone surrogates, wrong
// JSON types in a call note, huge numbers, deep nesting, odd content types, bad tokens. Shared by the
// seeded property test (http.int.test.ts, in process) and the long fuzz of a running gateway
// (`npm run fuzz`, gateway.ts).
import fc from 'fast-check';
import { fixture, toWire } from '../support/fixtures.js';

const call = {
  caller: { type: 'pharmacist', name: 'Pat Pharmacist', callbackNumber: '+1 555 010 0199' },
  patient: { name: 'Alex Testpatient', birthDate: '1980-02-29', mrn: 'MRN100234' },
  practice: 'north-cardiology', service: 'cardiology', reason: 'Dose clarification', urgency: 'urgent',
};

const number = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('1.5', '2.5', '0.5', '1e3', '1e400', '-1', '0', '-0', '99999999999999999999', '0x10', ' 5', '+5', 'NaN', 'Infinity', '１２') },
  { weight: 2, arbitrary: fc.integer({ min: -5, max: 2_000 }).map(String) },
  { weight: 1, arbitrary: fc.double().map(String) },
);
const date = fc.constantFrom('2024-00-15', '2024-02-30', '2024-13-01', 'ge2024-05-01', 'gt2024', 'sa2024', 'ap2024-01-01', '2024-01-01T25:00:00Z', '0050-01-01', '2024-05-01T10:00:00+99:99', '2024-05-01T10:00:00 02:00', '9999-12-31T23:59:59.999999Z', '2025-03-09T02:30:00');
const token = fc.constantFrom('http://loinc.org|2823-3', '|x', 'x|', '|', 'a\\|b|c', 'a|b|c', ',,', 'Patient/p1', 'Patient/p1/_history/2', 'https://x/fhir/Patient/p1', 'p1,p2', 'urn:uuid:1', 'failed', 'received', 'count', '-_lastUpdated');
const text = fc.oneof(
  fc.string({ maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 20 }), fc.string({ unit: 'grapheme', maxLength: 10 }),
  fc.constantFrom('\u0000', '%00', '\ud800', 'x'.repeat(5000), '<script>', '\u202e', '💥'.repeat(50)),
);
const anyValue = fc.oneof(number, date, token, text);

const ROW_ID = fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: 60 }).map(String) }, { weight: 1, arbitrary: number });
const STATES = fc.oneof({ weight: 3, arbitrary: fc.constantFrom('received', 'processing', 'processed', 'failed') }, { weight: 1, arbitrary: fc.oneof(token, text) });

/**
 * The routes by family: their paths, the methods they answer (used most of the time: a request with a
 * method no route has only tests the 404), and the parameters each reads with what their values look like.
 */
interface Family { paths: string[]; methods: string[]; names: Record<string, fc.Arbitrary<string>> }
const FAMILIES: Family[] = [
  { paths: ['/inbox', '/inbox', '/inbox', '/inbox/1', '/inbox/abc', '/inbox/99999999999999999999', '/inbox/'], methods: ['GET'], names: { limit: number, after: ROW_ID, state: STATES } },
  { paths: ['/inbox/1/retry', '/inbox/x/retry'], methods: ['POST'], names: { x: anyValue } },
  { paths: ['/rejected', '/rejected', '/rejected/1', '/rejected/-1'], methods: ['GET'], names: { limit: number, before: ROW_ID } },
  { paths: ['/hl7', '/calls', '/calls', '/calls'], methods: ['POST'], names: { x: anyValue } },
  { paths: ['/metrics', '/readyz', '/healthz', '/.well-known/jwks.json', '/nope', '/%F0%9F%92%A5'], methods: ['GET'], names: { x: anyValue } },
  {
    paths: ['/fhir/metadata', '/fhir/Observation', '/fhir/Patient', '/fhir/Communication', '/fhir/CommunicationRequest', '/fhir/Encounter', '/fhir/DiagnosticReport',
      '/fhir/Patient/p1', '/fhir/Observation/x', '/fhir/Foo', '/fhir/Foo/1', '/fhir/Observation/a%20b', '/fhir/Observation/%00'],
    methods: ['GET'],
    names: {
      _count: number, _sort: token, _summary: token, _cursor: text, _format: text, _lastUpdated: date, _id: fc.oneof(token, text), _include: token,
      patient: token, subject: token, 'subject:Patient': token, 'subject:Foo': token, 'patient.identifier': token, code: token, 'code:text': text,
      category: token, date, status: token, 'status:not': token, priority: token, recipient: token, 'based-on': token, identifier: fc.oneof(token, text), '': text, 'a b': text,
    },
  },
  { paths: ['/oncall', '/oncall/coverage', '/oncall/next', '/schedule', '/schedule/roles/x', '/schedule/nope/x'], methods: ['GET', 'PUT', 'DELETE'], names: { role: fc.oneof(text, fc.constant('ob-oncall')), at: date, from: date, to: date } },
];
const ALL_NAMES = FAMILIES.flatMap((f) => Object.keys(f.names));
const ANY_METHOD = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'];

/** Each of the family's parameters at most once (a value shaped for it, mostly), then sometimes extras: any name, repeats included. */
export const route = fc.constantFrom(...FAMILIES).chain((f) => fc.record({
  path: fc.constantFrom(...f.paths),
  method: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...f.methods) }, { weight: 1, arbitrary: fc.constantFrom(...ANY_METHOD) }),
  own: fc.record(Object.fromEntries(Object.entries(f.names).map(([n, v]) => [n, fc.oneof({ weight: 3, arbitrary: v }, { weight: 1, arbitrary: anyValue })])), { requiredKeys: [] }),
  extra: fc.oneof({ weight: 2, arbitrary: fc.constant<[string, string][]>([]) }, { weight: 1, arbitrary: fc.array(fc.tuple(fc.constantFrom(...ALL_NAMES), anyValue), { minLength: 1, maxLength: 3 }) }),
}).map(({ path, method, own, extra }) => ({ path, method, query: [...Object.entries(own).filter((e): e is [string, string] => e[1] !== undefined), ...extra] })));

/** A call note with one field broken: a wrong type, a huge or odd number, unicode, an extra key, nesting. */
export const callBody = fc.oneof(
  fc.constant(JSON.stringify(call)),
  fc.tuple(fc.constantFrom('caller', 'patient', 'practice', 'reason', 'urgency', 'takenAt', 'extra'), fc.oneof(
    fc.constantFrom<unknown>(null, 0, -1, true, [], {}, [call], 'x'.repeat(70_000), '\ud800', '2024-02-30T10:00:00Z'),
    fc.double(), fc.string({ unit: 'grapheme', maxLength: 30 }), fc.json({ maxDepth: 4 }).map((j) => JSON.parse(j) as unknown),
  )).map(([k, v]) => JSON.stringify({ ...call, [k]: v })),
  fc.constantFrom('1e400', '-0', '{"caller":1e99999}', '[]', 'null', '"x"', '{', '{"a":1,}', '\ufeff{}', '{"reason":"\\ud800"}'),
  fc.integer({ min: 10, max: 40_000 }).map((d) => `{"caller":${'['.repeat(d)}${']'.repeat(d)}}`),
  fc.integer({ min: 10, max: 20_000 }).map((d) => `${'{"a":'.repeat(d)}1${'}'.repeat(d)}`),
);
export const hl7Body = fc.oneof(
  fc.constant(toWire(fixture('spine/oru-r01.hl7')).toString('latin1').replace('CTRL0001', 'FUZZ1')),
  fc.string({ unit: 'binary', maxLength: 300 }),
);
export const body = fc.oneof(callBody, hl7Body, fc.json({ maxDepth: 3 }), fc.string({ maxLength: 200 }));
export const contentType = fc.oneof({ weight: 3, arbitrary: fc.constant('application/json') }, { weight: 2, arbitrary: fc.constantFrom(
  'application/json', 'application/fhir+json', 'application/json; charset=latin1', 'text/plain', 'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x', 'application/hl7-v2', 'application/yaml', '', 'application/*', ';;;', 'application/json\u0000',
) });
export const auth = fc.oneof({ weight: 6, arbitrary: fc.constant<string | undefined>('admin') }, { weight: 1, arbitrary: fc.constantFrom<string | undefined>('patient', 'reader', 'garbage', undefined) });

/** Who a request is from: a role's token, a garbage token, or none. */
export type Who = 'admin' | 'patient' | 'reader' | 'garbage' | undefined;

export interface FuzzRequest { path: string; method: string; query: [string, string][]; body: string; type: string; who: Who }

/** One request: a route with its parameters, a body (sent with POST and PUT), a content type, a sender. */
export const request: fc.Arbitrary<FuzzRequest> = fc.tuple(route, body, contentType, auth)
  .map(([r, b, type, who]) => ({ ...r, body: b, type, who: who as Who }));

/** The URL (path and query) and the fetch init of a request, with the role tokens to use. */
export function toFetch(r: FuzzRequest, tokens: Record<string, string>): { url: string; init: RequestInit } {
  const headers: Record<string, string> = {};
  if (r.who === 'garbage') headers.authorization = 'Bearer eyJhbGciOiJub25lIn0.e30.';
  else if (r.who) headers.authorization = `Bearer ${tokens[r.who]!}`;
  // a header value cannot hold a NUL: a client could not send one
  if (r.type && !r.type.includes('\u0000')) headers['content-type'] = r.type;
  const init: RequestInit = { method: r.method, headers };
  if (r.method === 'POST' || r.method === 'PUT') init.body = r.body;
  return { url: `${r.path}?${new URLSearchParams(r.query).toString()}`, init };
}

/** A request as one line for a report (cut short; the fixtures and generators hold no PHI). */
export const describeRequest = (r: FuzzRequest, url: string): string => `${r.method} ${url.slice(0, 200)} [${r.type}] ${r.body.slice(0, 120)}`;
