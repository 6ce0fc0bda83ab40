// src/hl7: MLLP framing and listening, ER7 parsing, validation and ACKs. Knows nothing of FHIR.
export * from './errors.js';
export * from './encoding.js';
export * from './charset.js';
export * from './message.js';
export * from './parse.js';
export * from './validate.js';
export * from './ack.js';
export * from './frame.js';
export * from './listener.js';
export * from './ack-codes.js';
export * from './client.js';
