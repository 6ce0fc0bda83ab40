// The FHIR R4 REST read API as a Hono sub-app, mounted under /fhir (FHIR R4 http.html): capabilities,
// read and search-type. Auth runs in front of it (the lead's middleware); nothing here depends on it.
import { Hono, type Context } from 'hono';
import { readResource, type Sql } from '../store/index.js';
import type { Logger } from '../obs/index.js';
import { FHIR_JSON, notFound, notSupported, badRequest } from '../outcome/index.js';
import { buildCapabilityStatement } from './capability.js';
import { FHIR_ID, isSupportedType, type SupportedType } from './resource-types.js';
import { parseSearch } from './search-parse.js';
import { searchType } from './search.js';
import { searchsetBundle } from './searchset.js';

export interface FhirAppDeps {
  sql: Sql;
  /** The public FHIR base URL (e.g. https://sb.example/fhir); derived from each request when absent. */
  baseUrl?: string;
  log?: Logger;
  /** CapabilityStatement.date; defaults to when the app was created */
  startedAt?: Date;
  version?: string;
}

export function fhirResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': FHIR_JSON, ...headers } });
}

function supportedType(type: string): SupportedType {
  if (isSupportedType(type)) return type;
  // echo the type only when it is a plausible resource name (no request text otherwise)
  throw notSupported(/^[A-Z][A-Za-z]{1,63}$/.test(type) ? `Resource type ${type} is not supported` : 'Resource type is not supported');
}

/** The FHIR base of this request: its URL minus the path this sub-app matched. */
function baseOf(c: Context, deps: FhirAppDeps, suffix: string): string {
  if (deps.baseUrl) return deps.baseUrl.replace(/\/+$/, '');
  const url = new URL(c.req.url);
  const path = url.pathname.endsWith(suffix) ? url.pathname.slice(0, -suffix.length) : url.pathname;
  return `${url.origin}${path}`;
}

/** RFC 7240 Prefer with FHIR R4 search.html#errors `handling=strict|lenient` (lenient is the default). */
export function prefersStrict(prefer: string | undefined): boolean {
  return prefer !== undefined && /(?:^|[\s,;])handling\s*=\s*"?strict"?(?:$|[\s,;])/i.test(prefer);
}

export function createFhirApp(deps: FhirAppDeps): Hono {
  const app = new Hono();
  const startedAt = deps.startedAt ?? new Date();

  app.get('/metadata', (c) => {
    const base = baseOf(c, deps, '/metadata');
    return fhirResponse(buildCapabilityStatement({ baseUrl: base, date: startedAt, ...(deps.version ? { version: deps.version } : {}) }));
  });

  app.get('/:type/:id', async (c) => {
    const type = supportedType(c.req.param('type'));
    const id = c.req.param('id');
    if (!FHIR_ID.test(id)) throw badRequest('Resource id is not a valid FHIR id');
    const found = await readResource(deps.sql, type, id);
    if (!found) throw notFound(`${type}/${id} is not known`);
    // http.html#read: ETag carries the version, Last-Modified meta.lastUpdated
    return fhirResponse(found.resource, 200, {
      etag: `W/"${found.versionId}"`,
      'last-modified': found.lastUpdated.toUTCString(),
    });
  });

  app.get('/:type', async (c) => {
    const type = supportedType(c.req.param('type'));
    const params = new URL(c.req.url).searchParams;
    const { query, used, ignored } = parseSearch(type, params, { strict: prefersStrict(c.req.header('prefer')) });
    const result = await searchType(deps.sql, type, query);
    const cursor = params.get('_cursor') ?? undefined;
    return fhirResponse(searchsetBundle({ base: baseOf(c, deps, `/${type}`), type, result, used, ignored, ...(cursor ? { cursor } : {}) }));
  });

  return app;
}
