// What every mapper of one message shares: the config, the sender, and the report being written.
import type { Hl7Message } from '../hl7/index.js';
import type { SiteConfig } from './config.js';
import { toFhirDateTime } from './datetime.js';
import type { MappingReport } from './report.js';

export interface MapContext {
  readonly config: SiteConfig;
  readonly message: Hl7Message;
  /** MSH-4.1 (or MSH-4.2 when .1 is empty): scopes identifiers that name no authority. */
  readonly facility: string;
  /** Stable key of the sender: MSH-3 + MSH-4 (used in mapping keys). */
  readonly sender: string;
  readonly report: MappingReport;
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
  if (!ctx.report.warnings.includes(text)) ctx.report.warnings.push(text);
}
