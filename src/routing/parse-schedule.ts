import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { err, ok, routingError, type Issue, type Result, type RoutingError } from './errors.js';
import { scheduleSchema, type Schedule } from './schedule-schema.js';
import { isStorableText, UNSTORABLE_TEXT_MESSAGE } from '../text/index.js';

/**
 * `parseScheduleFile(text, filename)`: JSON (`.json`) or YAML (`.yaml`/`.yml`) by extension,
 * validated against the schedule schema. Every problem is reported with its path
 * (`roles[2].layers[0].rotation: expected HH:MM`), not just the first one.
 * Structure only; run `lintSchedule` / `compileSchedule` for references and coverage.
 */

/** `['roles', 2, 'layers', 0]` -> `roles[2].layers[0]`. */
export const formatPath = (path: readonly PropertyKey[]): string =>
  path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc === '' ? String(key) : `${acc}.${String(key)}`), '') || '(root)';

export const zodIssues = (error: z.ZodError): Issue[] =>
  error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }));

const parseText = (text: string, filename: string): Result<unknown, RoutingError> => {
  const lower = filename.toLowerCase();
  if (lower.endsWith('.json')) {
    try {
      return ok(JSON.parse(text) as unknown);
    } catch (e) {
      // JSON.parse reports syntax only by throwing; turn it into data at this boundary.
      return err(routingError('ERR_SCHEDULE_SYNTAX', `${filename}: ${e instanceof Error ? e.message : 'invalid JSON'}`));
    }
  }
  if (lower.endsWith('.yaml') || lower.endsWith('.yml')) {
    const doc = parseDocument(text, { prettyErrors: false });
    if (doc.errors.length > 0) {
      return err(
        routingError(
          'ERR_SCHEDULE_SYNTAX',
          `${filename}: invalid YAML`,
          doc.errors.map((e) => ({ path: `line ${e.linePos?.[0].line ?? '?'}`, message: e.message })),
        ),
      );
    }
    return ok(doc.toJS() as unknown);
  }
  return err(routingError('ERR_SCHEDULE_FORMAT_UNSUPPORTED', `${filename}: schedule files are .json, .yaml or .yml`));
};

/** Every string (and object key) holding a character that cannot be stored as text, with its path. */
function unstorableText(value: unknown, path: PropertyKey[] = [], out: Issue[] = []): Issue[] {
  if (typeof value === 'string') {
    if (!isStorableText(value)) out.push({ path: formatPath(path), message: UNSTORABLE_TEXT_MESSAGE });
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => unstorableText(v, [...path, i], out));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (!isStorableText(k)) out.push({ path: formatPath(path), message: `a key: ${UNSTORABLE_TEXT_MESSAGE}` });
      else unstorableText(v, [...path, k], out);
    }
  }
  return out;
}

export const parseSchedule = (data: unknown, source = 'schedule'): Result<Schedule, RoutingError> => {
  // before the schema: a NUL in a name passed it and failed only when stored, as a 500 (found by testing)
  const bad = unstorableText(data);
  if (bad.length) return err(routingError('ERR_SCHEDULE_INVALID', `${source}: ${bad.length} problem(s): ${bad.map((i) => `${i.path}: ${i.message}`).join('; ')}`, bad));
  const parsed = scheduleSchema.safeParse(data);
  if (parsed.success) return ok(parsed.data);
  const issues = zodIssues(parsed.error);
  return err(
    routingError(
      'ERR_SCHEDULE_INVALID',
      `${source}: ${issues.length} problem(s): ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      issues,
    ),
  );
};

export const parseScheduleFile = (text: string, filename: string): Result<Schedule, RoutingError> => {
  const data = parseText(text, filename);
  return data.ok ? parseSchedule(data.value, filename) : data;
};
