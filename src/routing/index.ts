/**
 * Routing stage (README, "The data's path"): pure schedules and rules. Message -> role (rules) -> who is on call
 * for that role at that instant -> escalation chain. Every function takes `now`/`at` as epoch ms.
 * Format of schedule files: README.md "On-call schedules and routing". Dates, times and zones are
 * src/time's (one rule for the whole gateway).
 */
export { ok, err, routingError } from './errors.js';
export type { Result, RoutingError, RoutingErrorCode, Issue, LintFinding, LintCode, Severity } from './errors.js';

export { scheduleSchema } from './schedule-schema.js';
export { durationMs } from './duration.js';
export type {
  Schedule,
  ScheduleInput,
  Practitioner,
  Rotation,
  Role,
  Shift,
  CoverageEntry,
  WeeklyWindow,
  Override,
  EscalationPolicy,
  Target,
  ChannelKind,
  RoutingRule,
} from './schedule-schema.js';

export { parseScheduleFile, parseSchedule, jsonTooDeep, MAX_SCHEDULE_DEPTH, MAX_YAML_ALIAS_COUNT } from './parse-schedule.js';
export { compileSchedule } from './compile.js';
export type { CompiledSchedule, CompiledRole, OverrideRef } from './compile.js';
export { lintSchedule } from './lint.js';

export { oncall, primaryOf } from './oncall.js';
export type { OncallResult, OncallOptions } from './oncall.js';
export { toOncallJson } from './oncall-json.js';
export type { OncallJson } from './oncall-json.js';
export type { Assignment, PractitionerRef, Via } from './assignment.js';
export type { Provenance } from './coverage-source.js';
export { IMPLICIT_POLICY } from './escalation.js';
export type { EscalationStep, EscalationTarget, Contact } from './escalation.js';
export { coverage, MAX_COVERAGE_RANGE_MS } from './coverage.js';
export type { CoverageSegment } from './coverage.js';
export { nextChange, NEXT_CHANGE_HORIZON_MS } from './next.js';
export type { NextChange, OnCallStretch } from './next.js';
export { explainAssignment } from './explain.js';

export { routeMessage, isOnDuty } from './route.js';
export type { MessageAttributes, RouteDecision, Recipient } from './route.js';

export { toPractitionerRoles, toFhirSchedule, toFhirId, ONCALL_ROLE_SYSTEM, SERVICE_SYSTEM } from './fhir-view.js';

export { importICalendar, withImportedShifts, icalMappingSchema, MAX_IMPORT_OCCURRENCES, MAX_IMPORT_RANGE_MS } from './ical-import.js';
export type { ICalMapping, ICalImport, ImportedShift, ImportWindow } from './ical-import.js';
