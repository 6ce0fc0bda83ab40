// src/ingest: the durable front door — intake of HL7 v2 and call notes, group commit, processing worker.
export { AppAckRouter } from './app-ack.js';
export { isValidIdempotencyKey, receiveCall } from './call-intake.js';
export { Hl7Intake } from './hl7-intake.js';
export { INBOX_STATES, getInbox, getRejected, listInbox, listRejected, queueDepth, retryInbox } from './inbox-admin.js';
export type { InboxState } from './inbox-admin.js';
export { InboxWriter } from './inbox-writer.js';
export { SenderPolicy, SendersFileError, clientAddress, isCidrList, loadSendersFile, sendersFileSchema } from './senders.js';
export type { AppAckDestination, Origin, SendersFile } from './senders.js';
export { InboxWorker } from './worker.js';
