// GET /fhir/AuditEvent (search-type) and /fhir/AuditEvent/:id (read): the audit trail as FHIR R4
// AuditEvents (src/audit maps each row), newest first, keyset-paged on seq. Search parameters
// (auditevent.html#search): patient (reference), agent (reference Practitioner/id, or the actor as
// recorded), date (recorded; prefixes eq ge gt le lt), _count, and our opaque _cursor. The gate admits
// a token with system/AuditEvent.r|s (or admin); `patient/` scopes do not reach the trail.
import { Hono, type Context } from 'hono';
import type { Bundle, BundleEntry, BundleLink } from 'fhir/r4.js';
import { searchAudit, countAudit, toAuditEvent, type AuditSearch } from '../audit/index.js';
import type { Sql } from '../store/index.js';
import { badRequest, notFound } from '../outcome/index.js';
import { parseDateParam } from './date-param.js';

const DEFAULT_COUNT = 20;
const MAX_COUNT = 200;
const PARAMS = new Set(['patient', 'agent', 'date', '_count', '_cursor']);
/** Reference ids and actors we search by: FHIR ids, or an actor as recorded (issuer|subject), bounded. */
const ID = /^[A-Za-z0-9\-.]{1,64}$/;
const ACTOR = /^[\x21-\x7e]{1,256}$/;

function invalid(name: string, problem: string): never {
  throw badRequest(`Search parameter ${name}: ${problem}`, { code: 'ERR_FHIR_SEARCH_VALUE', details: [{ path: name, message: problem }] });
}

const encodeCursor = (seq: string): string => Buffer.from(JSON.stringify(['audit', seq]), 'utf8').toString('base64url');
function decodeCursor(text: string): string {
  try {
    const v = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && v[0] === 'audit' && typeof v[1] === 'string' && /^\d{1,18}$/.test(v[1])) return v[1];
  } catch { /* below */ }
  return invalid('_cursor', 'not a cursor of this server');
}

interface Parsed { query: AuditSearch; used: [string, string][] }

export function parseAuditSearch(params: URLSearchParams): Parsed {
  const query: AuditSearch = { limit: DEFAULT_COUNT };
  const used: [string, string][] = [];
  const seen = new Set<string>();
  for (const [name, value] of params) {
    if (!PARAMS.has(name)) throw badRequest(`Search parameter ${/^[A-Za-z_][A-Za-z0-9_-]{0,63}$/.test(name) ? name : '(name not shown)'} is not supported for AuditEvent`, { code: 'ERR_FHIR_SEARCH_PARAM' });
    if (name !== 'date' && seen.has(name)) invalid(name, 'may appear only once');
    seen.add(name);
    if (name === 'patient') {
      const id = value.startsWith('Patient/') ? value.slice('Patient/'.length) : value;
      if (!ID.test(id)) invalid('patient', 'must be a Patient id or Patient/id');
      query.patient = id;
    } else if (name === 'agent') {
      const id = value.startsWith('Practitioner/') ? value.slice('Practitioner/'.length) : value;
      if (!ACTOR.test(id)) invalid('agent', 'must be Practitioner/id or an actor as recorded');
      query.actor = id;
    } else if (name === 'date') {
      const d = parseDateParam(value);
      if (!d) invalid('date', 'must be a FHIR dateTime with an optional prefix eq, ge, gt, le or lt');
      const lo = new Date(d.lo);
      const hi = new Date(d.hi);
      // [lo, hi) per the value's precision, related by the prefix (search.html#date)
      const since = d.prefix === 'eq' || d.prefix === 'ge' ? lo : d.prefix === 'gt' ? hi : undefined;
      const until = d.prefix === 'eq' || d.prefix === 'lt' ? (d.prefix === 'eq' ? hi : lo) : d.prefix === 'le' ? hi : undefined;
      if (since && (!query.since || since > query.since)) query.since = since;
      if (until && (!query.until || until < query.until)) query.until = until;
    } else if (name === '_count') {
      if (!/^\d{1,6}$/.test(value)) invalid('_count', 'must be a non-negative integer');
      query.limit = Math.min(Math.max(Number(value), 1), MAX_COUNT);
    } else {
      query.beforeSeq = decodeCursor(value);
      continue; // the cursor is shown in the next link as we make it
    }
    used.push([name, value]);
  }
  return { query, used };
}

function url(base: string, params: readonly [string, string][]): string {
  const qs = new URLSearchParams(params as [string, string][]).toString();
  return qs ? `${base}/AuditEvent?${qs}` : `${base}/AuditEvent`;
}

const fhirJson = (body: unknown): Response => new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/fhir+json' } });

export function createAuditEventApp(deps: { sql: Sql; base: string }): Hono {
  const app = new Hono();
  app.get('/', async (c: Context) => {
    const { query, used } = parseAuditSearch(new URL(c.req.url).searchParams);
    // one row more than the page says whether a next page exists
    const rows = await searchAudit(deps.sql, { ...query, limit: query.limit + 1 });
    const page = rows.slice(0, query.limit);
    const { limit: _l, beforeSeq: _b, ...filters } = query;
    const total = await countAudit(deps.sql, filters);
    const link: BundleLink[] = [{ relation: 'self', url: url(deps.base, query.beforeSeq ? [...used, ['_cursor', encodeCursor(query.beforeSeq)]] : used) }];
    if (rows.length > query.limit) link.push({ relation: 'next', url: url(deps.base, [...used, ['_cursor', encodeCursor(page.at(-1)!.seq)]]) });
    const entry: BundleEntry[] = page.map((r) => ({ fullUrl: `${deps.base}/AuditEvent/${r.seq}`, resource: toAuditEvent(r), search: { mode: 'match' } }));
    const bundle: Bundle = { resourceType: 'Bundle', type: 'searchset', total, link, ...(entry.length ? { entry } : {}) };
    return fhirJson(bundle);
  });
  app.get('/:id', async (c: Context) => {
    const id = c.req.param('id') ?? '';
    if (!/^\d{1,18}$/.test(id)) throw notFound('AuditEvent is not known', { code: 'ERR_FHIR_NOT_FOUND' });
    const [row] = await searchAudit(deps.sql, { seq: id, limit: 1 });
    if (!row) throw notFound('AuditEvent is not known', { code: 'ERR_FHIR_NOT_FOUND' });
    return fhirJson(toAuditEvent(row));
  });
  return app;
}
