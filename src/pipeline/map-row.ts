// One stored row -> its mapping outcome (pure; the same in the mapping threads and inline): the raw
// bytes parsed once, mapped to a FHIR transaction Bundle, or failed with a stable code.
import { ackHeaderOf, parseHl7Input, type AckHeader } from '../hl7/index.js';
import { callNoteSchema } from '../calls/index.js';
import { mapCallNote, mapHl7Message, MappingError, type MappingResult, type SiteConfig } from '../mapping/index.js';

export type Outcome = { kind: 'processed'; result: MappingResult } | { kind: 'failed'; code: string; reason: string };

/** What an application ACK needs of the message (enhanced mode), read while it is parsed anyway. */
export interface AckFacts {
  header: AckHeader;
  charset: string;
  /** MSH-16: when the application ACK is wanted */
  applicationAckType: string;
}

/** A row read once: the mapping outcome, and what its application ACK needs (HL7 rows only). */
export interface MappedRow {
  outcome: Outcome;
  ack: AckFacts | null;
}

export interface RowToMap {
  id: string;
  source: string;
  raw: Uint8Array;
  received_at: Date;
}

/** Never throws: a row that cannot be mapped is an outcome. */
export function mapInboxRow(row: RowToMap, config: SiteConfig, idKey: Uint8Array): MappedRow {
  let ack: AckFacts | null = null;
  try {
    const raw = Buffer.isBuffer(row.raw) ? row.raw : Buffer.from(row.raw.buffer, row.raw.byteOffset, row.raw.byteLength);
    if (row.source === 'calls') {
      const parsed = callNoteSchema.safeParse(JSON.parse(raw.toString('utf8')));
      if (!parsed.success) return { outcome: { kind: 'failed', code: 'ERR_CALL_INVALID', reason: 'stored call note no longer validates' }, ack };
      return { outcome: { kind: 'processed', result: mapCallNote(parsed.data, { id: row.id, receivedAt: row.received_at.toISOString() }, config, { idKey }) }, ack };
    }
    const input = parseHl7Input(raw);
    if (input.kind !== 'message') return { outcome: { kind: 'failed', code: 'ERR_HL7_BAD_BATCH', reason: 'a stored row holds a batch' }, ack };
    const message = input.message;
    ack = { header: ackHeaderOf(message), charset: message.charset, applicationAckType: message.header.applicationAckType };
    return { outcome: { kind: 'processed', result: mapHl7Message(message, config, { idKey }) }, ack };
  } catch (e) {
    if (e instanceof MappingError) return { outcome: { kind: 'failed', code: e.code, reason: e.message }, ack };
    // our own errors carry an ERR_ code and a PHI-free text; anything else (a SyntaxError from
    // JSON.parse, a TypeError) may quote the input, so only its class is kept
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_')) return { outcome: { kind: 'failed', code, reason: (e as Error).message ?? 'mapping failed' }, ack };
    return { outcome: { kind: 'failed', code: 'ERR_MAPPING_INTERNAL', reason: `mapping failed: ${e instanceof Error ? e.name : typeof e}` }, ack };
  }
}
