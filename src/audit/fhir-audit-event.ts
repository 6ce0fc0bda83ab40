// An audit row as a FHIR R4 AuditEvent (auditevent.html), pure: type from the DICOM audit codes
// (DCM) or the FHIR audit-event-type `rest`, subtype from restful-interaction plus the gateway's own
// event code; action, recorded, outcome; agent.who the actor; source.observer this gateway;
// entity.what the resources touched and the patient (object role 1, Patient). The chain fields
// (seq, prev_hash, hash) ride as extensions so an exported trail can be re-verified.
import type { AuditEvent, AuditEventAgent, AuditEventEntity, Coding } from 'fhir/r4.js';
import type { AuditRecord } from './hash.js';

const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const AUDIT_EVENT_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-event-type';
const RESTFUL_INTERACTION = 'http://hl7.org/fhir/restful-interaction';
/** The gateway's own event codes (phi.read, delivery.acknowledged, ...): README "Audit trail". */
export const SWITCHBOARD_AUDIT_CODES = 'urn:switchboard:audit-event';
export const AUDIT_EXTENSION = 'urn:switchboard:audit-chain';

/** FHIR resource types the gateway serves or writes: their entity ids are references. */
const FHIR_TYPES = new Set(['Patient', 'Encounter', 'Observation', 'DiagnosticReport', 'CommunicationRequest', 'Communication', 'Practitioner', 'PractitionerRole', 'Schedule', 'Slot', 'AuditEvent']);

function typeCoding(r: AuditRecord): Coding {
  if (r.type.startsWith('http.') || r.type.startsWith('phi.')) return { system: AUDIT_EVENT_TYPE, code: 'rest', display: 'RESTful Operation' };
  if (r.type === 'message.received') return { system: DCM, code: '110107', display: 'Import' };
  if (r.type === 'delivery.notified' || r.type === 'delivery.delivered') return { system: DCM, code: '110106', display: 'Export' };
  // sign-ins, refusals, sign-outs and credential changes (src/auth's sign-in-audit.ts, the `users` CLI)
  if (r.type.startsWith('auth.') || r.type.startsWith('local-account.')) return { system: DCM, code: '110114', display: 'User Authentication' };
  if (r.type.startsWith('token.')) return { system: DCM, code: '110113', display: 'Security Alert' };
  if (r.type.startsWith('schedule.') || r.type.startsWith('retention.')) return { system: DCM, code: '110100', display: 'Application Activity' };
  return { system: DCM, code: '110110', display: 'Patient Record' };
}

function restSubtype(r: AuditRecord): Coding | undefined {
  if (!r.type.startsWith('http.') && !r.type.startsWith('phi.')) return undefined;
  const code = r.type === 'phi.search' ? 'search-type' : r.action === 'R' ? 'read' : r.action === 'C' ? 'create' : r.action === 'U' ? 'update' : r.action === 'D' ? 'delete' : 'operation';
  return { system: RESTFUL_INTERACTION, code };
}

/** audit-event-outcome: 0 success, 4 minor failure (refused: 4xx), 8 serious failure (5xx, errors). */
function outcomeCode(r: AuditRecord): '0' | '4' | '8' {
  if (r.outcome === 'success') return '0';
  // a refused sign-in is a refusal, not an error
  if (r.type === 'auth.sign-in-refused') return '4';
  return /^4\d\d$/.test(r.outcomeCode ?? '') ? '4' : '8';
}

function agent(r: AuditRecord): AuditEventAgent {
  const who = r.actorKind === 'practitioner'
    ? { reference: `Practitioner/${r.actor}` }
    : { identifier: { system: `urn:switchboard:actor:${r.actorKind}`, value: r.actor } };
  return {
    who, requestor: true,
    ...(r.source ? { network: { address: r.source, type: '2' as const } } : {}), // 2 = IP address
  };
}

function entities(r: AuditRecord): AuditEventEntity[] {
  const out: AuditEventEntity[] = [];
  if (r.patient) {
    out.push({
      what: { reference: `Patient/${r.patient}` },
      type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '1', display: 'Person' },
      role: { system: 'http://terminology.hl7.org/CodeSystem/object-role', code: '1', display: 'Patient' },
    });
  }
  for (const id of r.entityIds) {
    // an id of the row's type, or a `Type/id` of another (a delivery event names its Communication)
    const slash = id.indexOf('/');
    const reference = slash > 0 && FHIR_TYPES.has(id.slice(0, slash)) ? id : r.entityType && FHIR_TYPES.has(r.entityType) && slash < 0 ? `${r.entityType}/${id}` : undefined;
    if (reference === `Patient/${r.patient ?? ''}`) continue;
    const ref = reference !== undefined;
    out.push({
      what: reference ? { reference } : { identifier: { system: `urn:switchboard:${r.entityType ?? 'entity'}`, value: id } },
      type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: ref ? '2' : '4', display: ref ? 'System Object' : 'Other' },
    });
  }
  return out;
}

export function toAuditEvent(r: AuditRecord): AuditEvent {
  const sub = restSubtype(r);
  const entity = entities(r);
  return {
    resourceType: 'AuditEvent',
    id: r.seq,
    extension: [{
      url: AUDIT_EXTENSION,
      extension: [
        { url: 'seq', valueString: r.seq },
        { url: 'mac', valueString: r.mac },
        { url: 'prevHash', valueString: r.prevHash },
        { url: 'hash', valueString: r.hash },
        ...(r.requestId ? [{ url: 'requestId', valueString: r.requestId }] : []),
      ],
    }],
    type: typeCoding(r),
    subtype: [...(sub ? [sub] : []), { system: SWITCHBOARD_AUDIT_CODES, code: r.type }],
    action: r.action as AuditEvent['action'],
    recorded: r.at.toISOString(),
    outcome: outcomeCode(r),
    ...(r.outcomeCode ? { outcomeDesc: r.outcomeCode } : {}),
    agent: [agent(r)],
    source: {
      observer: { display: 'Switchboard' },
      type: [{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '4', display: 'Application Server' }],
    },
    ...(entity.length ? { entity } : {}),
  };
}
