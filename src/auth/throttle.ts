// Failed sign-ins slow the next ones down: per username (known or not, so a lockout says nothing of
// whether an account exists) and per client address. The first few failures cost nothing; after
// them each failure locks the key for a doubling time, capped. A failure count is forgotten after a
// quiet period; a success clears the username's count (never the address's: one good account must
// not reset a guesser's budget). Pure: the store applies the counts.

export interface ThrottlePolicy {
  /** failures that lock nothing */
  free: number;
  /** the first lock, ms; each further failure doubles it */
  baseMs: number;
  maxMs: number;
  /** a count with no failure for this long starts again from zero, ms */
  forgetMs: number;
}

/** OWASP Authentication Cheat Sheet (account lockout): 5 free tries, then 30 s, 1 min, 2 min … up to 15 min. */
export const ACCOUNT_THROTTLE: ThrottlePolicy = { free: 5, baseMs: 30_000, maxMs: 15 * 60_000, forgetMs: 24 * 3_600_000 };
/** An address may hold many people (a ward behind one NAT): 20 free tries, same backoff, forgotten after an hour. */
export const ADDRESS_THROTTLE: ThrottlePolicy = { free: 20, baseMs: 30_000, maxMs: 15 * 60_000, forgetMs: 3_600_000 };

/** How long a key is locked after its `failures`-th failure (0: not locked). */
export function lockMs(failures: number, p: ThrottlePolicy): number {
  if (failures < p.free) return 0;
  const doublings = Math.min(failures - p.free, 30);
  return Math.min(p.baseMs * 2 ** doublings, p.maxMs);
}

/** Whole seconds until `until` (at least 1), for Retry-After (RFC 9110 10.2.3). */
export const retryAfterS = (until: Date, now: Date): number => Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000));
