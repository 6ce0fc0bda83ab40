// What every mapper of one message shares: the config, the sender, and the report being written.
import type { Hl7Message, Segment } from '../hl7/index.js';
import type { SiteConfig } from './config.js';
import type { IdMinter } from './ids.js';
import { toFhirDateTime } from './datetime.js';
import type { MappingReport } from './report.js';

export interface MapContext {
  readonly config: SiteConfig;
  readonly message: Hl7Message;
  /** How this message's resource ids are made: the installation's keyed hash (ids.ts). */
  readonly ids: IdMinter;
  /** MSH-4.1 (or MSH-4.2 when .1 is empty): scopes identifiers that name no authority. */
  readonly facility: string;
  /** Stable key of the sender: MSH-3 + MSH-4 (used in mapping keys). */
  readonly sender: string;
  readonly report: MappingReport;
  /** Each segment's position in the message: read in O(1) (a segments.indexOf per order or NK1 was quadratic). */
  readonly segmentIndex: ReadonlyMap<Segment, number>;
  /** The warnings already in the report, so each is written once without searching the list. */
  readonly warned: Set<string>;
  /** `index:field` of the fields already reported as truncated. */
  readonly truncatedFields: Set<string>;
  /** toFhirDateTime results of this message by raw value: OBX-14 is mostly the same on every OBX. */
  readonly dateTimes: Map<string, string | undefined>;
}

/** toFhirDateTime(raw, site zone), computed once per distinct value in a message. */
export function fhirDateTime(ctx: MapContext, raw: string): string | undefined {
  const hit = ctx.dateTimes.get(raw);
  if (hit !== undefined || ctx.dateTimes.has(raw)) return hit;
  const v = toFhirDateTime(raw, ctx.config.timeZone);
  ctx.dateTimes.set(raw, v);
  return v;
}

export function warn(ctx: MapContext, text: string): void {
  if (ctx.warned.has(text)) return;
  ctx.warned.add(text);
  ctx.report.warnings.push(text);
}

/** The position of a segment of this message (0 = MSH). */
export function indexOf(ctx: MapContext, seg: Segment): number {
  return ctx.segmentIndex.get(seg) ?? -1;
}

/**
 * The last line of a text cut at MAX_TEXT_LINES, so a reader of the FHIR text knows it is incomplete
 * (the report says so too, but is not shown where the text is read).
 */
export function truncatedLine(kept: number, total: number): string {
  return `[${total - kept} more lines not mapped: the message has ${total}; the gateway's inbox keeps it whole]`;
}

/**
 * How many repetitions of field n of seg to map: all of them, or `max` (limits.ts) with the field
 * listed in the report's `truncated` (once per field) and a warning naming it.
 */
export function boundedRepetitions(ctx: MapContext, seg: Segment, n: number, max: number): number {
  const total = seg.repetitionCount(n);
  if (total <= max) return total;
  const index = indexOf(ctx, seg);
  const at = `${index}:${n}`;
  if (!ctx.truncatedFields.has(at)) {
    ctx.truncatedFields.add(at);
    ctx.report.truncated.push({ segment: seg.name, index, field: n, kept: max, total });
    warn(ctx, `${seg.name}[${index}]: ${seg.name}-${n} has ${total} repetitions; the first ${max} are mapped`);
  }
  return max;
}
