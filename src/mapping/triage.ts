// Triage: pure rules from the site config -> priority, category, and whether to
// wake the on-call provider now or hold until morning. Defaults are in config.ts and the README.
import type { Coding, Quantity } from 'fhir/r4.js';
import type { CallNote } from '../calls/index.js';
import { configEntry, PRIORITIES, type Priority, type SiteConfig } from './config.js';

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

type Threshold = SiteConfig['triage']['thresholds'][number];

/**
 * The site's thresholds by code system and code, per config object (a SiteConfig is validated once
 * and never changed), so a result looks up its codings instead of testing every threshold.
 */
const thresholdIndex = new WeakMap<SiteConfig, ReadonlyMap<string, ReadonlyMap<string, readonly Threshold[]>>>();

function thresholdsByCode(config: SiteConfig): ReadonlyMap<string, ReadonlyMap<string, readonly Threshold[]>> {
  let index = thresholdIndex.get(config);
  if (!index) {
    const bySystem = new Map<string, Map<string, Threshold[]>>();
    for (const t of config.triage.thresholds) {
      const byCode = bySystem.get(t.system) ?? bySystem.set(t.system, new Map()).get(t.system)!;
      byCode.set(t.code, [...(byCode.get(t.code) ?? []), t]);
    }
    thresholdIndex.set(config, (index = bySystem));
  }
  return index;
}

/** The thresholds whose system and code one of the result's codings has, in config order, each once. */
function thresholdsFor(config: SiteConfig, codings: readonly Coding[]): readonly Threshold[] {
  const index = thresholdsByCode(config);
  let found: Threshold[] | undefined;
  for (const c of codings) {
    const hit = c.system === undefined || c.code === undefined ? undefined : index.get(c.system)?.get(c.code);
    if (hit) found = found ? [...found, ...hit] : [...hit];
  }
  if (!found) return [];
  return found.length === 1 ? found : config.triage.thresholds.filter((t) => found.includes(t));
}

/** A result: OBX-8 flags by the flag table, then per-code thresholds on the numeric value. */
export function triageResult(config: SiteConfig, result: { codings: readonly Coding[]; flags: readonly string[]; quantity?: Quantity; label: string }): TriageHit[] {
  const hits: TriageHit[] = [];
  for (const flag of result.flags) {
    const rule = configEntry(config.triage.flags, flag);
    // no `{ ...rule, reason }`: V8 makes a spread-first literal that grows ~40x slower (CPU profile)
    if (rule) hits.push({ priority: rule.priority, category: rule.category, reason: `OBX-8 flag ${flag} on ${result.label}` });
  }
  const q = result.quantity;
  if (q?.value === undefined) return hits;
  for (const t of thresholdsFor(config, result.codings)) {
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
  const rule = configEntry(config.triage.adtEvents, event);
  return rule ? [{ priority: rule.priority, category: rule.category, reason: `ADT event ${event}` }] : [];
}

/** A call note always needs a human: the operator's urgency, raised by the caller type's minimum. */
export function triageCall(config: SiteConfig, note: Pick<CallNote, 'urgency' | 'caller'>): TriageHit[] {
  const hits: TriageHit[] = [{ priority: note.urgency, category: 'call-note', reason: `operator urgency ${note.urgency}` }];
  const min = configEntry(config.triage.callerMinimum, note.caller.type);
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
