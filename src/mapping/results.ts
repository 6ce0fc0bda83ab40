// Shared by ORU and ADT: the OBX results of one scope -> Observations, and the flagged ones -> the
// triage hits and a short, PHI-free notification text.
import type { Reference } from 'fhir/r4.js';
import type { Entry } from './bundle.js';
import type { MapContext } from './context.js';
import { type MappedObservation, mapObservation, type ObservationScope } from './observation.js';
import { quantityText } from './observation-value.js';
import { readObx } from './obx-fields.js';
import { type TriageHit, triageResult } from './triage.js';
import type { ResultSegment } from './walk.js';
import { table } from '../text/index.js';

export interface FlaggedResult { obs: MappedObservation; hits: TriageHit[] }

export function mapResults(ctx: MapContext, results: readonly ResultSegment[], scope: ObservationScope): { observations: MappedObservation[]; flagged: FlaggedResult[] } {
  const seen = new Map<string, number>();
  const observations: MappedObservation[] = [];
  const flagged: FlaggedResult[] = [];
  const keyHead = ctx.ids.prefix([...scope.key, 'OBX']);
  for (const r of results) {
    // a repeated OBX-3/OBX-4 pair in one order gets its occurrence number in its key
    const fields = readObx(r.obx);
    const occurrence = seen.get(fields.pair) ?? 0;
    seen.set(fields.pair, occurrence + 1);
    const obs = mapObservation(ctx, fields, r.index, occurrence, scope, keyHead, r.notes);
    observations.push(obs);
    ctx.report.mapped.push({ segment: 'OBX', index: r.index, to: obs.document ? ['Observation', 'DocumentReference'] : ['Observation'] });
    const codings = obs.entry.resource.code.coding ?? [];
    const hits = triageResult(ctx.config, { codings, flags: obs.flags, label: obs.label, quantity: obs.quantity });
    if (hits.length) flagged.push({ obs, hits });
  }
  return { observations, flagged };
}

export function observationEntries(observations: readonly MappedObservation[]): Entry[] {
  const out: Entry[] = [];
  for (const o of observations) {
    if (o.document) out.push(o.document);
    out.push(o.entry);
  }
  return out;
}

const TITLES: Readonly<Record<string, string>> = table({
  'critical-result': 'Critical result', 'abnormal-result': 'Abnormal result',
});

/** "Critical result: Potassium 6.8 mmol/L (HH)": the label, value and flags only, at most 3 results. */
export function resultText(category: string, flagged: readonly FlaggedResult[]): string {
  const items = flagged.slice(0, 3).map(({ obs, hits }) => {
    const name = hits.find((h) => h.label)?.label ?? obs.label;
    const label = name.length > 40 ? `${name.slice(0, 37)}...` : name;
    const flags = obs.flags.length ? ` (${obs.flags.join(',')})` : '';
    return `${label} ${obs.display ?? (obs.quantity ? quantityText(obs.quantity) : '')}${flags}`;
  });
  const more = flagged.length > 3 ? `; and ${flagged.length - 3} more` : '';
  return `${TITLES[category] ?? 'Result'}: ${items.join('; ')}${more}`;
}

export const refTo = (e: Entry): Reference => ({ reference: e.fullUrl });
