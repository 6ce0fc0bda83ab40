// Re-keying: which id a stored resource had under the legacy MurmurHash3 ids (legacy-ids.ts) and
// which it has now. A message mapped with both schemes gives two Bundles that differ in their ids
// only (the same entries, in the same order, with the same business identifiers), so walking them
// side by side pairs every old urn:uuid (fullUrl or synthetic identifier) with its new one.
import type { CallNote } from '../calls/index.js';
import type { Hl7Message } from '../hl7/index.js';
import type { MappingResult } from './assemble.js';
import { mapCallNoteWith } from './call-note.js';
import type { SiteConfig } from './config.js';
import { keyedIds } from './ids.js';
import { LEGACY_IDS } from './legacy-ids.js';
import { type MapOptions, mapWith } from './map-message.js';

const URN_UUID = /^urn:uuid:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/**
 * old UUID -> new UUID (lower-case, without `urn:uuid:`) for every id this message's Bundle holds:
 * its resources' fullUrls (the ids they were stored under) and synthetic identifiers. Throws what
 * mapHl7Message throws when the message does not map.
 */
export function hl7IdPairs(message: Hl7Message, config: SiteConfig, options: MapOptions): Map<string, string> {
  const keyed = keyedIds(options?.idKey);
  return pairs(mapWith(message, config, LEGACY_IDS), mapWith(message, config, keyed));
}

/** hl7IdPairs for a stored call note, mapped as the worker maps it (its inbox id and receipt time). */
export function callNoteIdPairs(note: CallNote, ctx: { id: string; receivedAt: string }, config: SiteConfig, options: MapOptions): Map<string, string> {
  const keyed = keyedIds(options?.idKey);
  return pairs(mapCallNoteWith(note, ctx, config, LEGACY_IDS), mapCallNoteWith(note, ctx, config, keyed));
}

function pairs(old: MappingResult, now: MappingResult): Map<string, string> {
  const out = new Map<string, string>();
  walk(old.bundle, now.bundle, out);
  return out;
}

/** Every string that is a urn:uuid in `old` at the place `now` has a different one. */
function walk(old: unknown, now: unknown, out: Map<string, string>): void {
  if (typeof old === 'string') {
    if (typeof now !== 'string' || old === now) return;
    const a = URN_UUID.exec(old);
    const b = URN_UUID.exec(now);
    if (a && b) out.set(a[1]!, b[1]!);
    return;
  }
  if (Array.isArray(old)) {
    if (!Array.isArray(now)) return;
    for (let i = 0; i < Math.min(old.length, now.length); i++) walk(old[i], now[i], out);
    return;
  }
  if (old !== null && typeof old === 'object' && now !== null && typeof now === 'object') {
    for (const [k, v] of Object.entries(old)) walk(v, (now as Record<string, unknown>)[k], out);
  }
}
