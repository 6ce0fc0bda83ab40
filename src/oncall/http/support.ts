// Shared pieces of the on-call HTTP routes: instant parameters and request bodies (content type
// first, then size-, depth- and syntax-checked, never echoed). Who may call a route is decided once,
// by src/http's route table and gate, before a request reaches this sub-app.
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { badRequest, tooLarge, unsupportedMediaType } from '../../outcome/index.js';
import { jsonTooDeep, MAX_SCHEDULE_DEPTH } from '../../routing/index.js';
import type { ZoneClock } from '../../time/index.js';
import { storeError } from '../errors.js';
import { parseInstantArg } from '../instant-arg.js';
import { outcomeErrorOf } from './outcomes.js';

/** Query value -> epoch ms in the schedule's zone, or `fallback`; a bad value is a 400 naming the parameter. */
export const instantParam = (c: Context, name: string, clock: ZoneClock, fallback: number): number => {
  const raw = c.req.query(name);
  if (raw === undefined || raw === '') return fallback;
  const t = parseInstantArg(raw, clock);
  if (t === undefined) throw badRequest(`${name} must be an ISO 8601 date-time (e.g. 2025-03-09T02:30:00-05:00) or date`);
  return t;
};

/** A body size limit, answered with a 413 naming the limit. */
export const limit = (bytes: number, what: string): MiddlewareHandler =>
  bodyLimit({ maxSize: bytes, onError: () => { throw tooLarge(`${what} exceeds ${bytes} bytes`); } });

export type BodyFormat = 'json' | 'yaml';

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/;
const YAML_TYPE = /^(?:application|text)\/(?:x-)?yaml\s*(?:;|$)/;

/** The body's format from its Content-Type, among `accepted`; anything else (or none) is a 415. */
export const bodyFormat = (c: Context, accepted: readonly BodyFormat[]): BodyFormat => {
  const type = (c.req.header('content-type') ?? '').toLowerCase().trim();
  if (accepted.includes('json') && JSON_TYPE.test(type)) return 'json';
  if (accepted.includes('yaml') && YAML_TYPE.test(type)) return 'yaml';
  const names = accepted.map((f) => (f === 'json' ? 'application/json' : 'application/yaml')).join(' or ');
  throw unsupportedMediaType(`the body must be ${names} (Content-Type)`);
};

/** A JSON object body: depth-bounded before JSON.parse, syntax errors reported without the text. */
export async function jsonObjectBody(c: Context): Promise<Record<string, unknown>> {
  bodyFormat(c, ['json']);
  const text = await c.req.text();
  if (jsonTooDeep(text, MAX_SCHEDULE_DEPTH)) throw outcomeErrorOf(storeError('ERR_SCHEDULE_TOO_COMPLEX', `body nests deeper than ${MAX_SCHEDULE_DEPTH} levels`));
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw badRequest('body is not valid JSON', { issue: 'structure' });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('item must be a JSON object');
  return body as Record<string, unknown>;
}
