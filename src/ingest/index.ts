// src/ingest: the durable front door — intake of HL7 v2 and call notes, group commit, the inbox views.
export { AppAckRouter, wantsAppAck } from './app-ack.js';
export { isValidIdempotencyKey, receiveCall } from './call-intake.js';
export { Hl7Intake, newAckControlId } from './hl7-intake.js';
export { metricType } from './metric-type.js';
export { createIngestApp, ingestApi } from './http.js';
export type { IngestAppDeps } from './http.js';
export { INBOX_STATES, LIST_MAX_LIMIT, getInbox, getRejected, listInbox, listRejected, queueDepth, retryInbox } from './inbox-admin.js';
export type { InboxListItem, InboxState, ListPage, RejectedItem } from './inbox-admin.js';
export { InboxWriter } from './inbox-writer.js';
export { SenderPolicy, SendersFileError, clientAddress, invalidCidrs, loadSendersFile, sendersFileSchema } from './senders.js';
export type { AppAckDestination, Origin, SendersFile } from './senders.js';
