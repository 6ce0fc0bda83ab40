/**
 * /schedule routes (oncall.read for GET, oncall.write for changes):
 *   GET    /schedule                       the stored document; ETag W/"<version>"
 *   PUT    /schedule                       replace it (JSON, or YAML with Content-Type application/yaml); If-Match optional
 *   GET    /schedule/lint?from=&to=        findings (gaps, overlaps, references...)
 *   POST   /schedule/import?mapping=&from=&to=&layer=   iCalendar feed merged into the stored schedule
 *   GET|PUT|DELETE /schedule/:collection/:id   one item (collections.ts; `routing-rules` = routing.rules)
 * Writes answer 200 {id, version} (PUT of a new item: 201), 400 listing every issue path, 404, 409 on a version conflict.
 */
import type { Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Sql } from '../store/index.js';
import type { AuthEnv } from '../auth/index.js';
import { badRequest, tooLarge, unsupportedMediaType } from '../outcome/index.js';
import { formatInstant, lintSchedule, parseScheduleFile, zoneClock } from '../routing/index.js';
import { collectionFromSlug, findItem, type Collection } from './collections.js';
import { fromRoutingError, storeError } from './errors.js';
import { etagOf, outcomeErrorOf, parseIfMatch } from './http-errors.js';
import { instantParam, READ_SCOPE, requireOperation, WRITE_SCOPE } from './http-support.js';
import { importCalendarIntoStore } from './ical-merge.js';
import { DEFAULT_IMPORT_WINDOW_MS, DEFAULT_LOOKAHEAD_MS } from './instant-arg.js';
import { deleteItem, upsertItem } from './schedule-items.js';
import { DEFAULT_SCHEDULE_ID, loadSchedule, saveSchedule, type StoredSchedule } from './schedule-store.js';
import type { ScheduleService } from './service.js';
import { redactItem, redactSecrets } from './redact.js';

/** Largest schedule document, bytes: a year of imported shifts for a large group is well under 1 MiB. */
export const SCHEDULE_MAX_BYTES = 2 * 1024 * 1024;
/** Largest single item (a role with explicit shifts is the big one), bytes. */
export const ITEM_MAX_BYTES = 512 * 1024;
/** Largest iCalendar upload, bytes. */
export const ICS_MAX_BYTES = 5 * 1024 * 1024;

export interface ScheduleRouteDeps {
  sql: Sql;
  service: ScheduleService;
  now: () => Date;
  scheduleId?: string | undefined;
}

const limit = (bytes: number, what: string) =>
  bodyLimit({ maxSize: bytes, onError: () => { throw tooLarge(`${what} exceeds ${bytes} bytes`); } });

const by = (c: Context<AuthEnv>): string => `${c.get('auth').issuer}|${c.get('auth').subject}`;

const collectionParam = (c: Context): Collection => {
  const col = collectionFromSlug(c.req.param('collection') ?? '');
  if (col === undefined) throw outcomeErrorOf(storeError('ERR_COLLECTION_UNKNOWN', 'no such schedule collection'));
  return col;
};

async function jsonBody(c: Context): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    throw badRequest('body is not valid JSON');
  }
}

export function registerScheduleRoutes(app: Hono<AuthEnv>, d: ScheduleRouteDeps): void {
  const id = d.scheduleId ?? DEFAULT_SCHEDULE_ID;
  const storedOrThrow = async (): Promise<StoredSchedule> => {
    const s = await loadSchedule(d.sql, id);
    if (s === undefined) throw outcomeErrorOf(storeError('ERR_SCHEDULE_NOT_FOUND', 'no on-call schedule is stored'));
    return s;
  };
  const saved = (c: Context, version: number, status: 200 | 201 = 200) => {
    d.service.invalidate();
    return c.json({ id, version }, status, { etag: etagOf(version) });
  };

  app.get('/schedule', requireOperation(READ_SCOPE), async (c) => {
    const s = await storedOrThrow();
    return c.json(redactSecrets(s.schedule), 200, { etag: etagOf(s.version) });
  });

  app.put('/schedule', requireOperation(WRITE_SCOPE), limit(SCHEDULE_MAX_BYTES, 'schedule'), async (c) => {
    const expectedVersion = parseIfMatch(c.req.header('if-match'));
    const yaml = /^(application|text)\/(x-)?yaml/.test(c.req.header('content-type') ?? '');
    const parsed = parseScheduleFile(await c.req.text(), yaml ? 'body.yaml' : 'body.json');
    if (!parsed.ok) throw outcomeErrorOf(fromRoutingError(parsed.error));
    const r = await saveSchedule(d.sql, parsed.value, { id, expectedVersion, by: by(c), now: d.now() });
    if (!r.ok) throw outcomeErrorOf(r.error);
    return saved(c, r.value.version);
  });

  app.get('/schedule/lint', requireOperation(READ_SCOPE), async (c) => {
    const s = await storedOrThrow();
    const zone = s.schedule.timeZone;
    const clock = zoneClock(zone);
    const from = instantParam(c, 'from', clock, d.now().getTime());
    const to = instantParam(c, 'to', clock, from + DEFAULT_LOOKAHEAD_MS);
    const findings = lintSchedule(s.schedule, from, to).map((f) => ({
      ...f,
      ...(f.start === undefined ? {} : { start: formatInstant(f.start, zone) }),
      ...(f.end === undefined ? {} : { end: formatInstant(f.end, zone) }),
    }));
    return c.json({ version: s.version, from: formatInstant(from, zone), to: formatInstant(to, zone), findings }, 200, { etag: etagOf(s.version) });
  });

  app.post('/schedule/import', requireOperation(WRITE_SCOPE), limit(ICS_MAX_BYTES, 'iCalendar upload'), async (c) => {
    const expectedVersion = parseIfMatch(c.req.header('if-match'));
    const { ics, mappingText } = await readImport(c);
    let mapping: unknown;
    try {
      mapping = JSON.parse(mappingText);
    } catch {
      throw badRequest('mapping is not valid JSON');
    }
    const s = await storedOrThrow();
    const clock = zoneClock(s.schedule.timeZone);
    const from = instantParam(c, 'from', clock, d.now().getTime());
    const to = instantParam(c, 'to', clock, from + DEFAULT_IMPORT_WINDOW_MS);
    const layer = c.req.query('layer');
    const r = await importCalendarIntoStore(d.sql, ics, mapping, { id, from, to, layer, expectedVersion: expectedVersion ?? s.version, by: by(c), now: d.now() });
    if (!r.ok) throw outcomeErrorOf(r.error);
    d.service.invalidate();
    return c.json({ id, version: r.value.version, shifts: r.value.shifts, skipped: r.value.skipped }, 200, { etag: etagOf(r.value.version) });
  });

  app.get('/schedule/:collection/:id', requireOperation(READ_SCOPE), async (c) => {
    const col = collectionParam(c);
    const s = await storedOrThrow();
    const item = findItem(s.schedule, col, c.req.param('id') ?? '');
    if (item === undefined) throw outcomeErrorOf(storeError('ERR_ITEM_NOT_FOUND', `no ${c.req.param('collection') ?? ''} item with that id`));
    return c.json(redactItem(item), 200, { etag: etagOf(s.version) });
  });

  app.put('/schedule/:collection/:id', requireOperation(WRITE_SCOPE), limit(ITEM_MAX_BYTES, 'schedule item'), async (c) => {
    const col = collectionParam(c);
    const itemId = c.req.param('id') ?? '';
    const expectedVersion = parseIfMatch(c.req.header('if-match'));
    const body = await jsonBody(c);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('item must be a JSON object');
    const bodyId = (body as { id?: unknown }).id;
    if (bodyId !== undefined && bodyId !== itemId) throw badRequest('the item id must equal the id in the path', { details: [{ path: 'id', message: 'does not match the path' }] });
    const r = await upsertItem(d.sql, col, { ...body, id: itemId }, { id, expectedVersion, by: by(c), now: d.now() });
    if (!r.ok) throw outcomeErrorOf(r.error);
    return saved(c, r.value.version, r.value.created ? 201 : 200);
  });

  app.delete('/schedule/:collection/:id', requireOperation(WRITE_SCOPE), async (c) => {
    const col = collectionParam(c);
    const r = await deleteItem(d.sql, col, c.req.param('id') ?? '', { id, expectedVersion: parseIfMatch(c.req.header('if-match')), by: by(c), now: d.now() });
    if (!r.ok) throw outcomeErrorOf(r.error);
    return saved(c, r.value.version);
  });
}

/** `text/calendar` body + `mapping` query parameter, or multipart/form-data with `calendar` and `mapping` parts. */
async function readImport(c: Context): Promise<{ ics: string; mappingText: string }> {
  const type = (c.req.header('content-type') ?? '').toLowerCase();
  let ics: string;
  let mappingText: string | undefined;
  if (type.startsWith('multipart/form-data')) {
    const form = await c.req.parseBody();
    const part = async (v: unknown): Promise<string | undefined> => (typeof v === 'string' ? v : v instanceof File ? v.text() : undefined);
    const cal = await part(form.calendar);
    if (cal === undefined) throw badRequest('multipart import needs a `calendar` part (the .ics file)');
    ics = cal;
    mappingText = await part(form.mapping);
  } else if (type.startsWith('text/calendar')) {
    ics = await c.req.text();
    mappingText = c.req.query('mapping');
  } else {
    throw unsupportedMediaType('import takes Content-Type text/calendar (mapping in ?mapping=) or multipart/form-data');
  }
  if (mappingText === undefined || mappingText === '') throw badRequest('mapping is required: ?mapping=<JSON> or a `mapping` part');
  return { ics, mappingText };
}
