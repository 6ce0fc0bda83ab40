// mapHl7Message: the one entry point for HL7 v2. Pure: parsed message, site config and the
// installation's id key in, FHIR out.
// Throws only MappingError: an unsupported message says why; any other failure inside a mapper is
// wrapped as ERR_MAPPING_INTERNAL with a PHI-free reason, so the worker can mark the row `failed`.
import { checkSupported, type Hl7Message, isHl7Error, type Segment } from '../hl7/index.js';
import { mapAdt } from './adt.js';
import type { MappingResult } from './assemble.js';
import type { SiteConfig } from './config.js';
import { type MapContext, warn } from './context.js';
import { val } from './datatypes.js';
import { MappingError } from './errors.js';
import { type IdMinter, keyedIds } from './ids.js';
import { MAX_SEGMENTS } from './limits.js';
import { mapOru } from './oru.js';
import { emptyReport } from './report.js';

/** What mapping needs beside the message and the site config. */
export interface MapOptions {
  /**
   * The installation's secret for resource ids (at least 16 bytes): HMAC-SHA-256 key of every id
   * (ids.ts). The same for every replica of an installation (src/store/id-key.ts).
   */
  idKey: Uint8Array;
}

export function mapHl7Message(message: Hl7Message, config: SiteConfig, options: MapOptions): MappingResult {
  return mapWith(message, config, keyedIds(options?.idKey));
}

/** mapHl7Message with the ids of the given minter (keyed, or the legacy scheme when re-keying). */
export function mapWith(message: Hl7Message, config: SiteConfig, ids: IdMinter): MappingResult {
  try {
    checkSupported(message);
  } catch (e) {
    if (isHl7Error(e)) throw new MappingError('ERR_MAPPING_UNSUPPORTED', e.message);
    throw internal(e);
  }
  if (message.segments.length > MAX_SEGMENTS) {
    throw new MappingError('ERR_MAPPING_TOO_LARGE', `message has ${message.segments.length} segments; at most ${MAX_SEGMENTS} are mapped (the inbox keeps it whole)`);
  }
  try {
    const ctx = contextFor(message, config, ids);
    for (const r of message.repairs) warn(ctx, `${r.at}: ${r.text}`);
    return message.header.type.code === 'ORU' ? mapOru(ctx) : mapAdt(ctx);
  } catch (e) {
    if (e instanceof MappingError) throw e;
    throw internal(e);
  }
}

function contextFor(message: Hl7Message, config: SiteConfig, ids: IdMinter): MapContext {
  const msh = message.msh;
  // as val() reads values: blank or "" is absent (a blank MSH-4.1 once became a blank display, found by fuzzing)
  const facility = val(msh, 4, 1) ?? val(msh, 4, 2) ?? '';
  const segmentIndex = new Map<Segment, number>();
  for (let i = 0; i < message.segments.length; i++) segmentIndex.set(message.segments[i]!, i);
  return {
    config, message, ids, facility,
    sender: `${val(msh, 3, 1) ?? val(msh, 3, 2) ?? ''}|${facility}`,
    report: emptyReport(),
    segmentIndex, warned: new Set(), truncatedFields: new Set(),
    dateTimes: new Map(),
  };
}

function internal(e: unknown): MappingError {
  // the error's class and first stack frame only: a message text could quote patient data
  const where = e instanceof Error ? `${e.name} at ${(e.stack ?? '').split('\n')[1]?.trim() ?? 'unknown'}` : typeof e;
  return new MappingError('ERR_MAPPING_INTERNAL', `mapper failed: ${where}`);
}
