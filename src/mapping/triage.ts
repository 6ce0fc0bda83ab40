// Triage (issue 3, item 5): pure rules from the site config -> priority, category, and whether to
// wake the on-call provider now or hold until morning. Defaults are in config.ts and the README.
import type { Coding, Quantity } from 'fhir/r4.js';
import type { CallNote } from '../calls/index.js';
import { PRIORITIES, type Priority, type SiteConfig } from './config.js';

export interface Triage {
  priority: Priority;
  wakeNow: boolean;
  reasons: string[];
  category: string;
}

/** One rule that fired. */
export interface TriageHit {
  priority: Priority;
  category: string;
  reason: string;
  /** The site's short label of the result (threshold rules), for the notification text. */
  label?: string;
}

export const rank = (p: Priority): number => PRIORITIES.indexOf(p);

/** A result: OBX-8 flags by the flag table, then per-code thresholds on the numeric value. */
export function triageResult(config: SiteConfig, result: { codings: readonly Coding[]; flags: readonly string[]; quantity?: Quantity; label: string }): TriageHit[] {
  const hits: TriageHit[] = [];
  for (const flag of result.flags) {
    const rule = config.triage.flags[flag];
    if (rule) hits.push({ ...rule, reason: `OBX-8 flag ${flag} on ${result.label}` });
  }
  const q = result.quantity;
  if (q?.value === undefined) return hits;
  for (const t of config.triage.thresholds) {
    if (!result.codings.some((c) => c.system === t.system && c.code === t.code)) continue;
    if (q.code !== t.unit) continue; // a limit in another unit is never compared
    const v = q.value;
    const cmp = q.comparator;
    const over = t.above !== undefined && (v > t.above || (v === t.above && (cmp === '>' || cmp === '>='))) && cmp !== '<' && cmp !== '<=';
    const under = t.below !== undefined && (v < t.below || (v === t.below && (cmp === '<' || cmp === '<='))) && cmp !== '>' && cmp !== '>=';
    if (over) hits.push({ priority: t.priority, category: t.category, ...(t.label ? { label: t.label } : {}), reason: `${t.label ?? t.code} ${cmp ?? ''}${v} ${t.unit} above ${t.above}` });
    if (under) hits.push({ priority: t.priority, category: t.category, ...(t.label ? { label: t.label } : {}), reason: `${t.label ?? t.code} ${cmp ?? ''}${v} ${t.unit} below ${t.below}` });
  }
  return hits;
}

/** An ADT event notifies when the site lists it. */
export function triageAdt(config: SiteConfig, event: string): TriageHit[] {
  const rule = config.triage.adtEvents[event];
  return rule ? [{ ...rule, reason: `ADT event ${event}` }] : [];
}

/** A call note always needs a human: the operator's urgency, raised by the caller type's minimum. */
export function triageCall(config: SiteConfig, note: Pick<CallNote, 'urgency' | 'caller'>): TriageHit[] {
  const hits: TriageHit[] = [{ priority: note.urgency, category: 'call-note', reason: `operator urgency ${note.urgency}` }];
  const min = config.triage.callerMinimum[note.caller.type];
  if (min && rank(min) > rank(note.urgency)) hits.push({ priority: min, category: 'call-note', reason: `caller type ${note.caller.type} is at least ${min}` });
  return hits;
}

/** The hits of one event -> its triage; null when nothing fired. */
export function combine(config: SiteConfig, hits: readonly TriageHit[]): Triage | null {
  if (hits.length === 0) return null;
  let top = hits[0]!;
  for (const h of hits) if (rank(h.priority) > rank(top.priority)) top = h;
  return { priority: top.priority, wakeNow: config.triage.wakePriorities.includes(top.priority), reasons: hits.map((h) => h.reason), category: top.category };
}
