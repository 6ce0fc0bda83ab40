// src/store: SQL, migrations and the embedded default. The only folder that writes SQL.
export { DB_TIMEOUT_DEFAULTS, STORE_DOWN, connect, isUnavailable, pingStore } from './db.js';
export { StoreDownError, StoreHealth } from './health.js';
export type { StoreHealthOptions } from './health.js';
export type { ConnectOptions, Sql, TransactionSql } from './db.js';
export { explainResourceSearch, findResourcesByIdentifier, listStaleSearchRows, lockResourceIdentifiers, readResource, searchResources, updateSearchColumns, upsertResources } from './fhir-resources.js';
export type { FhirResourceWrite, IdentifierCondition, IdentifierMatch, ResourceCondition, ResourceMatch, ResourceSearch, SearchColumnsUpdate, StaleSearchRow, StoredResource } from './fhir-resources.js';
export { DEFAULT_ORGANIZATION, claimInboxRows, releaseInboxRows, countInboxByState, findInboxRowsByKey, isCallKeyConflict, getInboxRow, getRejectedRow, insertInboxRows, insertRejected, listInboxRows, listRejectedRows, listenInbox, markInboxFailed, type PriorityRange, markInboxProcessed, markInboxRows, markInboxSaveFailed, requeueInboxRow } from './inbox.js';
export type { ClaimedInboxRow, InboxListRow, InboxOutcomeRow, InboxRow } from './inbox.js';
export { IdKeyMismatchError, ensureIdKey, readIdKey, rekeyPending, rekeySources, rekeyStoredResources, resourceIdsHeldElsewhere } from './id-key.js';
export type { RekeyCounts, RekeySource } from './id-key.js';
export { migrate } from './migrate.js';
export { openStore } from './open.js';
export { EMBEDDED_APP_ROLE, EMBEDDED_OWNER_ROLE } from './embedded.js';
export { MigrationPrivilegeError } from './migrate.js';
export { RoleNameError, appRoleGrants, appRoleScript, grantAppRole, roleFacts } from './roles.js';
export type { GrantOptions, RoleFacts } from './roles.js';
export { REVOCATION_CHANNEL, insertRevocation, listRevocations, listenRevocations } from './revocations.js';
export type { Revocation } from './revocations.js';
export type { Store } from './open.js';
export { SCHEDULE_CHANNEL, deleteStaleScheduleView, insertScheduleDocument, listenScheduleSaves, lockScheduleDocument, notifyScheduleSaved, readScheduleDocument, readScheduleVersion, updateScheduleDocument } from './schedules.js';
export type { ScheduleDocumentRow } from './schedules.js';
export { DELIVERY_WAKE_CHANNEL, claimDueRuns, getRun, insertRuns, listenDeliveryWake, lockRun, nextDeliveryDue, notifyDeliveryWake, readRequestHeads, updateRuns } from './delivery-runs.js';
export type { DueClaim, DueKind, DueRun, NextDue, RequestHeadRow, RunInsert, RunRow, RunState, RunUpdate } from './delivery-runs.js';
export {
  advanceLadder, cancelPendingAttempts, claimDueAttempts, claimFreshAttempts, countAttempts, finishAttempts, getAttempt, getNotification, insertAttempts, insertNotifications,
  listAttempts, listDeadAttempts, listNotifications, markInboxDelivered, maxNotificationSeq, replayDeadAttempt, stampDelivered, stampNotifications, upsertDigest,
} from './delivery-outbox.js';
export type { AttemptInsert, AttemptOutcome, AttemptRow, AttemptState, ClaimedAttempt, DigestInsert, NotificationInsert, NotificationKind, NotificationRow, ReceiptField } from './delivery-outbox.js';
export { DELIVERY_EVENTS_CHANNEL, insertEvents, listEvents, listenLiveEvents, notifyLiveEvents } from './delivery-timeline.js';
export type { EventInsert, EventRow, LiveEvent } from './delivery-timeline.js';
export { deletePushSubscription, listPushSubscriptions, upsertPushSubscription, vapidKeys } from './delivery-push.js';
export type { PushSubscriptionRow } from './delivery-push.js';
export { getProviderMessage, listProviderMessages, listProviderPatients } from './delivery-inbox.js';
export type { ProviderMessageRow } from './delivery-inbox.js';
export { LOCAL_SESSION_ISSUER, endSession, getSession, insertLogin, insertSession, revokeSession, takeLogin, touchSession } from './sessions.js';
export type { LoginRow, SessionInsert, SessionRole, SessionRow } from './sessions.js';
export { AUDIT_PENDING_CHANNEL, countAuditRows, countPendingAudit, insertPendingAudit, listenAuditPending, listAuditPage, purgeAuditRows, readAuditHead, readPendingAudit, sealPendingAudit, searchAuditRows, trySealLock } from './audit.js';
export type { AuditHead, AuditQuery, AuditRow } from './audit.js';
export { resourceDigest } from './phi.js';
export { PHI_KEYS_CHANNEL, PHI_TABLES, countPhiValues, notifyPhiKeys, encryptExisting, listPhiKeys, phiKeysRegistered, registerPhiKeys, resealAll, resealPass, retireUnusedPhiKeys } from './phi-keys.js';
export type { PhiKeyCount, PhiTable, ResealProgress } from './phi-keys.js';
export { purgeFhirResources, purgeInboxBytes, purgeRejected, tryRetentionLock } from './retention.js';
export { clearThrottle, confirmPendingTotp, countWindowed, deletePasskey, deletePasskeys, listPasskeyViews, getLocalAccount, getLocalAccountById, getPasskey, insertChallenge, insertLocalAccount, insertPasskey, listLocalAccounts, listPasskeys, purgeThrottles, readThrottles, recordThrottleFailure, revokeSessionsOf, setLocalDisabled, setLocalPassword, setLocalTotp, setPendingTotp, takeChallenge, takeTotpStep, usePasskey } from './local-accounts.js';
export type { ChallengePurpose, LocalAccountInsert, LocalAccountRow, LocalAccountView, PasskeyRow, PasskeyView, ThrottleRow } from './local-accounts.js';
