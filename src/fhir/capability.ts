// GET /metadata (FHIR R4 capabilitystatement.html, http.html#capabilities): what this server does,
// generated from the same table the search parser uses (resource-types.ts).
import type { CapabilityStatement, CapabilityStatementRestResource } from 'fhir/r4.js';
import { SEARCH_PARAMS, SUPPORTED_TYPES, type SupportedType } from './resource-types.js';

function restResource(type: SupportedType): CapabilityStatementRestResource {
  return {
    type,
    interaction: [{ code: 'read' }, { code: 'search-type' }],
    versioning: 'versioned',
    readHistory: false,
    updateCreate: false,
    conditionalCreate: false,
    conditionalUpdate: false,
    conditionalDelete: 'not-supported',
    // definition (a canonical URL) is optional and differs per type (Observation uses clinical-patient,
    // Communication its own), so it is left out rather than guessed.
    searchParam: SEARCH_PARAMS[type].map((p) => ({
      name: p.name,
      type: p.type,
      documentation: p.documentation,
    })),
  };
}

export interface CapabilityOptions {
  /** the FHIR base URL (implementation.url) */
  baseUrl?: string;
  /** CapabilityStatement.date; the server's build/start time */
  date: Date;
  version?: string;
}

export function buildCapabilityStatement(opts: CapabilityOptions): CapabilityStatement {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: opts.date.toISOString(),
    kind: 'instance',
    software: { name: 'Switchboard', ...(opts.version ? { version: opts.version } : {}) },
    implementation: { description: 'Switchboard clinical messaging gateway', ...(opts.baseUrl ? { url: opts.baseUrl } : {}) },
    fhirVersion: '4.0.1',
    format: ['json'],
    rest: [
      {
        mode: 'server',
        security: {
          cors: false,
          service: [
            {
              coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }],
              text: 'SMART on FHIR',
            },
          ],
          description: 'Every request needs an OAuth 2.0 bearer token (a JWT, verified against configured issuers) with SMART v2 scopes, e.g. user/Communication.rs.',
        },
        resource: SUPPORTED_TYPES.map(restResource),
        interaction: [],
      },
    ],
  };
}
