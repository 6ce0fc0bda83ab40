/**
 * On-call schedules stored, managed by API and imported from files: the schedule store
 * (PostgreSQL, versioned, FHIR view), item edits, the ScheduleService the worker routes with, the
 * HTTP routes and the helpers the CLI uses. The pure rules live in src/routing.
 */
export { storeError, fromRoutingError, StoredScheduleCorrupt } from './errors.js';
export type { ScheduleStoreError, ScheduleStoreErrorCode } from './errors.js';
export { COLLECTIONS, collectionFromSlug, slugOf, findItem, upsertInDocument, deleteFromDocument } from './collections.js';
export type { Collection } from './collections.js';
export {
  DEFAULT_SCHEDULE_ID,
  SCHEDULE_CHANNEL,
  loadSchedule,
  loadScheduleDocument,
  storedVersion,
  refreshScheduleView,
  saveSchedule,
  saveScheduleText,
  checkDocument,
} from './schedule-store.js';
export type { StoredSchedule, SaveOptions, Saved } from './schedule-store.js';
export { upsertItem, deleteItem } from './schedule-items.js';
export type { EditOptions } from './schedule-items.js';
export { buildScheduleView, toFhirId, SCHEDULE_VIEW_HORIZON_MS, SCHEDULE_VIEW_TAG, SCHEDULE_VIEW_TYPES } from './schedule-view.js';
export { ScheduleService } from './service.js';
export type { CurrentSchedule, ScheduleServiceOptions, ServiceError } from './service.js';
export { seedScheduleFromFile } from './seed.js';
export type { SeedOutcome } from './seed.js';
export { importCalendarIntoStore } from './ical-merge.js';
export type { ImportOptions, Imported } from './ical-merge.js';
export { DEFAULT_SCHEDULE_LIMITS, limitsFromSettings } from './limits.js';
export type { ScheduleLimits } from './limits.js';
export { InlineJobs, WorkerJobs } from './jobs/pool.js';
export type { ScheduleJobs, WorkerJobsOptions } from './jobs/pool.js';
export { checkSchedule, mergeCalendar } from './jobs/tasks.js';
export type { Checked, CheckInput, MergeInput, MergedCalendar } from './jobs/tasks.js';
export { toRoutingRecord } from './routing-record.js';
export type { RoutingRecord } from './routing-record.js';
export { parseInstantArg, DEFAULT_LOOKAHEAD_MS, DEFAULT_IMPORT_WINDOW_MS } from './instant-arg.js';
export { describeOncall, describeNext, describeVia } from './describe.js';
// HTTP (Hono) lives in http/; nothing else in this folder imports hono.
export { createOncallApp } from './http/app.js';
export type { OncallAppDeps } from './http/app.js';
export { oncallApi } from './http/api.js';
export { SCHEDULE_MAX_BYTES, ITEM_MAX_BYTES, ICS_MAX_BYTES } from './http/schedule-routes.js';
export { outcomeErrorOf, parseIfMatch, etagOf } from './http/outcomes.js';
export { readScheduleFile, readTextFile } from './schedule-file.js';
export { redactItem, redactSecrets, SECRET_NOT_SHOWN } from './redact.js';
export type { FileError } from './schedule-file.js';
