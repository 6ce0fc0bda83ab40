import ICAL from 'ical.js';
import { z } from 'zod';
import { err, ok, routingError, type Issue, type Result, type RoutingError } from './errors.js';
import { zodIssues } from './parse-schedule.js';
import type { Schedule } from './schedule-schema.js';
import { isValidZone, zoneClock } from './zone-clock.js';
import { table } from '../text/index.js';

/**
 * Import an iCalendar (RFC 5545) feed as exported by physician scheduling systems into role
 * shifts (README.md "On-call schedules and routing" "iCalendar import"). ical.js parses and expands recurrences
 * (RRULE, RDATE, EXDATE; RECURRENCE-ID instances replace the occurrence they name); wall-clock
 * times are turned into instants with the same gap / first-occurrence rule as schedules, in the
 * event's TZID (an IANA name, or mapped via `timeZones`), UTC for `Z` times, else `defaultTimeZone`.
 * DTSTART and DTEND of one event are expected to share a TZID.
 */

const regex = z.string().refine((s) => {
  try {
    new RegExp(s, 'i');
    return true;
  } catch {
    return false;
  }
}, 'not a valid regular expression');

export const icalMappingSchema = z.object({
  /** First matching rule gives the event's role: SUMMARY regex and/or a CATEGORIES value. */
  rules: z
    .array(z.object({ summary: regex.optional(), categories: z.string().optional(), role: z.string().min(1) }))
    .min(1),
  practitioner: z.object({
    /** Where the practitioner is named: first ATTENDEE, ORGANIZER (mailto address or CN), or SUMMARY text. */
    from: z.enum(['attendee', 'organizer', 'summary']),
    /** Regex whose first capture group (or whole match) is the key; default: the whole value. */
    pattern: regex.optional(),
    /** key (case-insensitive) -> practitioner id; without a map the key is the practitioner id. */
    map: z.record(z.string(), z.string()).optional(),
  }),
  /** Non-IANA TZIDs (e.g. Windows names) -> IANA zone. */
  timeZones: z.record(z.string(), z.string()).default({}).transform(table), // TZID is outside text
});
export type ICalMapping = z.output<typeof icalMappingSchema>;

export interface ImportedShift {
  readonly role: string;
  readonly practitioner: string;
  readonly start: number;
  readonly end: number;
  readonly uid: string;
  readonly summary: string;
}

export interface ICalImport {
  /** Sorted by start, then uid. */
  readonly shifts: readonly ImportedShift[];
  /** Events that could not be mapped (no rule, unknown person, unknown zone): never dropped silently. */
  readonly skipped: readonly Issue[];
}

/** Safety cap on occurrences per event, so an unbounded RRULE with a far `to` stays bounded. */
export const MAX_OCCURRENCES_PER_EVENT = 5000;

type Time = InstanceType<typeof ICAL.Time>;
type Component = InstanceType<typeof ICAL.Component>;

const textOf = (v: unknown): string => (typeof v === 'string' ? v : '');

const tzidOf = (c: Component, prop: string): string | undefined => {
  const p = c.getFirstProperty(prop);
  const tz = p?.getParameter('tzid');
  return typeof tz === 'string' ? tz : undefined;
};

const toInstant = (t: Time, tzid: string | undefined, mapping: ICalMapping, fallbackZone: string): number | string => {
  const wall = Date.UTC(t.year, t.month - 1, t.day, t.isDate ? 0 : t.hour, t.isDate ? 0 : t.minute, t.isDate ? 0 : t.second);
  return wallToInstant(wall, t.zone === ICAL.Timezone.utcTimezone, tzid, mapping, fallbackZone);
};

const wallToInstant = (wall: number, isUtc: boolean, tzid: string | undefined, mapping: ICalMapping, fallbackZone: string): number | string => {
  if (isUtc) return wall;
  const zone = tzid === undefined ? fallbackZone : (mapping.timeZones[tzid] ?? tzid);
  if (!isValidZone(zone)) return `unknown time zone '${zone}' (map it in timeZones)`;
  return zoneClock(zone).toInstant(wall);
};

const wallOf = (t: Time): number =>
  Date.UTC(t.year, t.month - 1, t.day, t.isDate ? 0 : t.hour, t.isDate ? 0 : t.minute, t.isDate ? 0 : t.second);

/**
 * An occurrence ends at its start's wall clock plus the event's nominal (wall-clock) length,
 * converted in the start's zone. So a weekly "Mon 07:00 -> Mon 07:00" event hands off at 07:00
 * in DST weeks too. (RFC 5545 3.8.5.3 reads a DTEND-derived length as exact, which would turn
 * every such series into 1 h gaps or double coverage after a DST change — never what the
 * scheduler meant.) If DTEND has another TZID than DTSTART, the exact length is used instead.
 */
const endOf = (
  item: InstanceType<typeof ICAL.Event>,
  occStart: Time,
  startTz: string | undefined,
  mapping: ICalMapping,
  fallbackZone: string,
): number | string => {
  const c = item.component;
  const dtstart = item.startDate;
  const dtend = c.hasProperty('dtend') ? item.endDate : undefined;
  const endTz = tzidOf(c, 'dtend') ?? startTz;
  const sameZone = dtend === undefined || (endTz === startTz && (dtend.zone === ICAL.Timezone.utcTimezone) === (dtstart.zone === ICAL.Timezone.utcTimezone));
  if (!sameZone && dtend !== undefined) {
    const [s0, e0, s] = [toInstant(dtstart, startTz, mapping, fallbackZone), toInstant(dtend, endTz, mapping, fallbackZone), toInstant(occStart, startTz, mapping, fallbackZone)];
    if (typeof s0 === 'string' || typeof e0 === 'string' || typeof s === 'string') return typeof s0 === 'string' ? s0 : String(typeof e0 === 'string' ? e0 : s);
    return s + (e0 - s0);
  }
  const nominal =
    dtend !== undefined
      ? wallOf(dtend) - wallOf(dtstart)
      : c.hasProperty('duration')
        ? item.duration.toSeconds() * 1000
        : dtstart.isDate
          ? 24 * 3_600_000 // RFC 5545 3.6.1: an all-day event without DTEND lasts one day
          : 0;
  const endWall = wallOf(occStart) + nominal;
  return wallToInstant(endWall, occStart.zone === ICAL.Timezone.utcTimezone, startTz, mapping, fallbackZone);
};

const personKey = (event: Component, mapping: ICalMapping): string | undefined => {
  const src = mapping.practitioner.from;
  let values: string[];
  if (src === 'summary') values = [textOf(event.getFirstPropertyValue('summary'))];
  else {
    const p = event.getFirstProperty(src);
    const cn = p?.getParameter('cn');
    values = [textOf(p?.getFirstValue()).replace(/^mailto:/i, ''), typeof cn === 'string' ? cn : ''];
  }
  for (const v of values) {
    if (v === '') continue;
    if (mapping.practitioner.pattern === undefined) return v.trim();
    const m = new RegExp(mapping.practitioner.pattern, 'i').exec(v);
    if (m !== null) return (m[1] ?? m[0]).trim();
  }
  return undefined;
};

const practitionerOf = (event: Component, mapping: ICalMapping): string | undefined => {
  const key = personKey(event, mapping);
  if (key === undefined) return undefined;
  const map = mapping.practitioner.map;
  if (map === undefined) return key;
  const hit = Object.entries(map).find(([k]) => k.toLowerCase() === key.toLowerCase());
  return hit?.[1];
};

const roleOf = (event: Component, mapping: ICalMapping): string | undefined => {
  const summary = textOf(event.getFirstPropertyValue('summary'));
  const cats = event.getAllProperties('categories').flatMap((p) => p.getValues().map(textOf));
  return mapping.rules.find(
    (r) =>
      (r.summary === undefined || new RegExp(r.summary, 'i').test(summary)) &&
      (r.categories === undefined || cats.some((c) => c.toLowerCase() === r.categories?.toLowerCase())),
  )?.role;
};

export const importICalendar = (
  text: string,
  mappingInput: unknown,
  window: { readonly from: number; readonly to: number; readonly defaultTimeZone: string },
): Result<ICalImport, RoutingError> => {
  const mapped = icalMappingSchema.safeParse(mappingInput);
  if (!mapped.success) return err(routingError('ERR_ICAL_INVALID', 'invalid iCalendar mapping', zodIssues(mapped.error)));
  const mapping = mapped.data;
  let root: Component;
  try {
    root = new ICAL.Component(ICAL.parse(text));
  } catch (e) {
    // ical.js reports syntax errors only by throwing; convert at this boundary.
    return err(routingError('ERR_ICAL_SYNTAX', e instanceof Error ? e.message : 'invalid iCalendar'));
  }
  const vevents = root.getAllSubcomponents('vevent');
  const masters = new Map<string, InstanceType<typeof ICAL.Event>>();
  const exceptions: Component[] = [];
  for (const c of vevents) {
    if (c.hasProperty('recurrence-id')) exceptions.push(c);
    else masters.set(textOf(c.getFirstPropertyValue('uid')) || `#${masters.size}`, new ICAL.Event(c));
  }
  for (const ex of exceptions) {
    const master = masters.get(textOf(ex.getFirstPropertyValue('uid')));
    if (master !== undefined) master.relateException(ex);
    else masters.set(`${textOf(ex.getFirstPropertyValue('uid'))}#${masters.size}`, new ICAL.Event(ex));
  }

  const shifts: ImportedShift[] = [];
  const skipped: Issue[] = [];
  for (const [uid, event] of masters) {
    const occurrences: { startDate: Time; endDate: Time; item: InstanceType<typeof ICAL.Event> }[] = [];
    if (event.isRecurring()) {
      const it = event.iterator();
      for (let n = 0, next = it.next(); next && n < MAX_OCCURRENCES_PER_EVENT; n++, next = it.next()) {
        const d = event.getOccurrenceDetails(next);
        const s = toInstant(d.startDate, tzidOf(d.item.component, 'dtstart'), mapping, window.defaultTimeZone);
        if (typeof s === 'number' && s >= window.to) break;
        occurrences.push(d);
      }
    } else occurrences.push({ startDate: event.startDate, endDate: event.endDate, item: event });

    for (const occ of occurrences) {
      const c = occ.item.component;
      const path = `VEVENT ${uid} ${occ.startDate.toString()}`;
      const startTz = tzidOf(c, 'dtstart');
      const start = toInstant(occ.startDate, startTz, mapping, window.defaultTimeZone);
      const end = endOf(occ.item, occ.startDate, startTz, mapping, window.defaultTimeZone);
      if (typeof start === 'string' || typeof end === 'string') {
        skipped.push({ path, message: typeof start === 'string' ? start : String(end) });
        continue;
      }
      if (end <= window.from || start >= window.to) continue;
      const role = roleOf(c, mapping);
      const practitioner = practitionerOf(c, mapping);
      if (role === undefined || practitioner === undefined) {
        skipped.push({ path, message: role === undefined ? 'no mapping rule matches the event' : 'no practitioner found for the event' });
        continue;
      }
      shifts.push({ role, practitioner, start, end, uid, summary: textOf(c.getFirstPropertyValue('summary')) });
    }
  }
  shifts.sort((a, b) => a.start - b.start || (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0));
  return ok({ shifts, skipped });
};

/**
 * Add imported shifts to a schedule as one top layer per role (id `layerId`, replacing a layer
 * with that id), so they win over the role's other layers wherever they have someone.
 */
export const withImportedShifts = (schedule: Schedule, imported: ICalImport, layerId = 'ical'): Schedule => ({
  ...schedule,
  roles: schedule.roles.map((role) => {
    const mine = imported.shifts.filter((s) => s.role === role.id);
    if (mine.length === 0) return role;
    const layer = {
      id: layerId,
      shifts: mine.map((s) => ({ practitioner: s.practitioner, start: new Date(s.start).toISOString(), end: new Date(s.end).toISOString() })),
    };
    return { ...role, layers: [...role.layers.filter((l) => l.id !== layerId), layer] };
  }),
});
