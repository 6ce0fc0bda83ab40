/**
 * The heavy, pure parts of a schedule change: validate (schema), check the stored size, compile
 * (every id resolves), build the FHIR view; expand and merge an iCalendar feed. They run in a
 * worker thread (pool.ts) so that a big or hostile input never holds up the thread that answers
 * MLLP and HTTP, and they take and return plain data (structured-clone safe). No I/O here.
 */
import type { Resource } from 'fhir/r4.js';
import { compileSchedule, err, importICalendar, jsonTooDeep, MAX_SCHEDULE_DEPTH, ok, parseSchedule, parseScheduleFile, withImportedShifts, type Issue, type Result, type Schedule } from '../../routing/index.js';
import { fromRoutingError, storeError, type ScheduleStoreError } from '../errors.js';
import type { ScheduleLimits } from '../limits.js';
import { buildScheduleView } from '../schedule-view.js';

export interface CheckInput {
  /** The document as data (unvalidated), when `source` is not given. */
  readonly document?: unknown;
  /** The document as received text, parsed here (off the answering thread): `.json`/`.yaml` by filename. */
  readonly source?: { readonly text: string; readonly filename: string };
  readonly limits: ScheduleLimits;
  /** Document id (the FHIR view's tag). */
  readonly documentId: string;
  /** The save time: the FHIR view starts here, epoch ms. */
  readonly nowMs: number;
  /** Build the FHIR view (default true). */
  readonly view?: boolean;
}

export interface Checked {
  /** The validated document, as it will be stored. */
  readonly schedule: Schedule;
  /** Its FHIR view, or null when not asked for. */
  readonly view: Resource[] | null;
  /** Bytes of its JSON. */
  readonly bytes: number;
}

/** Schema, stored size, references (compileSchedule) and the FHIR view: the gate every write passes. */
export const checkSchedule = (input: CheckInput): Result<Checked, ScheduleStoreError> => {
  const parsed = input.source !== undefined ? parseScheduleFile(input.source.text, input.source.filename) : parseSchedule(input.document);
  if (!parsed.ok) return err(fromRoutingError(parsed.error));
  const bytes = Buffer.byteLength(JSON.stringify(parsed.value));
  if (bytes > input.limits.maxBytes) {
    return err(storeError('ERR_SCHEDULE_TOO_LARGE', `the schedule would be ${bytes} bytes as JSON; the limit (SCHEDULE_MAX_BYTES) is ${input.limits.maxBytes}`));
  }
  const compiled = compileSchedule(parsed.value);
  if (!compiled.ok) return err(fromRoutingError(compiled.error));
  const view = input.view === false ? null : buildScheduleView(compiled.value, input.documentId, input.nowMs);
  return ok({ schedule: parsed.value, view, bytes });
};

export interface MergeInput extends Omit<CheckInput, 'document' | 'source'> {
  /** The stored schedule the feed is merged into. */
  readonly schedule: Schedule;
  readonly ics: string;
  /** The mapping as JSON text (parsed here, depth-bounded first). */
  readonly mappingText: string;
  /** Occurrences overlapping [from, to) are imported, epoch ms. */
  readonly from: number;
  readonly to: number;
  /** Layer id the shifts go into; default `ical`. */
  readonly layer?: string | undefined;
}

export interface MergedCalendar {
  readonly checked: Checked;
  readonly shifts: number;
  readonly skipped: readonly Issue[];
}

/**
 * The feed's shifts become the top layer (`ical` by default) of each role they name, replacing that
 * layer's previous import; shifts for a role the schedule does not have are reported in `skipped`.
 * The merged document then passes the same gate as any write (checkSchedule).
 */
export const mergeCalendar = (input: MergeInput): Result<MergedCalendar, ScheduleStoreError> => {
  if (jsonTooDeep(input.mappingText, MAX_SCHEDULE_DEPTH)) return err(storeError('ERR_ICAL_INVALID', `mapping: nested deeper than ${MAX_SCHEDULE_DEPTH} levels`));
  let mapping: unknown;
  try {
    mapping = JSON.parse(input.mappingText);
  } catch {
    // JSON.parse reports syntax only by throwing, quoting the text: not passed on
    return err(storeError('ERR_ICAL_INVALID', 'mapping is not valid JSON'));
  }
  const imported = importICalendar(input.ics, mapping, {
    from: input.from,
    to: input.to,
    defaultTimeZone: input.schedule.timeZone,
    maxOccurrences: input.limits.maxImportOccurrences,
  });
  if (!imported.ok) return err(fromRoutingError(imported.error));
  const roles = new Set(input.schedule.roles.map((r) => r.id));
  const unknown = imported.value.shifts.filter((s) => !roles.has(s.role));
  const skipped: Issue[] = [
    ...imported.value.skipped,
    ...[...new Set(unknown.map((s) => s.rule))].map((rule) => ({ path: `mapping.rules[${rule}].role`, message: 'the schedule has no role with this id: its events were not imported' })),
  ];
  const merged = withImportedShifts(input.schedule, imported.value, input.layer ?? 'ical');
  const checked = checkSchedule({ ...input, document: merged });
  if (!checked.ok) return checked;
  return ok({ checked: checked.value, shifts: imported.value.shifts.length - unknown.length, skipped });
};

export type Job = { readonly kind: 'check'; readonly input: CheckInput } | { readonly kind: 'merge'; readonly input: MergeInput };
export type JobResult = Result<Checked, ScheduleStoreError> | Result<MergedCalendar, ScheduleStoreError>;

export const runJob = (job: Job): JobResult => (job.kind === 'check' ? checkSchedule(job.input) : mergeCalendar(job.input));
