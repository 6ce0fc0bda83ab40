import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { err, ok, routingError, type Issue, type Result, type RoutingError } from './errors.js';
import { scheduleSchema, type Schedule } from './schedule-schema.js';
import { isStorableText, UNSTORABLE_TEXT_MESSAGE } from '../text/index.js';

/**
 * `parseScheduleFile(text, filename)`: JSON (`.json`) or YAML (`.yaml`/`.yml`) by extension,
 * validated against the schedule schema. Every problem is reported with its path
 * (`roles[2].layers[0].rotation: expected HH:MM`), not just the first one, and never by quoting
 * the input. Structure only; run `lintSchedule` / `compileSchedule` for references and coverage.
 *
 * Bounded before anything recursive runs: JSON nesting is measured on the text before JSON.parse
 * (a 50,000-deep array overflowed the stack of the checks after it), YAML aliases may expand to at
 * most MAX_YAML_ALIAS_COUNT nodes (the `yaml` package's alias-bomb guard) and the parsed value's
 * nesting is measured before the schema walks it.
 */

/** Deepest nesting of objects and arrays a schedule may have (the format itself needs 8). */
export const MAX_SCHEDULE_DEPTH = 32;
/** `yaml` toJS maxAliasCount: how many nodes alias resolution may add (a schedule has no use for more). */
export const MAX_YAML_ALIAS_COUNT = 100;

const SAFE_KEY = /^[A-Za-z0-9_.:-]{1,64}$/;

/** `['roles', 2, 'layers', 0]` -> `roles[2].layers[0]`; keys that are not plain names show as `?`. */
export const formatPath = (path: readonly PropertyKey[]): string =>
  path.reduce<string>((acc, key) => {
    if (typeof key === 'number') return `${acc}[${key}]`;
    const name = typeof key === 'string' && SAFE_KEY.test(key) ? key : '?';
    return acc === '' ? name : `${acc}.${name}`;
  }, '') || '(root)';

/** zod issues as {path, message}; an unknown key is its own issue at its path (zod's message quotes the keys). */
export const zodIssues = (error: z.ZodError, root?: string): Issue[] =>
  error.issues.flatMap((i) => {
    const base = root === undefined ? i.path : [root, ...i.path];
    if (i.code === 'unrecognized_keys') return i.keys.map((k) => ({ path: formatPath([...base, k]), message: 'unknown key' }));
    return [{ path: formatPath(base), message: i.message }];
  });

/**
 * True when JSON text nests objects/arrays deeper than `limit`. One pass, strings skipped
 * (brackets inside them do not count); the text need not be valid JSON.
 */
export const jsonTooDeep = (text: string, limit: number): boolean => {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
};

/**
 * True when YAML text nests flow collections (`[...]`, `{...}`) deeper than `limit`: the `yaml`
 * package takes seconds on 50,000 nested brackets. Quoted scalars and comments are skipped; a
 * bracket in a plain scalar counts, so this may refuse a pathological plain scalar, never miss depth.
 * (Block nesting needs indentation, so the body size bounds it.)
 */
export const yamlFlowTooDeep = (text: string, limit: number): boolean => {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) { // "...": backslash escapes
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
    } else if (c === 0x27) { // '...': '' is a quote
      for (i++; i < text.length; i++) if (text.charCodeAt(i) === 0x27 && text.charCodeAt(++i) !== 0x27) { i--; break; }
    } else if (c === 0x23 && (i === 0 || text.charCodeAt(i - 1) <= 0x20)) { // # comment to the end of the line
      while (i < text.length && text.charCodeAt(i) !== 0x0a) i++;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
};

/** True when a parsed value nests deeper than `limit` (iterative: no recursion on outside data). */
export const valueTooDeep = (value: unknown, limit: number): boolean => {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop() as [unknown, number];
    if (v === null || typeof v !== 'object') continue;
    if (d + 1 > limit) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (child !== null && typeof child === 'object') stack.push([child, d + 1]);
  }
  return false;
};

const tooComplex = (source: string, what: string): RoutingError =>
  routingError('ERR_SCHEDULE_TOO_COMPLEX', `${source}: ${what}`, [{ path: '(root)', message: what }]);

const DEPTH_MESSAGE = `nested deeper than ${MAX_SCHEDULE_DEPTH} levels`;

const parseText = (text: string, filename: string): Result<unknown, RoutingError> => {
  const lower = filename.toLowerCase();
  if (lower.endsWith('.json')) {
    if (jsonTooDeep(text, MAX_SCHEDULE_DEPTH)) return err(tooComplex(filename, DEPTH_MESSAGE));
    try {
      return ok(JSON.parse(text) as unknown);
    } catch {
      // JSON.parse reports syntax only by throwing, quoting the text: not passed on
      return err(routingError('ERR_SCHEDULE_SYNTAX', `${filename}: not valid JSON`));
    }
  }
  if (lower.endsWith('.yaml') || lower.endsWith('.yml')) {
    if (yamlFlowTooDeep(text, MAX_SCHEDULE_DEPTH)) return err(tooComplex(filename, DEPTH_MESSAGE));
    let value: unknown;
    try {
      const doc = parseDocument(text, { prettyErrors: false });
      if (doc.errors.length > 0) {
        return err(
          routingError(
            'ERR_SCHEDULE_SYNTAX',
            `${filename}: invalid YAML`,
            doc.errors.map((e) => ({ path: `line ${e.linePos?.[0].line ?? '?'}`, message: `YAML ${e.code}` })),
          ),
        );
      }
      value = doc.toJS({ maxAliasCount: MAX_YAML_ALIAS_COUNT }) as unknown;
    } catch (e) {
      // the yaml package throws a ReferenceError when aliases expand past maxAliasCount (and may hit
      // the stack on absurd nesting): both are this input's fault, reported as data
      return err(tooComplex(filename, e instanceof ReferenceError ? `YAML aliases expand to more than ${MAX_YAML_ALIAS_COUNT} nodes` : DEPTH_MESSAGE));
    }
    return ok(value);
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
  if (valueTooDeep(data, MAX_SCHEDULE_DEPTH)) return err(tooComplex(source, DEPTH_MESSAGE));
  // before the schema: a NUL in a name passed it and failed only when stored, as a 500 (found by testing)
  const bad = unstorableText(data);
  if (bad.length) return err(routingError('ERR_SCHEDULE_INVALID', `${source}: ${bad.length} problem(s): ${bad.map((i) => `${i.path}: ${i.message}`).join('; ')}`, bad));
  const parsed = scheduleSchema.safeParse(data);
  if (parsed.success) return ok(parsed.data);
  const issues = zodIssues(parsed.error);
  return err(
    routingError(
      'ERR_SCHEDULE_INVALID',
      `${source}: ${issues.length} problem(s): ${issues.slice(0, 20).map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      issues,
    ),
  );
};

export const parseScheduleFile = (text: string, filename: string): Result<Schedule, RoutingError> => {
  const data = parseText(text, filename);
  return data.ok ? parseSchedule(data.value, filename) : data;
};
