// Routing a mapped message: its routing facts -> the on-call decision (src/routing, through the
// schedule service) -> the recipient written into the message's CommunicationRequests, and the
// decision with its explanation kept for the inbox row. Pure but for the service call.
import type { Bundle, CommunicationRequest, Reference } from 'fhir/r4.js';
import type { MappingResult } from '../mapping/index.js';
import type { MessageAttributes, RouteDecision } from '../routing/index.js';
import { toFhirId, toRoutingRecord, type RoutingRecord } from '../oncall/index.js';

/** The mapping's routing facts as the routing rules read them. */
export function routingAttributes(r: MappingResult): MessageAttributes {
  const f = r.routing;
  return {
    messageType: f.messageType, triggerEvent: f.event, sendingFacility: f.sendingFacility,
    orderingProvider: f.orderingProvider, attendingProvider: f.attendingProvider,
    practice: f.practice, service: f.service, category: f.category, priority: f.priority,
  };
}

const isCommunicationRequest = (r: unknown): r is CommunicationRequest => (r as { resourceType?: string } | undefined)?.resourceType === 'CommunicationRequest';

/** Who gets it first: the provider sent to directly, else the role's primary; null in a coverage gap. */
export function firstRecipient(d: RouteDecision): Reference | null {
  const who = d.recipient.kind === 'provider' ? d.recipient.practitioner : d.oncall.primary?.practitioner;
  return who ? { reference: `Practitioner/${toFhirId(who.id)}`, display: who.name } : null;
}

/**
 * Writes the recipient into every CommunicationRequest of the Bundle (a copy; the mapping result is
 * not changed). With nobody covering, the request keeps no recipient: the routing record says why
 * and escalation (delivery) takes the chain from there.
 */
export function withRecipient(bundle: Bundle, recipient: Reference | null): Bundle {
  if (!recipient) return bundle;
  return {
    ...bundle,
    entry: (bundle.entry ?? []).map((e) => (isCommunicationRequest(e.resource) ? { ...e, resource: { ...e.resource, recipient: [recipient] } } : e)),
  };
}

export function applyDecision(result: MappingResult, decision: RouteDecision & { scheduleVersion: number }): { bundle: Bundle; record: RoutingRecord } {
  return { bundle: withRecipient(result.bundle, firstRecipient(decision)), record: toRoutingRecord(decision, decision.scheduleVersion) };
}
