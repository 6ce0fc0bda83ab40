// The pieces every HL7 mapper returns, put together: Bundle, report, triage and routing facts.
import { urnSegment } from './bundle.js';
import type { Bundle, Coding, Identifier } from 'fhir/r4.js';
import { type Entry, toBundle } from './bundle.js';
import type { MapContext } from './context.js';
import { toFhirInstant } from './datetime.js';
import { MappingError } from './errors.js';
import type { MappingReport } from './report.js';
import type { Triage } from './triage.js';

/** Attributes the on-call routing rules match on. */
export interface RoutingFacts {
  messageType: string;
  event?: string;
  sendingFacility?: string;
  orderingProvider?: string;
  attendingProvider?: string;
  practice?: string;
  service?: string;
  category?: string;
  priority?: string;
  patientRef?: string;
}

export interface MappingResult {
  bundle: Bundle;
  report: MappingReport;
  /** null when no human needs to be told. */
  triage: Triage | null;
  routing: RoutingFacts;
}

/** Bundle.identifier: MSH-10 scoped by the sender (MSH-3 + MSH-4). */
export function messageIdentifier(ctx: MapContext): Identifier {
  return { system: `${ctx.config.systemBase}:hl7-control-id:${urnSegment(ctx.sender)}`, value: ctx.message.header.controlId };
}

export function assemble(ctx: MapContext, entries: readonly Entry[], triage: Triage | null, routing: RoutingFacts): MappingResult {
  requireDistinct(entries);
  const { type } = ctx.message.header;
  const tags: Coding[] = [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0076', code: type.code }];
  if (type.event) tags.push({ system: 'http://terminology.hl7.org/CodeSystem/v2-0003', code: type.event });
  const timestamp = toFhirInstant(ctx.message.header.dateTime, ctx.config.timeZone);
  ctx.report.mapped.unshift({ segment: 'MSH', index: 0, to: ['Bundle'] });
  const bundle = toBundle(entries, { tags, identifier: messageIdentifier(ctx), ...(timestamp ? { timestamp } : {}) });
  ctx.report.mapped.sort((a, b) => a.index - b.index);
  ctx.report.ignored.sort((a, b) => a.index - b.index);
  if (triage) Object.assign(routing, { category: triage.category, priority: triage.priority });
  return { bundle, report: ctx.report, triage, routing };
}

/** Drops undefined values so the routing facts serialise the same way every time. */
export function defined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

/**
 * Two resources of one message with the same identity (the same type and mapping key: e.g. two OBR
 * groups with the same placer/filler order number) would be two entries with one fullUrl, an invalid
 * transaction (FHIR R4 bdl-7) whose conditional requests overwrite each other. They cannot be told
 * apart, so the message fails with the reason rather than map to something wrong (found by fuzzing).
 */
function requireDistinct(entries: readonly Entry[]): void {
  const seen = new Set<string>();
  for (const e of entries) {
    if (seen.has(e.fullUrl)) {
      const what = e.resource.resourceType === 'ServiceRequest' || e.resource.resourceType === 'DiagnosticReport' || e.resource.resourceType === 'Specimen'
        ? ' (two order groups with the same placer/filler order number?)'
        : '';
      throw new MappingError('ERR_MAPPING_DUPLICATE_IDENTITY', `two ${e.resource.resourceType} resources in this message have the same identity${what}; they cannot be told apart`);
    }
    seen.add(e.fullUrl);
  }
}
