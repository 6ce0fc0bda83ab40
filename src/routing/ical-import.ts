import ICAL from 'ical.js';
import { z } from 'zod';
import { DAY_MS, formatInstant, HOUR_MS, isValidZone, MINUTE_MS, readIsoDateTime, SECOND_MS, addDuration, wallTime, zoneClock, type Duration, type ZoneClock } from '../time/index.js';
import { err, ok, routingError, type Issue, type Result, type RoutingError } from './errors.js';
import { scanICalendar } from './ical-scan.js';
import { zodIssues } from './parse-schedule.js';
import type { Schedule } from './schedule-schema.js';
import { table } from '../text/index.js';

/**
 * Import an iCalendar (RFC 5545) feed as exported by physician scheduling systems into role
 * shifts (README.md "On-call schedules and routing" "iCalendar import"). ical.js parses and
 * expands recurrences (RRULE, RDATE, EXDATE; RECURRENCE-ID instances replace the occurrence they
 * name); every wall-clock time is turned into an instant by src/time (one zone engine: the feed's
 * VTIMEZONE definitions are set aside, and UTC-valued UNTIL / EXDATE / RECURRENCE-ID are moved
 * into the event's own zone first). Times are read in the event's TZID (an IANA name, or mapped
 * with `timeZones`), UTC for `Z` times, else `defaultTimeZone`; a local time in a DST gap takes
 * the offset before the gap (RFC 5545 3.3.5).
 *
 * Length of an occurrence:
 *  - `DURATION`: RFC 5545 3.3.6 — days and weeks nominal, hours, minutes and seconds exact
 *    (`PT1H` is one elapsed hour, `P1D` the same local time the next day);
 *  - `DTEND` in the zone of DTSTART: each occurrence ends at its start's wall clock plus the
 *    event's wall-clock length, so a weekly "Mon 07:00 -> Mon 07:00" series hands off at 07:00 in
 *    DST weeks too, as calendar clients display it and as a JSON rotation means it. (RFC 5545
 *    3.8.5.3 applies DTEND's exact length to every instance, which would put a one-hour gap or
 *    overlap after every DST change into such a series.) With another zone on DTEND, the exact
 *    length is used;
 *  - neither: an all-day event lasts one day (RFC 5545 3.6.1), a timed one is empty (skipped).
 */

/** Longest user regex in a mapping, characters (they run against every event's text). */
const MAX_PATTERN_CHARS = 200;
/** Event text (SUMMARY, CATEGORIES...) matched against mapping patterns is cut to this, characters. */
const MAX_MATCH_CHARS = 1000;

const regex = z
  .string()
  .max(MAX_PATTERN_CHARS)
  .refine((s) => {
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
    .array(z.object({ summary: regex.optional(), categories: z.string().max(200).optional(), role: z.string().min(1).max(200) }))
    .min(1)
    .max(100),
  practitioner: z.object({
    /** Where the practitioner is named: first ATTENDEE, ORGANIZER (mailto address or CN), or SUMMARY text. */
    from: z.enum(['attendee', 'organizer', 'summary']),
    /** Regex whose first capture group (or whole match) is the key; default: the whole value. */
    pattern: regex.optional(),
    /** key (case-insensitive) -> practitioner id; without a map the key is the practitioner id. */
    map: z.record(z.string().max(200), z.string().max(200)).optional(),
  }),
  /** Non-IANA TZIDs (e.g. Windows names) -> IANA zone. */
  timeZones: z.record(z.string().max(200), z.string().max(64)).default({}).transform(table), // TZID is outside text
});
export type ICalMapping = z.output<typeof icalMappingSchema>;

export interface ImportedShift {
  readonly role: string;
  readonly practitioner: string;
  readonly start: number;
  readonly end: number;
  /** Line of the event's BEGIN:VEVENT in the feed. */
  readonly line: number;
  /** The mapping rule that gave the role (`mapping.rules[rule]`). */
  readonly rule: number;
}

export interface ICalImport {
  /** Sorted by start, then line. */
  readonly shifts: readonly ImportedShift[];
  /** Events that could not be mapped (no rule, unknown person, unknown zone): never dropped silently. */
  readonly skipped: readonly Issue[];
  /** Occurrences expanded (inside the window or not). */
  readonly occurrences: number;
}

export interface ImportWindow {
  /** Occurrences overlapping [from, to) are imported, epoch ms. */
  readonly from: number;
  readonly to: number;
  readonly defaultTimeZone: string;
  /** Most occurrences one import may expand, across all its events (default MAX_IMPORT_OCCURRENCES). */
  readonly maxOccurrences?: number;
}

/**
 * Occurrences one import may expand in all, counting those before `from`: a year of daily shifts
 * for 50 roles is 18,250; a feed that expands to more is refused, never truncated.
 */
export const MAX_IMPORT_OCCURRENCES = 50_000;
/** Widest import window: two years. */
export const MAX_IMPORT_RANGE_MS = 2 * 366 * DAY_MS;

type Time = InstanceType<typeof ICAL.Time>;
type Component = InstanceType<typeof ICAL.Component>;
type Event = InstanceType<typeof ICAL.Event>;

const textOf = (v: unknown): string => (typeof v === 'string' ? v.slice(0, MAX_MATCH_CHARS) : '');
const isUtc = (t: Time): boolean => t.zone === ICAL.Timezone.utcTimezone;
const wallOf = (t: Time): number => wallTime(t.year, t.month, t.day, t.isDate ? 0 : t.hour, t.isDate ? 0 : t.minute, t.isDate ? 0 : t.second);

/**
 * DTSTART, DTEND, RECURRENCE-ID, EXDATE and RDATE name real dates and times by src/time's calendar
 * rule. ical.js rolls 20240230 over to March 1 (and 20240015 to 2023-12-15) when it reads a value,
 * so the text it parsed (jCal: `2024-02-30T07:00:00`) is checked before that.
 */
const realTimes = (c: Component): boolean =>
  ['dtstart', 'dtend', 'recurrence-id', 'exdate', 'rdate'].every((name) =>
    c.getAllProperties(name).every((p) => {
      const [, , type, ...values] = p.jCal as unknown[];
      if (type !== 'date-time' && type !== 'date') return true;
      return values.every((v) => typeof v === 'string' && readIsoDateTime(v) !== undefined);
    }),
  );

const tzidOf = (c: Component, prop: string): string | undefined => {
  const tz = c.getFirstProperty(prop)?.getParameter('tzid');
  return typeof tz === 'string' ? tz : undefined;
};

const ZONE_UNKNOWN = 'the TZID is not an IANA time zone: map it in the mapping\'s timeZones';

/** The clock of a time's zone: UTC, its TZID (mapped), or the default; a string when unknown. */
const clockOf = (utc: boolean, tzid: string | undefined, mapping: ICalMapping, fallback: string): ZoneClock | string => {
  if (utc) return zoneClock('UTC');
  const zone = tzid === undefined ? fallback : (mapping.timeZones[tzid] ?? tzid);
  return isValidZone(zone) ? zoneClock(zone) : ZONE_UNKNOWN;
};

const nominalDuration = (d: InstanceType<typeof ICAL.Duration>): Duration => ({
  sign: d.isNegative ? -1 : 1,
  days: d.weeks * 7 + d.days,
  ms: d.hours * HOUR_MS + d.minutes * MINUTE_MS + d.seconds * SECOND_MS,
});

/** [start, end) of one occurrence (see the header for how its length is read). */
const spanOf = (item: Event, occStart: Time, mapping: ICalMapping, fallback: string): { start: number; end: number } | string => {
  const c = item.component;
  const startTz = tzidOf(c, 'dtstart');
  const clock = clockOf(isUtc(occStart), startTz, mapping, fallback);
  if (typeof clock === 'string') return clock;
  const start = clock.toInstant(wallOf(occStart));
  if (c.hasProperty('dtend')) {
    const dtstart = item.startDate;
    const dtend = item.endDate;
    const endTz = tzidOf(c, 'dtend');
    if ((endTz ?? startTz) === startTz && isUtc(dtend) === isUtc(dtstart)) {
      return { start, end: clock.toInstant(wallOf(occStart) + wallOf(dtend) - wallOf(dtstart)) };
    }
    const endClock = clockOf(isUtc(dtend), endTz, mapping, fallback);
    const startClock = clockOf(isUtc(dtstart), startTz, mapping, fallback);
    if (typeof endClock === 'string' || typeof startClock === 'string') return ZONE_UNKNOWN;
    return { start, end: start + endClock.toInstant(wallOf(dtend)) - startClock.toInstant(wallOf(dtstart)) };
  }
  if (c.hasProperty('duration')) return { start, end: addDuration(start, nominalDuration(item.duration), clock) };
  return { start, end: occStart.isDate ? addDuration(start, { sign: 1, days: 1, ms: 0 }, clock) : start };
};

/**
 * Moves a UTC (or other-zone) date-time value into `clock`'s wall time, as a floating ical.js
 * time: with the feed's VTIMEZONEs set aside, ical.js compares wall times, so UNTIL, EXDATE and
 * RECURRENCE-ID must be in the same wall clock as DTSTART. src/time does the conversion.
 */
const toWallOf = (t: Time, from: ZoneClock, clock: ZoneClock): Time => {
  const wall = clock.toLocal(from.toInstant(wallOf(t)));
  const d = new Date(wall);
  return ICAL.Time.fromData({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(), isDate: false });
};

/** Puts UNTIL, EXDATE, RDATE and RECURRENCE-ID of an event in the wall clock of its DTSTART. */
const normaliseZones = (c: Component, mapping: ICalMapping, fallback: string): void => {
  const dtstart = c.getFirstPropertyValue('dtstart');
  if (!(dtstart instanceof ICAL.Time) || dtstart.isDate || isUtc(dtstart)) return;
  const clock = clockOf(false, tzidOf(c, 'dtstart'), mapping, fallback);
  if (typeof clock === 'string') return;
  const startTz = tzidOf(c, 'dtstart');
  const other = (t: Time, tzid: string | undefined): ZoneClock | undefined => {
    if (t.isDate) return undefined;
    if (isUtc(t)) return zoneClock('UTC');
    if (tzid === startTz || tzid === undefined) return undefined;
    const zone = clockOf(false, tzid, mapping, fallback);
    return typeof zone === 'string' ? undefined : zone;
  };
  for (const p of c.getAllProperties('rrule')) {
    const recur = p.getFirstValue();
    if (recur instanceof ICAL.Recur && recur.until !== null && isUtc(recur.until) && !recur.until.isDate) {
      recur.until = toWallOf(recur.until, zoneClock('UTC'), clock);
    }
  }
  for (const name of ['exdate', 'rdate', 'recurrence-id']) {
    for (const p of c.getAllProperties(name)) {
      const tzid = p.getParameter('tzid');
      const values = p.getValues();
      let changed = false;
      const next = values.map((v) => {
        if (!(v instanceof ICAL.Time)) return v;
        const from = other(v, typeof tzid === 'string' ? tzid : undefined);
        if (from === undefined) return v;
        changed = true;
        return toWallOf(v, from, clock);
      });
      if (changed) {
        p.removeParameter('tzid');
        if (next.length === 1) p.setValue(next[0] as Time);
        else p.setValues(next);
      }
    }
  }
};

interface Matchers {
  readonly rules: readonly { readonly summary: RegExp | undefined; readonly categories: string | undefined }[];
  readonly person: RegExp | undefined;
  readonly map: ReadonlyMap<string, string> | undefined;
}

const matchersOf = (m: ICalMapping): Matchers => ({
  rules: m.rules.map((r) => ({ summary: r.summary === undefined ? undefined : new RegExp(r.summary, 'i'), categories: r.categories?.toLowerCase() })),
  person: m.practitioner.pattern === undefined ? undefined : new RegExp(m.practitioner.pattern, 'i'),
  map: m.practitioner.map === undefined ? undefined : new Map(Object.entries(m.practitioner.map).map(([k, v]) => [k.toLowerCase(), v])),
});

const practitionerOf = (event: Component, mapping: ICalMapping, m: Matchers): string | undefined => {
  const src = mapping.practitioner.from;
  let values: string[];
  if (src === 'summary') values = [textOf(event.getFirstPropertyValue('summary'))];
  else {
    const p = event.getFirstProperty(src);
    const cn = p?.getParameter('cn');
    values = [textOf(p?.getFirstValue()).replace(/^mailto:/i, ''), typeof cn === 'string' ? textOf(cn) : ''];
  }
  let key: string | undefined;
  for (const v of values) {
    if (v === '') continue;
    if (m.person === undefined) key = v.trim();
    else {
      const hit = m.person.exec(v);
      if (hit !== null) key = (hit[1] ?? hit[0]).trim();
    }
    if (key !== undefined) break;
  }
  if (key === undefined || m.map === undefined) return key;
  return m.map.get(key.toLowerCase());
};

const ruleOf = (event: Component, m: Matchers): number => {
  const summary = textOf(event.getFirstPropertyValue('summary'));
  const cats = event.getAllProperties('categories').flatMap((p) => p.getValues().map((v) => textOf(v).toLowerCase()));
  return m.rules.findIndex((r) => (r.summary === undefined || r.summary.test(summary)) && (r.categories === undefined || cats.includes(r.categories)));
};

export const importICalendar = (text: string, mappingInput: unknown, window: ImportWindow): Result<ICalImport, RoutingError> => {
  const mapped = icalMappingSchema.safeParse(mappingInput);
  if (!mapped.success) return err(routingError('ERR_ICAL_INVALID', 'invalid iCalendar mapping', zodIssues(mapped.error, 'mapping')));
  if (!(window.to > window.from) || window.to - window.from > MAX_IMPORT_RANGE_MS) {
    return err(routingError('ERR_RANGE_INVALID', 'the import range must be non-empty and at most two years'));
  }
  const mapping = mapped.data;
  const scanned = scanICalendar(text);
  if (!scanned.ok) return err(routingError('ERR_ICAL_SYNTAX', `not a valid iCalendar document: line ${scanned.line}: ${scanned.problem}`, [{ path: `line ${scanned.line}`, message: scanned.problem }]));
  let root: Component;
  try {
    root = new ICAL.Component(ICAL.parse(text));
  } catch {
    // ical.js reports syntax errors only by throwing, with the line quoted: not passed on
    return err(routingError('ERR_ICAL_SYNTAX', 'not a valid iCalendar document (RFC 5545)'));
  }
  // One zone engine: the feed's own VTIMEZONE rules are not used (src/time reads every TZID).
  root.removeAllSubcomponents('vtimezone');
  const matchers = matchersOf(mapping);
  const maxOccurrences = window.maxOccurrences ?? MAX_IMPORT_OCCURRENCES;

  const vevents = root.getAllSubcomponents('vevent').map((c, i) => ({ c, line: scanned.eventLines[i] ?? 0 }));
  const masters: { event: Event; line: number }[] = [];
  const byUid = new Map<string, Event>();
  const skipped: Issue[] = [];
  const where = (line: number): string => `VEVENT at line ${line}`;
  const unreadable = (line: number): void => {
    // ical.js reads values and rules lazily and reports bad ones only by throwing
    skipped.push({ path: where(line), message: 'the event\'s times or recurrence rule cannot be read' });
  };
  // Masters first, then the instances (RECURRENCE-ID) that replace one of their occurrences.
  for (const pass of ['masters', 'instances'] as const) {
    for (const { c, line } of vevents) {
      if (c.hasProperty('recurrence-id') !== (pass === 'instances')) continue;
      try {
        if (!realTimes(c)) {
          skipped.push({ path: where(line), message: 'a DTSTART, DTEND, RECURRENCE-ID, EXDATE or RDATE is not a real date and time' });
          continue;
        }
        normaliseZones(c, mapping, window.defaultTimeZone);
        const uid = textOf(c.getFirstPropertyValue('uid'));
        const master = uid === '' ? undefined : byUid.get(uid);
        if (pass === 'instances' && master !== undefined) master.relateException(c);
        else {
          const event = new ICAL.Event(c);
          masters.push({ event, line });
          if (uid !== '' && !byUid.has(uid)) byUid.set(uid, event);
        }
      } catch {
        unreadable(line);
      }
    }
  }

  const shifts: ImportedShift[] = [];
  let occurrences = 0;
  const tooMany = (): Result<ICalImport, RoutingError> =>
    err(routingError('ERR_ICAL_TOO_MANY_OCCURRENCES', `the feed expands to more than ${maxOccurrences} occurrences (SCHEDULE_IMPORT_MAX_OCCURRENCES); narrow from/to or split the feed`));
  for (const { event, line } of masters) {
    try {
      const list: { span: { start: number; end: number } | string; item: Event }[] = [];
      if (event.isRecurring()) {
        const it = event.iterator();
        // without RECURRENCE-ID instances every occurrence is the master's own (getOccurrenceDetails
        // would clone and convert each time for nothing: it was most of the expansion's cost)
        const plain = Object.keys(event.exceptions).length === 0;
        for (let next = it.next(); next; next = it.next()) {
          if (++occurrences > maxOccurrences) return tooMany();
          const d = plain ? { item: event, startDate: next } : event.getOccurrenceDetails(next);
          const span = spanOf(d.item, d.startDate, mapping, window.defaultTimeZone);
          if (typeof span !== 'string' && span.start >= window.to) break;
          list.push({ span, item: d.item });
        }
      } else {
        if (++occurrences > maxOccurrences) return tooMany();
        list.push({ span: spanOf(event, event.startDate, mapping, window.defaultTimeZone), item: event });
      }
      for (const { span, item } of list) {
        if (typeof span === 'string') {
          skipped.push({ path: where(line), message: span });
          continue;
        }
        if (span.end <= window.from || span.start >= window.to) continue;
        const path = `${where(line)}, occurrence ${formatInstant(span.start, 'UTC')}`;
        if (!(span.end > span.start)) {
          skipped.push({ path, message: 'the occurrence has no length (DTEND or DURATION missing or not after DTSTART)' });
          continue;
        }
        const c = item.component;
        const rule = ruleOf(c, matchers);
        const role = mapping.rules[rule]?.role;
        const practitioner = practitionerOf(c, mapping, matchers);
        if (role === undefined || practitioner === undefined) {
          skipped.push({ path, message: role === undefined ? 'no mapping rule matches the event' : 'no practitioner found for the event' });
          continue;
        }
        shifts.push({ role, practitioner, start: span.start, end: span.end, line, rule });
      }
    } catch {
      unreadable(line);
    }
  }
  shifts.sort((a, b) => a.start - b.start || a.line - b.line);
  return ok({ shifts, skipped, occurrences });
};

/**
 * Add imported shifts to a schedule as one top layer per role (id `layerId`, replacing a layer
 * with that id), so they win over the role's other layers wherever they have someone.
 */
export const withImportedShifts = (schedule: Schedule, imported: Pick<ICalImport, 'shifts'>, layerId = 'ical'): Schedule => ({
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
