// src/ingest: the durable front door — intake of HL7 v2 and call notes, group commit, processing worker.
export { AppAckRouter } from './app-ack.js';
export { isValidIdempotencyKey, receiveCall } from './call-intake.js';
export { Hl7Intake } from './hl7-intake.js';
export { createIngestApp, ingestApi } from './http.js';
export type { IngestAppDeps } from './http.js';
export { INBOX_STATES, LIST_MAX_LIMIT, getInbox, getRejected, listInbox, listRejected, queueDepth, retryInbox } from './inbox-admin.js';
export type { InboxListItem, InboxState, ListPage, RejectedItem } from './inbox-admin.js';
export { InboxWriter } from './inbox-writer.js';
export { SenderPolicy, SendersFileError, clientAddress, invalidCidrs, loadSendersFile, sendersFileSchema } from './senders.js';
export type { AppAckDestination, Origin, SendersFile } from './senders.js';
export { InboxWorker } from './worker.js';
export type { StageTimes, WorkerOptions } from './worker.js';
export { MapPool } from './map-pool.js';
export type { RowMapper } from './map-pool.js';
