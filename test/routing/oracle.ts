import { DateTime } from 'luxon';
import type { Schedule } from '../../src/routing/index.js';

/**
 * A deliberately naive reference resolver for property tests: luxon for every conversion (no
 * offset tables), linear scans, no compilation. Shares only the documented rules with src/.
 */

const WEEKDAY_NAMES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** Local wall time -> instant by the documented rule, using luxon only. */
export const oracleLocal = (date: DateTime, hhmm: string, zone: string): number => {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  const wall = Date.UTC(date.year, date.month - 1, date.day, h, m);
  const fields = (t: number): number => {
    const d = DateTime.fromMillis(t, { zone });
    return Date.UTC(d.year, d.month - 1, d.day, d.hour, d.minute, d.second);
  };
  // Candidates: every instant within ±16 h whose local fields equal `wall`; the earliest wins.
  const offsets = new Set<number>();
  for (let dt = -16; dt <= 16; dt++) offsets.add(DateTime.fromMillis(wall + dt * 3_600_000, { zone }).offset);
  const hits = [...offsets].map((o) => wall - o * 60_000).filter((t) => fields(t) === wall);
  if (hits.length > 0) return Math.min(...hits);
  // Gap: the first minute whose local time is after `wall`.
  let t = wall - Math.max(...offsets) * 60_000;
  while (fields(t) < wall) t += 60_000;
  // ...then back to the exact transition second.
  while (fields(t - 1000) > wall) t -= 1000;
  return t;
};

const parse = (text: string, zone: string): number => {
  if (/(Z|[+-]\d\d:?\d\d)$/.test(text)) return DateTime.fromISO(text, { setZone: true }).toMillis();
  const d = DateTime.fromISO(text, { zone: 'UTC' });
  return oracleLocal(d, d.toFormat('HH:mm'), zone);
};

const inWindows = (windows: Schedule['roles'][number]['layers'][number]['windows'], t: number, zone: string): boolean => {
  if (windows === undefined) return true;
  const today = DateTime.fromMillis(t, { zone }).startOf('day');
  for (let i = -1; i <= 1; i++) {
    const day = today.plus({ days: i });
    const dayUtc = DateTime.utc(day.year, day.month, day.day);
    for (const w of windows) {
      if (!w.days.includes(WEEKDAY_NAMES[day.weekday - 1] as (typeof w.days)[number])) continue;
      const s = oracleLocal(dayUtc, w.start, zone);
      const e = oracleLocal(w.end <= w.start ? dayUtc.plus({ days: 1 }) : dayUtc, w.end, zone);
      if (s <= t && t < e) return true;
    }
  }
  return false;
};

const rotationAt = (s: Schedule, id: string, t: number): string | null => {
  const r = s.rotations.find((x) => x.id === id);
  if (r === undefined || r.participants.length === 0) return null;
  const period = r.period.count * (r.period.unit === 'week' ? 7 : 1);
  const start = DateTime.fromISO(r.startDate, { zone: 'UTC' });
  const handoff = (k: number): number => oracleLocal(start.plus({ days: k * period }), r.handoffTime, s.timeZone);
  if (t < handoff(0)) return null;
  // Estimate from luxon's calendar-day difference, then step to the exact shift.
  const days = Math.floor(DateTime.fromMillis(t, { zone: s.timeZone }).setZone('UTC', { keepLocalTime: true }).diff(start, 'days').days);
  let k = Math.max(0, Math.floor(days / period) - 1);
  while (k > 0 && handoff(k) > t) k--;
  while (handoff(k + 1) <= t) k++;
  return r.participants[k % r.participants.length] ?? null;
};

export const oraclePrimary = (s: Schedule, roleId: string, t: number): string | null => {
  const overrides = s.overrides.filter((o) => o.role === roleId);
  for (let i = overrides.length - 1; i >= 0; i--) {
    const o = overrides[i];
    if (o !== undefined && parse(o.start, s.timeZone) <= t && t < parse(o.end, s.timeZone)) return o.practitioner;
  }
  const role = s.roles.find((r) => r.id === roleId);
  for (const layer of [...(role?.layers ?? [])].reverse()) {
    if (!inWindows(layer.windows, t, s.timeZone)) continue;
    if (layer.practitioner !== undefined) return layer.practitioner;
    if (layer.rotation !== undefined) {
      const p = rotationAt(s, layer.rotation, t);
      if (p !== null) return p;
    }
    for (const sh of [...(layer.shifts ?? [])].reverse()) {
      if (parse(sh.start, s.timeZone) <= t && t < parse(sh.end, s.timeZone)) return sh.practitioner;
    }
  }
  return null;
};
