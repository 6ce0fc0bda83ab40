// src/ingest: the durable front door — intake of HL7 v2 and call notes, group commit, processing worker.
export * from './inbox-writer.js';
export * from './hl7-intake.js';
export * from './call-intake.js';
export * from './worker.js';
export * from './inbox-admin.js';
export * from './app-ack.js';
export * from './route-result.js';
