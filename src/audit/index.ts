// src/audit: the tamper-evident audit trail (README "Audit trail"; HIPAA 164.312(b), (c)(1)).
// Pure: hashing and chain checks (hash.ts, chain-check.ts), the FHIR AuditEvent view. I/O: appends
// (unsealed, in the caller's transaction, or group-committed by AuditWriter), the sealer that chains
// them (one process at a time), verify, search, retention.
export { appendAudit, auditKey, configureAuditKey } from './append.js';
export { ChainChecker } from './chain-check.js';
export type { BreakReason, ChainBreak, CheckOptions } from './chain-check.js';
export { auditedBegin, deferAudit } from './deferred.js';
export { AUDIT_EXTENSION, SWITCHBOARD_AUDIT_CODES, toAuditEvent } from './fhir-audit-event.js';
export { auditKeys } from './keys.js';
export type { AuditKeys } from './keys.js';
export { GENESIS_HASH, canonical, chainKey, chainRecords, hashRecord, macOf } from './hash.js';
export type { ActorKind, AuditAction, AuditEventInput, AuditRecord, ChainKey } from './hash.js';
export { messageProcessedEvents, messageReceivedEvent } from './pipeline-events.js';
export type { ProcessedInput, ReceivedInput } from './pipeline-events.js';
export { countAudit, searchAudit } from './search.js';
export type { AuditSearch } from './search.js';
export { RETENTION_INTERVAL_MS, purgeExpired, startRetention } from './retention.js';
export type { PurgeResult, RetentionSettings } from './retention.js';
export { AuditSealer, SEAL_BATCH, SEAL_FALLBACK_MS, SEAL_MIN_GAP_MS, sealAll, sealAudit } from './seal.js';
export { verifyAuditChain } from './verify.js';
export type { VerifyOptions, VerifyReport } from './verify.js';
export { AuditQueueFullError, AuditWriter } from './writer.js';
