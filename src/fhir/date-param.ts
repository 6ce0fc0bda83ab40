// FHIR R4 search.html#date: a date parameter value is a range [lo, hi) given by its precision, and the
// prefix says how that range relates to the resource's instant (here meta.lastUpdated). Pure.
// Reading the value (which dates and times exist, offsets) is src/time's one rule: 2024-00-15 and
// 2024-02-30 are not dates, so they are refused (a 400), never rolled into another month.
import { MINUTE_MS, readIsoDateTime, wallFields, wallTime } from '../time/index.js';

export type DatePrefix = 'eq' | 'gt' | 'ge' | 'lt' | 'le';
const PREFIXES: readonly string[] = ['eq', 'gt', 'ge', 'lt', 'le'];

/** Bounds as ISO instants with microseconds (PostgreSQL timestamptz precision), half-open [lo, hi). */
export interface DateFilter {
  prefix: DatePrefix;
  lo: string;
  hi: string;
}

const US_PER_MS = 1000;
/** PostgreSQL timestamptz keeps microseconds: more fraction digits cannot be searched on. */
const MAX_FRACTION_DIGITS = 6;

/** Epoch microseconds -> 'YYYY-MM-DDThh:mm:ss.ffffffZ' */
export function formatMicros(us: number): string {
  const ms = Math.floor(us / US_PER_MS);
  const rest = us - ms * US_PER_MS;
  const iso = new Date(ms).toISOString(); // ...ss.mmmZ
  return `${iso.slice(0, 23)}${String(rest).padStart(3, '0')}Z`;
}

/** [lo, hi) of a dateTime by its precision, in epoch microseconds; undefined when it is not one. */
export function dateRange(value: string): { lo: number; hi: number } | undefined {
  const t = readIsoDateTime(value, { maxFractionDigits: MAX_FRACTION_DIGITS });
  if (t === undefined) return undefined;
  // A time without a zone: FHIR says the server's zone; this server's zone is UTC.
  const startMs = t.wall - (t.offsetMinutes ?? 0) * MINUTE_MS;
  if (t.precision === 'year' || t.precision === 'month' || t.precision === 'day') {
    // date precision (no zone: the UTC calendar day / month / year)
    const f = wallFields(t.wall);
    const endMs =
      t.precision === 'day' ? startMs + 24 * 60 * MINUTE_MS
        : t.precision === 'month' ? (f.month === 12 ? wallTime(f.year + 1, 1, 1) : wallTime(f.year, f.month + 1, 1))
          : wallTime(f.year + 1, 1, 1);
    return { lo: startMs * US_PER_MS, hi: endMs * US_PER_MS };
  }
  // whole milliseconds from the wall value, the rest of the fraction as microseconds
  const frac = t.fraction;
  const lo = (startMs - (frac === '' ? 0 : Number(frac.slice(0, 3).padEnd(3, '0')))) * US_PER_MS + (frac === '' ? 0 : Number(frac.padEnd(6, '0')));
  const step = frac !== '' ? 10 ** (6 - frac.length) : t.precision === 'second' ? 1_000_000 : 60_000_000;
  return { lo, hi: lo + step };
}

/** `[prefix]value`; undefined when the prefix or the value is not valid. */
export function parseDateParam(raw: string): DateFilter | undefined {
  const hasPrefix = /^[a-z]{2}/.test(raw);
  const prefix = hasPrefix ? raw.slice(0, 2) : 'eq';
  if (!PREFIXES.includes(prefix)) return undefined;
  const range = dateRange(hasPrefix ? raw.slice(2) : raw);
  return range ? { prefix: prefix as DatePrefix, lo: formatMicros(range.lo), hi: formatMicros(range.hi) } : undefined;
}
