import { DAY_MS, readDuration } from '../time/index.js';

/**
 * A delivery wait (`wait`, `ladderWait`, `respondWithin`: `PT20S`, `PT5M`, `P1D`) in milliseconds,
 * read by src/time's one duration reader. A wait is elapsed time — how long nobody answered — so a
 * day here is 24 hours, not the calendar day RFC 5545 gives shifts. NaN when it is not a duration or
 * is negative.
 */
export const durationMs = (text: string): number => {
  const d = readDuration(text);
  return d === undefined || d.sign < 0 ? Number.NaN : d.days * DAY_MS + d.ms;
};
