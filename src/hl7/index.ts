// src/hl7: MLLP framing, ER7 parsing, validation and ACKs: pure (bytes in, data out; the sockets are
// src/mllp's). Knows nothing of FHIR.
export { ackCodeFor, positiveAck } from './ack-codes.js';
export { ackHeaderOf, buildAck, hl7Timestamp, readAck, sniffHeader } from './ack.js';
export type { AckHeader } from './ack.js';
export { decodeHl7, encodeHl7 } from './charset.js';
export { DEFAULT_DELIMITERS, escapeValue, unescapeValue } from './encoding.js';
export { HL7_ERROR, Hl7Error, isHl7Error } from './errors.js';
export { MllpFramer, OVERSIZE_HEAD_BYTES, frame } from './frame.js';
export type { FrameEvent } from './frame.js';
export { HL7_NULL, Hl7Message, Segment } from './message.js';
export { parseHl7, parseHl7Input } from './parse.js';
export { SUPPORTED_TYPES, checkSupported } from './validate.js';
