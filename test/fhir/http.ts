// In-process requests to the FHIR sub-app, mounted under /fhir as src/http mounts it.
import { Hono } from 'hono';
import type { Bundle, OperationOutcome, Resource } from 'fhir/r4.js';
import { expect } from 'vitest';
import type { Sql } from '../../src/store/db.js';
import { createFhirApp } from '../../src/fhir/index.js';
import { onError } from '../../src/http/error-response.js';

export const BASE = 'http://localhost/fhir';

export function mountFhir(sql: Sql): Hono {
  const root = new Hono();
  root.onError(onError);
  root.route('/fhir', createFhirApp({ sql, baseUrl: BASE, startedAt: new Date('2024-01-01T00:00:00Z') }));
  return root;
}

export interface FhirReply<T> {
  status: number;
  headers: Headers;
  body: T;
}

export async function get<T = Resource>(app: Hono, path: string, headers: Record<string, string> = {}): Promise<FhirReply<T>> {
  const res = await app.request(path.startsWith('http') ? path : `${BASE}${path}`, { headers });
  expect(res.headers.get('content-type')).toBe('application/fhir+json; charset=utf-8');
  return { status: res.status, headers: res.headers, body: (await res.json()) as T };
}

export const ids = (b: Bundle): string[] =>
  (b.entry ?? []).filter((e) => e.search?.mode === 'match').map((e) => e.resource?.id ?? '');

export const nextLink = (b: Bundle): string | undefined => b.link?.find((l) => l.relation === 'next')?.url;

export const outcomeEntry = (b: Bundle): OperationOutcome | undefined =>
  b.entry?.find((e) => e.search?.mode === 'outcome')?.resource as OperationOutcome | undefined;
