// FHIR R4 search.html#date: a date parameter value is a range [lo, hi) given by its precision, and the
// prefix says how that range relates to the resource's instant (here meta.lastUpdated). Pure.

export type DatePrefix = 'eq' | 'gt' | 'ge' | 'lt' | 'le';
const PREFIXES: readonly string[] = ['eq', 'gt', 'ge', 'lt', 'le'];

/** Bounds as ISO instants with microseconds (PostgreSQL timestamptz precision), half-open [lo, hi). */
export interface DateFilter {
  prefix: DatePrefix;
  lo: string;
  hi: string;
}

// FHIR R4 datatypes.html#dateTime: YYYY, YYYY-MM, YYYY-MM-DD, or YYYY-MM-DDThh:mm[:ss[.f+]] with a zone.
const DATE_TIME =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

const US_PER_MS = 1000;

/** Epoch microseconds -> 'YYYY-MM-DDThh:mm:ss.ffffffZ' */
export function formatMicros(us: number): string {
  const ms = Math.floor(us / US_PER_MS);
  const rest = us - ms * US_PER_MS;
  const iso = new Date(ms).toISOString(); // ...ss.mmmZ
  return `${iso.slice(0, 23)}${String(rest).padStart(3, '0')}Z`;
}

function zoneOffsetMinutes(zone: string | undefined): number {
  // A time without a zone: FHIR says the server's zone; this server's zone is UTC.
  if (!zone || zone === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  return sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
}

/** [lo, hi) of a dateTime by its precision, in epoch microseconds; undefined when it is not one. */
export function dateRange(value: string): { lo: number; hi: number } | undefined {
  const m = DATE_TIME.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const year = Number(y);
  const month = mo ? Number(mo) - 1 : 0;
  const day = d ? Number(d) : 1;
  // range checks: month 00 or a year before 0100 (which Date.UTC reads as 19YY) would move the date
  if (year < 100 || month < 0 || month > 11 || day < 1 || day > 31) return undefined;
  if (zone && zone !== 'Z' && (Number(zone.slice(1, 3)) > 14 || Number(zone.slice(4, 6)) > 59)) return undefined;
  if (h !== undefined && (Number(h) > 23 || Number(mi) > 59 || Number(s ?? 0) > 59)) return undefined;
  const startMs = Date.UTC(year, month, day, Number(h ?? 0), Number(mi ?? 0), Number(s ?? 0)) - zoneOffsetMinutes(zone) * 60_000;
  if (new Date(Date.UTC(year, month, day)).getUTCDate() !== day) return undefined; // 2024-02-30
  if (h === undefined) {
    // date precision (no zone: the UTC calendar day / month / year)
    const endMs = d ? Date.UTC(year, month, day + 1) : mo ? Date.UTC(year, month + 1, 1) : Date.UTC(year + 1, 0, 1);
    return { lo: startMs * US_PER_MS, hi: endMs * US_PER_MS };
  }
  const lo = startMs * US_PER_MS + (frac ? Number(frac.padEnd(6, '0')) : 0);
  const step = frac ? 10 ** (6 - frac.length) : s !== undefined ? 1_000_000 : 60_000_000;
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
