// src/store: SQL, migrations and the embedded default. The only folder that writes SQL.
export { DB_TIMEOUT_DEFAULTS, STORE_DOWN, isUnavailable, pingStore } from './db.js';
export { StoreDownError, StoreHealth } from './health.js';
export type { StoreHealthOptions } from './health.js';
export type { Sql, TransactionSql } from './db.js';
export { explainResourceSearch, findResourcesByIdentifier, listStaleSearchRows, lockResourceIdentifiers, readResource, searchResources, updateSearchColumns, upsertResources } from './fhir-resources.js';
export type { FhirResourceWrite, IdentifierMatch, ResourceCondition, ResourceMatch, ResourceSearch, SearchColumnsUpdate, StaleSearchRow, StoredResource } from './fhir-resources.js';
export { claimInboxRows, countInboxByState, findInboxRowsByKey, isCallKeyConflict, getInboxRow, getRejectedRow, insertInboxRows, insertRejected, listInboxRows, listRejectedRows, listenInbox, markInboxFailed, markInboxProcessed, markInboxSaveFailed, requeueInboxRow } from './inbox.js';
export type { ClaimedInboxRow, InboxListRow, InboxRow } from './inbox.js';
export { openStore } from './open.js';
export { REVOCATION_CHANNEL, insertRevocation, listRevocations, listenRevocations } from './revocations.js';
export type { Revocation } from './revocations.js';
export type { Store } from './open.js';
export { SCHEDULE_CHANNEL, deleteStaleScheduleView, insertScheduleDocument, listenScheduleSaves, lockScheduleDocument, notifyScheduleSaved, readScheduleDocument, readScheduleVersion, updateScheduleDocument } from './schedules.js';
export type { ScheduleDocumentRow } from './schedules.js';
