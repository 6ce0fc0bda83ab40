// src/store: SQL, migrations and the embedded default. The only folder that writes SQL.
export { isUnavailable, pingStore } from './db.js';
export type { Sql, TransactionSql } from './db.js';
export { findResourcesByIdentifier, lockResourceIdentifiers, readResource, searchResources, upsertResources } from './fhir-resources.js';
export type { FhirResourceWrite, IdentifierMatch, ResourceCondition, ResourceMatch, StoredResource } from './fhir-resources.js';
export { claimInboxRows, countInboxByState, findInboxRowsByKey, getInboxRow, getRejectedRow, insertInboxRows, insertRejected, listInboxRows, listRejectedRows, listenInbox, markInboxFailed, markInboxProcessed, markInboxSaveFailed, requeueInboxRow } from './inbox.js';
export type { ClaimedInboxRow, InboxListRow, InboxRow } from './inbox.js';
export { IdKeyMismatchError, ensureIdKey, readIdKey, rekeyPending, rekeySources, rekeyStoredResources } from './id-key.js';
export type { RekeyCounts, RekeySource } from './id-key.js';
export { openStore } from './open.js';
export type { Store } from './open.js';
export { SCHEDULE_CHANNEL, deleteStaleScheduleView, insertScheduleDocument, listenScheduleSaves, lockScheduleDocument, notifyScheduleSaved, readScheduleDocument, readScheduleVersion, updateScheduleDocument } from './schedules.js';
export type { ScheduleDocumentRow } from './schedules.js';
