// What the gateway accepts: versions, message types and events, and the segments each must carry.
// A message that parses but fails here is answered AR with the table 0357 code that names why.
import { HL7_ERROR, Hl7Error } from './errors.js';
import type { Hl7Message } from './message.js';
import { table } from '../text/index.js';

/** HL7 v2 versions whose ER7 encoding we read (MSH-12). */
export const SUPPORTED_VERSIONS = new Set([
  '2.1', '2.2', '2.3', '2.3.1', '2.4', '2.5', '2.5.1', '2.6', '2.7', '2.7.1', '2.8', '2.8.1', '2.8.2', '2.9',
]);

/** Message type -> supported trigger events -> segments that must be present. */
export const SUPPORTED_TYPES: Readonly<Record<string, { events: ReadonlySet<string>; required: readonly string[] }>> = table({
  ORU: { events: new Set(['R01']), required: ['OBR', 'OBX'] },
  ADT: {
    // admit, transfer, discharge, register, pre-admit, out->in, in->out, update, cancels, patient updates
    events: new Set(['A01', 'A02', 'A03', 'A04', 'A05', 'A06', 'A07', 'A08', 'A11', 'A12', 'A13', 'A28', 'A31']),
    required: ['PID'],
  },
}); // table(): MSH-9 'constructor' once found Object and failed as an internal error (AE), not AR

/** HL7 v2.7+ maximum lengths (older versions allowed less): MSH-10 is ST(199), MSH-3/4 are HD(227). */
const MAX_CONTROL_ID = 199;
const MAX_HD = 227;

/** Throws the Hl7Error that says why this message is not accepted; returns quietly when it is. */
export function checkSupported(message: Hl7Message): void {
  const { version, type } = message.header;
  checkHeaderLengths(message);
  // MSH-12 may carry components (version^internationalization); the first is the version id
  if (!SUPPORTED_VERSIONS.has(version)) {
    throw new Hl7Error('ERR_HL7_UNSUPPORTED_VERSION', HL7_ERROR.unsupportedVersionId, `unsupported HL7 version '${printable(version)}' in MSH-12`, { segment: 'MSH', sequence: 1, field: 12 });
  }
  const spec = SUPPORTED_TYPES[type.code];
  if (!spec) {
    throw new Hl7Error('ERR_HL7_UNSUPPORTED_TYPE', HL7_ERROR.unsupportedMessageType, `unsupported message type '${printable(type.code)}' in MSH-9`, { segment: 'MSH', sequence: 1, field: 9 });
  }
  if (!spec.events.has(type.event)) {
    throw new Hl7Error('ERR_HL7_UNSUPPORTED_TYPE', HL7_ERROR.unsupportedEventCode, `unsupported trigger event '${printable(type.event)}' for ${type.code} in MSH-9`, { segment: 'MSH', sequence: 1, field: 9 });
  }
  for (const name of spec.required) {
    if (!message.segment(name)) {
      const hint = looksSpaceSeparated(message) ? ' (the segments seem to be separated by spaces instead of carriage returns)' : '';
      throw new Hl7Error('ERR_HL7_MISSING_SEGMENT', HL7_ERROR.segmentSequence, `${type.code}^${type.event} requires a ${name} segment${hint}`, { segment: name });
    }
  }
}

/** The dedupe key (MSH-3, MSH-4, MSH-10) is indexed: it must stay within the standard's lengths. */
function checkHeaderLengths(message: Hl7Message): void {
  const h = message.header;
  const over: [number, string, number][] = [[10, h.controlId, MAX_CONTROL_ID], [3, h.sendingApplication, MAX_HD], [4, h.sendingFacility, MAX_HD]];
  for (const [field, value, max] of over) {
    if (value.length > max) {
      throw new Hl7Error('ERR_HL7_FIELD_TOO_LONG', HL7_ERROR.dataType, `MSH-${field} is ${value.length} characters long; at most ${max} are allowed`, { segment: 'MSH', sequence: 1, field });
    }
  }
}

/** A common copy-paste damage: the whole message on one line, segments joined by spaces. */
function looksSpaceSeparated(message: Hl7Message): boolean {
  return message.segments.length === 1 && / (?:EVN|PID|PV1|OBR|OBX|ORC)\|/.test(message.msh.fields.join('|'));
}

/** Keeps identifiers from the sender printable and short in error texts (they reach the sender only). */
function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?').slice(0, 20);
}
