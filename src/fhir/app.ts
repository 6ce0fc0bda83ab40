// The FHIR R4 REST read API as a Hono sub-app, mounted under /fhir (FHIR R4 http.html): capabilities,
// read and search-type. src/http authenticates and checks scopes before a request gets here; when a
// token may only see one patient's data (a SMART `patient/` scope) it says so in the `patientCompartment`
// variable, and every read and search here is limited to that patient.
import { Hono, type Context } from 'hono';
import type { Resource } from 'fhir/r4.js';
import { readResource, type Sql } from '../store/index.js';
import { FHIR_JSON, notFound, notSupported, badRequest } from '../outcome/index.js';
import { buildCapabilityStatement } from './capability.js';
import { encodeCursor } from './cursor.js';
import { FHIR_ID, isSupportedType, type SupportedType } from './resource-types.js';
import { extractSearchColumns, refKey } from './search-columns.js';
import { parseSearch, type Filter } from './search-parse.js';
import { searchType } from './search.js';
import { searchsetBundle } from './searchset.js';
import { createAuditEventApp } from './audit-event.js';

/** The variables src/http sets for this sub-app. */
export type FhirEnv = { Variables: { patientCompartment?: string; organization?: string; noRows?: true; patientsOf?: string } };

export interface FhirAppDeps {
  sql: Sql;
  /** The public FHIR base URL (e.g. https://sb.example/fhir), from configuration: never from a request's Host. */
  baseUrl: string;
  /** CapabilityStatement.date; defaults to when the app was created */
  startedAt?: Date;
  /**
   * The patients a provider's reads are limited to (the patients of the messages they see, src/delivery).
   * Without it a provider reads nothing: src/http sets `patientsOf` for providers, and they see no row.
   */
  patientsOf?: (practitioner: string) => Promise<string[]>;
  version?: string;
}

export function fhirResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': FHIR_JSON, ...headers } });
}

function supportedType(type: string): SupportedType {
  if (isSupportedType(type)) return type;
  // the type is request text: not shown back
  throw notSupported('Resource type is not supported', { code: 'ERR_FHIR_TYPE_NOT_SUPPORTED' });
}

/** RFC 7240 Prefer with FHIR R4 search.html#errors `handling=strict|lenient` (strict is our default). */
export function prefersLenient(prefer: string | undefined): boolean {
  return prefer !== undefined && /(?:^|[\s,;])handling\s*=\s*"?lenient"?(?:$|[\s,;])/i.test(prefer);
}

/** A resource of the patient's compartment: the Patient itself, or one whose `patient` parameter is it. */
function inCompartment(type: SupportedType, resource: Resource, patient: string): boolean {
  if (type === 'Patient') return resource.id === patient;
  return extractSearchColumns(resource).tokens.includes(refKey('patient', { type: 'Patient', id: patient }));
}

function compartmentFilter(type: SupportedType, patient: string | readonly string[]): Filter {
  const patients = typeof patient === 'string' ? [patient] : [...patient];
  // an empty list matches nothing (id = ANY('{}'), tokens && '{}')
  return type === 'Patient' ? { kind: 'id', ids: patients } : { kind: 'tokens', keys: patients.map((id) => refKey('patient', { type: 'Patient', id })) };
}

export function createFhirApp(deps: FhirAppDeps): Hono<FhirEnv> {
  const app = new Hono<FhirEnv>();
  const startedAt = deps.startedAt ?? new Date();
  const base = deps.baseUrl.replace(/\/+$/, '');
  const capability = buildCapabilityStatement({ baseUrl: base, date: startedAt, ...(deps.version ? { version: deps.version } : {}) });

  /** A provider's patients, when the reader is a provider (none known without `patientsOf`: fail closed). */
  const providerPatients = async (c: Context<FhirEnv>): Promise<string[] | undefined> => {
    const who = c.get('patientsOf');
    if (who === undefined) return undefined;
    return deps.patientsOf ? deps.patientsOf(who) : [];
  };

  app.get('/metadata', () => fhirResponse(capability));
  // the audit trail (src/audit), before the stored types' routes
  app.route('/AuditEvent', createAuditEventApp({ sql: deps.sql, base }));

  app.get('/:type/:id', async (c: Context<FhirEnv>) => {
    const type = supportedType(c.req.param('type') ?? '');
    const id = c.req.param('id') ?? '';
    if (!FHIR_ID.test(id)) throw badRequest('Resource id is not a valid FHIR id', { code: 'ERR_FHIR_ID' });
    // a reader limited to one organisation reads its messages' resources only (src/auth/policy.ts)
    const found = c.get('noRows') ? undefined : await readResource(deps.sql, type, id, c.get('organization'));
    const patient = c.get('patientCompartment');
    const providers = await providerPatients(c);
    // outside the token's patient (or the provider's patients) reads as unknown: a 403 would say that the resource exists
    if (!found || (patient !== undefined && !inCompartment(type, found.resource, patient))
      || (providers !== undefined && !providers.some((p) => inCompartment(type, found.resource, p)))) throw notFound(`${type} is not known`, { code: 'ERR_FHIR_NOT_FOUND' });
    // http.html#read: ETag carries the version, Last-Modified meta.lastUpdated
    return fhirResponse(found.resource, 200, {
      etag: `W/"${found.versionId}"`,
      'last-modified': found.lastUpdated.toUTCString(),
    });
  });

  app.get('/:type', async (c: Context<FhirEnv>) => {
    const type = supportedType(c.req.param('type') ?? '');
    const params = new URL(c.req.url).searchParams;
    const { query, used, ignored } = parseSearch(type, params, { lenient: prefersLenient(c.req.header('prefer')) });
    const patient = c.get('patientCompartment');
    if (patient !== undefined) query.filters.push(compartmentFilter(type, patient));
    const providers = await providerPatients(c);
    if (providers !== undefined) query.filters.push(compartmentFilter(type, providers));
    // no row of the type for this reader: a filter that matches nothing keeps the Bundle's shape
    if (c.get('noRows')) query.filters.push({ kind: 'id', ids: [] });
    const result = await searchType(deps.sql, type, query, c.get('organization'));
    // the self link carries the cursor as we encode it, never the request's text (decoding skips junk)
    return fhirResponse(searchsetBundle({ base, type, result, used, ignored, ...(query.cursor ? { cursor: encodeCursor(query.cursor) } : {}) }));
  });

  return app;
}
