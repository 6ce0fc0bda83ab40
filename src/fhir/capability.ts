// GET /metadata (FHIR R4 capabilitystatement.html, http.html#capabilities): what this server does,
// generated from the same table the search parser and the extractor use (search-params.ts), so what
// is advertised is what is parsed and stored.
import type { CapabilityStatement, CapabilityStatementRestResource } from 'fhir/r4.js';
import { SUPPORTED_TYPES, type SupportedType } from './resource-types.js';
import { SEARCH_PARAMS } from './search-params.js';

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
    searchParam: SEARCH_PARAMS[type].map((p) => ({
      name: p.name,
      ...(p.definition ? { definition: p.definition } : {}),
      type: p.type,
      documentation: p.documentation,
    })),
  };
}

/** The audit trail (src/fhir/audit-event.ts): read and search, newest first; system/AuditEvent.rs or admin. */
const AUDIT_EVENT_RESOURCE: CapabilityStatementRestResource = {
  type: 'AuditEvent',
  documentation: 'The hash-chained audit trail (README "Audit trail"), newest first. Needs system/AuditEvent.r/.s or admin.',
  interaction: [{ code: 'read' }, { code: 'search-type' }],
  versioning: 'no-version',
  readHistory: false,
  updateCreate: false,
  conditionalCreate: false,
  conditionalUpdate: false,
  conditionalDelete: 'not-supported',
  searchParam: [
    { name: 'patient', definition: 'http://hl7.org/fhir/SearchParameter/AuditEvent-patient', type: 'reference', documentation: 'The patient the event is about (Patient/id or id)' },
    { name: 'agent', definition: 'http://hl7.org/fhir/SearchParameter/AuditEvent-agent', type: 'reference', documentation: 'Who acted: Practitioner/id, or the actor as recorded (issuer|subject)' },
    { name: 'date', definition: 'http://hl7.org/fhir/SearchParameter/AuditEvent-date', type: 'date', documentation: 'When the event was recorded (prefixes eq, ge, gt, le, lt)' },
  ],
};

export interface CapabilityOptions {
  /** the FHIR base URL (implementation.url), from configuration */
  baseUrl: string;
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
    implementation: { description: 'Switchboard clinical messaging gateway', url: opts.baseUrl },
    fhirVersion: '4.0.1',
    format: ['json'],
    rest: [
      {
        mode: 'server',
        documentation:
          'Search is strict by default (search.html#errors): an unknown parameter or modifier is a 400 OperationOutcome; ' +
          'send Prefer: handling=lenient to have it ignored and reported instead. Paging: _count (default 20, at most 200), ' +
          '_sort=_lastUpdated|-_lastUpdated, _summary=count, and the next link.',
        security: {
          cors: false,
          service: [
            {
              coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }],
              text: 'SMART on FHIR',
            },
          ],
          description:
            'Every request but this one needs an OAuth 2.0 bearer token: a JWT from a configured issuer (this server issues ' +
            'none and has no token endpoint), with SMART v2 scopes. system/<type>.r reads, system/<type>.s searches; ' +
            'patient/ scopes see only the token\'s launch patient (its patient claim); user/ scopes are not supported yet and grant nothing.',
        },
        resource: [...SUPPORTED_TYPES.map(restResource), AUDIT_EVENT_RESOURCE],
        interaction: [],
      },
    ],
  };
}
