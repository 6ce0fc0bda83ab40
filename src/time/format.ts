import { MINUTE_MS, WEEKDAYS, wallDay, wallFields, weekdayIndex } from './civil.js';
import { zoneClock, type ZoneClock } from './zone.js';

/** Writing instants and offsets: every instant the gateway prints goes through here. */

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** Minutes east of UTC -> `+hh:mm` / `-hh:mm`. */
export const formatOffset = (minutes: number): string => {
  const abs = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
};

/**
 * The offset a local wall time is read with in a zone, by the RFC 5545 rule (zone.ts): in a gap,
 * the offset before it; in an overlap, the first occurrence's. Minutes east of UTC.
 */
export const offsetOfWall = (clock: ZoneClock, wall: number): number => Math.round((wall - clock.toInstant(wall)) / MINUTE_MS);

const dateTimeOf = (wall: number): string => {
  const f = wallFields(wall);
  const ms = f.millisecond === 0 ? '' : `.${pad(f.millisecond, 3)}`;
  return `${pad(f.year, 4)}-${pad(f.month)}-${pad(f.day)}T${pad(f.hour)}:${pad(f.minute)}:${pad(f.second)}${ms}`;
};

/**
 * Epoch ms -> ISO 8601 in the zone with its offset, seconds precision, milliseconds only when not
 * zero ("2025-03-09T07:00:00-07:00"); the zone `UTC` is written with `Z`.
 */
export const formatInstant = (t: number, zone: string): string => {
  const clock = zoneClock(zone);
  const offset = clock.offsetAt(t);
  const suffix = offset === 0 && zone === 'UTC' ? 'Z' : formatOffset(Math.round(offset / MINUTE_MS));
  return `${dateTimeOf(t + offset)}${suffix}`;
};

const DAY_NAMES = WEEKDAYS.map((d) => d[0]!.toUpperCase() + d.slice(1));
const zoneNames = new Map<string, Intl.DateTimeFormat>();

/** The zone's short name at `t` ("EDT", "GMT+1"), as Intl's en-US locale writes it. */
const shortZoneName = (t: number, zone: string): string => {
  let f = zoneNames.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'short' });
    zoneNames.set(zone, f);
  }
  return f.formatToParts(new Date(t)).find((p) => p.type === 'timeZoneName')?.value ?? '';
};

/** Epoch ms -> "Sat 2025-03-08 07:00" in the zone (with `zoneName`: "Sat 2025-03-08 07:00 EST"), for people. */
export const formatLocal = (t: number, zone: string, opts: { readonly zoneName?: boolean } = {}): string => {
  const clock = zoneClock(zone);
  const wall = clock.toLocal(t);
  const f = wallFields(wall);
  const text = `${DAY_NAMES[weekdayIndex(wallDay(wall))] ?? ''} ${pad(f.year, 4)}-${pad(f.month)}-${pad(f.day)} ${pad(f.hour)}:${pad(f.minute)}`;
  return opts.zoneName === true ? `${text} ${shortZoneName(t, clock.name)}` : text;
};
