// Retry timing for channel sends (pure): exponential backoff with "equal jitter" (AWS Architecture
// Blog, "Exponential Backoff And Jitter"): a random delay in [base·2^(n-1) / 2, base·2^(n-1)],
// capped, so many senders retrying one gateway spread out instead of returning in lockstep.

export interface RetryPolicy {
  /** attempts before an outbox row becomes a dead letter */
  readonly maxAttempts: number;
  readonly baseMs: number;
  readonly maxMs: number;
}

/** Delay before attempt `attempts + 1`, after `attempts` failed; a server's Retry-After wins when longer (still capped). */
export function retryDelayMs(p: RetryPolicy, attempts: number, random: () => number, retryAfterMs?: number): number {
  const exp = Math.min(p.maxMs, p.baseMs * 2 ** Math.max(0, attempts - 1));
  const jittered = exp / 2 + random() * (exp / 2);
  return Math.min(p.maxMs, Math.max(jittered, retryAfterMs ?? 0));
}

/** RFC 9110 §10.2.3 Retry-After: delay-seconds or an HTTP-date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  if (/^\d{1,9}$/.test(value.trim())) return Number(value.trim()) * 1000;
  const t = Date.parse(value);
  return Number.isFinite(t) ? Math.max(0, t - now) : undefined;
}
