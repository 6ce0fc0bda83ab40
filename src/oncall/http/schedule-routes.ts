/**
 * /schedule routes (src/http's gate admits oncall.read to GETs, oncall.write to changes):
 *   GET    /schedule                       the stored document; ETag W/"<version>"
 *   PUT    /schedule                       replace it (application/json or application/yaml); If-Match optional
 *   GET    /schedule/lint?from=&to=        findings (gaps, overlaps, references...)
 *   POST   /schedule/import?mapping=&from=&to=&layer=   iCalendar feed merged into the stored schedule
 *   GET|PUT|DELETE /schedule/:collection/:id   one item (collections.ts; `routing-rules` = routing.rules)
 * Writes answer 200 {id, version} (PUT of a new item: 201), 400 listing every issue path, 404, 409
 * on a version conflict, 413/415/422 for the limits (each names its setting). Every change is
 * checked, and a feed expanded, in the service's jobs (a worker thread in the gateway).
 */
import type { Context, Hono } from 'hono';
import type { Sql } from '../../store/index.js';
import type { AuthEnv } from '../../auth/index.js';
import { badRequest, unsupportedMediaType } from '../../outcome/index.js';
import { lintSchedule } from '../../routing/index.js';
import { formatInstant, zoneClock } from '../../time/index.js';
import { collectionFromSlug, findItem, type Collection } from '../collections.js';
import { storeError } from '../errors.js';
import { importCalendarIntoStore } from '../ical-merge.js';
import { DEFAULT_IMPORT_WINDOW_MS, DEFAULT_LOOKAHEAD_MS } from '../instant-arg.js';
import { DEFAULT_SCHEDULE_LIMITS } from '../limits.js';
import { deleteItem, upsertItem } from '../schedule-items.js';
import { DEFAULT_SCHEDULE_ID, loadSchedule, saveScheduleText, type SaveOptions, type StoredSchedule } from '../schedule-store.js';
import type { ScheduleService } from '../service.js';
import { etagOf, outcomeErrorOf, parseIfMatch } from './outcomes.js';
import { bodyFormat, instantParam, jsonObjectBody, limit } from './support.js';
import { redactItem, redactSecrets } from '../redact.js';

/** Largest PUT /schedule body, bytes (the default SCHEDULE_MAX_BYTES; the gateway's setting applies). */
export const SCHEDULE_MAX_BYTES = DEFAULT_SCHEDULE_LIMITS.maxBytes;
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

const by = (c: Context<AuthEnv>): string => `${c.get('auth').issuer}|${c.get('auth').subject}`;

const collectionParam = (c: Context): Collection => {
  const col = collectionFromSlug(c.req.param('collection') ?? '');
  if (col === undefined) throw outcomeErrorOf(storeError('ERR_COLLECTION_UNKNOWN', 'no such schedule collection'));
  return col;
};

export function registerScheduleRoutes(app: Hono<AuthEnv>, d: ScheduleRouteDeps): void {
  const id = d.scheduleId ?? DEFAULT_SCHEDULE_ID;
  const { jobs, limits } = d.service;
  const storedOrThrow = async (): Promise<StoredSchedule> => {
    const s = await loadSchedule(d.sql, id);
    if (s === undefined) throw outcomeErrorOf(storeError('ERR_SCHEDULE_NOT_FOUND', 'no on-call schedule is stored'));
    return s;
  };
  const saveOptions = (c: Context<AuthEnv>, expectedVersion: number | undefined): SaveOptions => ({ id, expectedVersion, by: by(c), now: d.now(), jobs, limits });
  const saved = (c: Context, version: number, status: 200 | 201 = 200) => {
    d.service.invalidate();
    return c.json({ id, version }, status, { etag: etagOf(version) });
  };

  app.get('/schedule', async (c) => {
    const s = await storedOrThrow();
    return c.json(redactSecrets(s.schedule), 200, { etag: etagOf(s.version) });
  });

  app.put('/schedule', limit(limits.maxBytes, 'schedule (SCHEDULE_MAX_BYTES)'), async (c) => {
    const expectedVersion = parseIfMatch(c.req.header('if-match'));
    const format = bodyFormat(c, ['json', 'yaml']);
    const r = await saveScheduleText(d.sql, await c.req.text(), format === 'yaml' ? 'body.yaml' : 'body.json', saveOptions(c, expectedVersion));
    if (!r.ok) throw outcomeErrorOf(r.error);
    return saved(c, r.value.version);
  });

  app.get('/schedule/lint', async (c) => {
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

  app.post('/schedule/import', limit(ICS_MAX_BYTES, 'iCalendar upload'), async (c) => {
    const expectedVersion = parseIfMatch(c.req.header('if-match'));
    const { ics, mappingText } = await readImport(c);
    const s = await storedOrThrow();
    const clock = zoneClock(s.schedule.timeZone);
    const from = instantParam(c, 'from', clock, d.now().getTime());
    const to = instantParam(c, 'to', clock, from + DEFAULT_IMPORT_WINDOW_MS);
    const layer = c.req.query('layer');
    const r = await importCalendarIntoStore(d.sql, ics, mappingText, { ...saveOptions(c, expectedVersion ?? s.version), from, to, layer });
    if (!r.ok) throw outcomeErrorOf(r.error);
    d.service.invalidate();
    return c.json({ id, version: r.value.version, shifts: r.value.shifts, skipped: r.value.skipped }, 200, { etag: etagOf(r.value.version) });
  });

  app.get('/schedule/:collection/:id', async (c) => {
    const col = collectionParam(c);
    const s = await storedOrThrow();
    const item = findItem(s.schedule, col, c.req.param('id') ?? '');
    if (item === undefined) throw outcomeErrorOf(storeError('ERR_ITEM_NOT_FOUND', 'no item with that id in the collection'));
    return c.json(redactItem(item), 200, { etag: etagOf(s.version) });
  });

  app.put('/schedule/:collection/:id', limit(ITEM_MAX_BYTES, 'schedule item'), async (c) => {
    const col = collectionParam(c);
    const itemId = c.req.param('id') ?? '';
    const expectedVersion = parseIfMatch(c.req.header('if-match'));
    const body = await jsonObjectBody(c);
    const bodyId = body.id;
    if (bodyId !== undefined && bodyId !== itemId) throw badRequest('the item id must equal the id in the path', { details: [{ path: 'id', message: 'does not match the path' }] });
    const r = await upsertItem(d.sql, col, { ...body, id: itemId }, saveOptions(c, expectedVersion));
    if (!r.ok) throw outcomeErrorOf(r.error);
    return saved(c, r.value.version, r.value.created ? 201 : 200);
  });

  app.delete('/schedule/:collection/:id', async (c) => {
    const col = collectionParam(c);
    const r = await deleteItem(d.sql, col, c.req.param('id') ?? '', saveOptions(c, parseIfMatch(c.req.header('if-match'))));
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
