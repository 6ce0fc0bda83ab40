import { DateTime } from 'luxon';
import type { Schedule } from '../../src/routing/index.js';

/**
 * A deliberately naive reference resolver for property tests: luxon for every conversion (no
 * offset tables), linear scans, no compilation, a turn counter that walks day by day. Shares only
 * the documented rules with src/ (README.md "On-call schedules and routing").
 */

const WEEKDAY_NAMES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const MINUTE = 60_000;

type Window = NonNullable<Schedule['roles'][number]['layers'][number]['windows']>[number];

const fieldsOf = (t: number, zone: string): number => {
  const d = DateTime.fromMillis(t, { zone });
  return Date.UTC(d.year, d.month - 1, d.day, d.hour, d.minute, d.second);
};

/**
 * Local wall time -> instant by the documented rule (RFC 5545 3.3.5), luxon only: the earliest
 * instant whose local fields are `wall`; in a gap, `wall` read with the offset in force just
 * before the gap.
 */
const memo = new Map<string, number>();

export const oracleWall = (wall: number, zone: string): number => {
  const key = `${zone}|${wall}`;
  const hit = memo.get(key);
  if (hit !== undefined) return hit;
  const t = wallToInstant(wall, zone);
  if (memo.size > 200_000) memo.clear();
  memo.set(key, t);
  return t;
};

const wallToInstant = (wall: number, zone: string): number => {
  const offsets = new Set<number>();
  for (let dt = -26; dt <= 26; dt++) offsets.add(DateTime.fromMillis(wall + dt * 3_600_000, { zone }).offset);
  const hits = [...offsets].map((o) => wall - o * MINUTE).filter((t) => fieldsOf(t, zone) === wall);
  if (hits.length > 0) return Math.min(...hits);
  let t = wall - Math.max(...offsets) * MINUTE;
  while (fieldsOf(t, zone) < wall) t += MINUTE;
  return wall - DateTime.fromMillis(t - MINUTE, { zone }).offset * MINUTE;
};

/** A calendar date (its UTC fields) at HH:MM local in `zone`. */
export const oracleLocal = (date: DateTime, hhmm: string, zone: string): number => {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return oracleWall(Date.UTC(date.year, date.month - 1, date.day, h, m), zone);
};

const parse = (text: string, zone: string): number => {
  if (/(Z|[+-]\d\d:?\d\d)$/.test(text)) return DateTime.fromISO(text, { setZone: true }).toMillis();
  const d = DateTime.fromISO(text, { zone: 'UTC' });
  return oracleWall(d.toMillis(), zone);
};

/** start + an ISO duration: days/weeks on the local calendar (kept local time), then h/m/s elapsed. */
const plusDuration = (start: number, duration: string, zone: string): number => {
  const m = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(duration);
  if (m === null) throw new Error(`oracle: bad duration ${duration}`);
  const days = Number(m[1] ?? 0) * 7 + Number(m[2] ?? 0);
  const exact = (Number(m[3] ?? 0) * 3600 + Number(m[4] ?? 0) * 60 + Number(m[5] ?? 0)) * 1000;
  const local = DateTime.fromMillis(start, { zone });
  const moved = days === 0 ? start : oracleWall(Date.UTC(local.year, local.month - 1, local.day + days, local.hour, local.minute, local.second), zone);
  return moved + exact;
};

const span = (item: { start: string; end?: string | undefined; duration?: string | undefined }, zone: string): [number, number] => {
  const s = parse(item.start, zone);
  return [s, item.end !== undefined ? parse(item.end, zone) : plusDuration(s, item.duration ?? '', zone)];
};

/** The instances of weekly windows that start on `day` (a UTC-fields calendar date), in `zone`. */
const instancesOn = (windows: readonly Window[], day: DateTime, zone: string): { start: number; end: number; minute: number }[] =>
  windows
    .filter((w) => w.days.includes(WEEKDAY_NAMES[day.weekday - 1] as Window['days'][number]))
    .map((w) => ({
      start: oracleLocal(day, w.start, zone),
      end: oracleLocal(w.end <= w.start ? day.plus({ days: 1 }) : day, w.end, zone),
      minute: Number(w.start.slice(0, 2)) * 60 + Number(w.start.slice(3)),
    }));

const inWindows = (windows: readonly Window[] | undefined, t: number, zone: string): boolean => {
  if (windows === undefined) return true;
  const today = DateTime.fromMillis(t, { zone });
  const base = DateTime.utc(today.year, today.month, today.day);
  for (let i = -1; i <= 1; i++) {
    for (const w of instancesOn(windows, base.plus({ days: i }), zone)) if (w.start <= t && t < w.end) return true;
  }
  return false;
};

const rotationAt = (s: Schedule, id: string, t: number): string | null => {
  const r = s.rotations.find((x) => x.id === id);
  if (r === undefined || r.participants.length === 0) return null;
  const zone = r.timeZone ?? s.timeZone;
  const start = DateTime.fromISO(r.startDate, { zone: 'UTC' });
  if (r.advance === 'per-window') {
    // walk every day from startDate, numbering the window instances in the order they start
    const last = DateTime.fromMillis(t, { zone });
    const lastDay = DateTime.utc(last.year, last.month, last.day).plus({ days: 1 });
    let turn = 0;
    let found: { start: number; turn: number } | null = null;
    for (let day = start; day <= lastDay; day = day.plus({ days: 1 })) {
      const today = instancesOn(r.windows ?? [], day, zone).sort((a, b) => a.minute - b.minute);
      for (const w of today) {
        if (w.start <= t && t < w.end && (found === null || w.start >= found.start)) found = { start: w.start, turn };
        turn++;
      }
    }
    return found === null ? null : (r.participants[found.turn % r.participants.length] ?? null);
  }
  const period = (r.period?.count ?? 1) * (r.period?.unit === 'week' ? 7 : 1);
  const handoff = (k: number): number => oracleLocal(start.plus({ days: k * period }), r.handoffTime ?? '00:00', zone);
  if (t < handoff(0)) return null;
  // Estimate from luxon's calendar-day difference, then step to the exact shift.
  const days = Math.floor(DateTime.fromMillis(t, { zone }).setZone('UTC', { keepLocalTime: true }).diff(start, 'days').days);
  let k = Math.max(0, Math.floor(days / period) - 1);
  while (k > 0 && handoff(k) > t) k--;
  while (handoff(k + 1) <= t) k++;
  return r.participants[k % r.participants.length] ?? null;
};

export const oraclePrimary = (s: Schedule, roleId: string, t: number): string | null => {
  const overrides = s.overrides.filter((o) => o.role === roleId);
  for (let i = overrides.length - 1; i >= 0; i--) {
    const o = overrides[i];
    if (o === undefined) continue;
    const [a, b] = span(o, o.timeZone ?? s.timeZone);
    if (a <= t && t < b) return o.practitioner;
  }
  const role = s.roles.find((r) => r.id === roleId);
  for (const layer of [...(role?.layers ?? [])].reverse()) {
    const zone = layer.timeZone ?? s.timeZone;
    if (!inWindows(layer.windows, t, zone)) continue;
    if (layer.practitioner !== undefined) return layer.practitioner;
    if (layer.rotation !== undefined) {
      const p = rotationAt(s, layer.rotation, t);
      if (p !== null) return p;
    }
    for (const sh of [...(layer.shifts ?? [])].reverse()) {
      const [a, b] = span(sh, zone);
      if (a <= t && t < b) return sh.practitioner;
    }
  }
  return null;
};

/**
 * Every instant in [from, to] where the naive primary may change: each local HH:MM the schedule
 * names, on every day of the range, in every zone it uses, plus every written instant. Between two
 * consecutive candidates nothing the schedule says can change.
 */
export const oracleCandidates = (s: Schedule, from: number, to: number): number[] => {
  const zones = new Set([s.timeZone, ...s.rotations.map((r) => r.timeZone ?? s.timeZone), ...s.roles.flatMap((r) => r.layers.map((l) => l.timeZone ?? s.timeZone))]);
  const times = new Set<string>();
  for (const r of s.rotations) {
    if (r.handoffTime !== undefined) times.add(r.handoffTime);
    for (const w of r.windows ?? []) times.add(w.start).add(w.end);
  }
  for (const l of s.roles.flatMap((r) => r.layers)) for (const w of l.windows ?? []) times.add(w.start).add(w.end);
  const out = new Set<number>([from, to]);
  for (const zone of zones) {
    const first = DateTime.fromMillis(from, { zone });
    for (let day = DateTime.utc(first.year, first.month, first.day).minus({ days: 1 }); day.toMillis() <= to + 86_400_000 * 2; day = day.plus({ days: 1 })) {
      for (const hhmm of times) out.add(oracleLocal(day, hhmm, zone));
    }
  }
  for (const o of s.overrides) for (const t of span(o, o.timeZone ?? s.timeZone)) out.add(t);
  for (const l of s.roles.flatMap((r) => r.layers)) for (const sh of l.shifts ?? []) for (const t of span(sh, l.timeZone ?? s.timeZone)) out.add(t);
  return [...out].filter((t) => t >= from && t <= to).sort((a, b) => a - b);
};

/** The first candidate instant after `at` (up to `to`) whose naive primary is someone else, or null. */
export const oracleNext = (s: Schedule, roleId: string, at: number, to: number): { at: number; primary: string | null } | null => {
  const now = oraclePrimary(s, roleId, at);
  for (const t of oracleCandidates(s, at, to)) {
    if (t <= at) continue;
    const p = oraclePrimary(s, roleId, t);
    if (p !== now) return { at: t, primary: p };
  }
  return null;
};
