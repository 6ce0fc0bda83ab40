// Lockout of password guessing (throttle.ts's policy, applied): before a check, refuse while its
// username or address is locked; after a failed one, count it against both. Also at most one check per
// username (and a few per address) under way at once in this process, so that a burst of parallel
// guesses cannot all pass the lock before the first failure is written.
import { createHash } from 'node:crypto';
import { purgeThrottles, readThrottles, recordThrottleFailure, type Sql } from '../store/index.js';
import type { Logger } from '../obs/index.js';
import { LocalAuthError } from './local-errors.js';
import { ACCOUNT_THROTTLE, ADDRESS_THROTTLE, lockMs, retryAfterS, type ThrottlePolicy } from './throttle.js';
import type { Refusal } from './local-accounts.js';

/** A local username (the auth_local_account CHECK): what `normaliseUsername` gives for a valid one. */
export const USERNAME = /^[a-z0-9][a-z0-9._@-]{0,63}$/;

/** Throttle keys of an attempt: its username's (null for a passkey whose owner is not known) and its address's. */
export interface ThrottleKeys { user: string | null; address: string | null }

/** Password checks one address may have under way at once in one process (a ward's shared NAT signing in together). */
const MAX_IN_FLIGHT_PER_ADDRESS = 4;

/** Stale throttle rows are deleted once every this many failures. */
const PURGE_EVERY_FAILURES = 100;

export function throttleKeys(username: string, address: string | null): ThrottleKeys & { user: string } {
  // a name that is no username is counted by its hash (bounded key, nothing of it stored)
  const user = USERNAME.test(username) ? `user:${username}` : `user:#${createHash('sha256').update(username).digest('hex').slice(0, 32)}`;
  return { user, address: addressKey(address) };
}

export const addressKey = (address: string | null): string | null => (address ? `addr:${address.slice(0, 100)}` : null);

const forgetBefore = (now: Date, p: ThrottlePolicy) => new Date(now.getTime() - p.forgetMs);

export class SignInGuard {
  private failuresSeen = 0;
  /** usernames with a check under way here, and how many checks each address has under way (oneAtATime) */
  private readonly inFlight = new Set<string>();
  private readonly inFlightByAddress = new Map<string, number>();

  constructor(private readonly sql: Sql, private readonly log?: Logger) {}

  /**
   * Runs one check of a password at a time per username, and a few per address, in this process. The
   * lock is read before a check and a failure written after it, so checks started together would all
   * pass the lock: a burst of parallel guesses would get around it. A second one while one is under way
   * is refused as locked (429, Retry-After 1), before anything is read; across replicas the burst is at
   * most one per replica.
   */
  async oneAtATime<T>(keys: ThrottleKeys & { user: string }, check: () => Promise<T>): Promise<T> {
    const address = keys.address;
    if (this.inFlight.has(keys.user) || (address !== null && (this.inFlightByAddress.get(address) ?? 0) >= MAX_IN_FLIGHT_PER_ADDRESS)) {
      this.log?.warn('local_sign_in_locked', { code: 'ERR_LOCAL_BUSY' });
      throw new LocalAuthError('ERR_LOCAL_LOCKED', 'a sign-in for this username or address is under way; try again in a moment', 1);
    }
    this.inFlight.add(keys.user);
    if (address !== null) this.inFlightByAddress.set(address, (this.inFlightByAddress.get(address) ?? 0) + 1);
    try {
      return await check();
    } finally {
      this.inFlight.delete(keys.user);
      if (address !== null) {
        const left = (this.inFlightByAddress.get(address) ?? 1) - 1;
        if (left > 0) this.inFlightByAddress.set(address, left);
        else this.inFlightByAddress.delete(address);
      }
    }
  }

  /** Counts a failure against both keys (a passkey's too: passkeys.ts). */
  async fail(keys: ThrottleKeys, now: Date, reason: Refusal | 'passkey'): Promise<void> {
    if (keys.user) await recordThrottleFailure(this.sql, keys.user, now, forgetBefore(now, ACCOUNT_THROTTLE), (n) => lockMs(n, ACCOUNT_THROTTLE));
    if (keys.address) await recordThrottleFailure(this.sql, keys.address, now, forgetBefore(now, ADDRESS_THROTTLE), (n) => lockMs(n, ADDRESS_THROTTLE));
    this.log?.warn('local_sign_in_refused', { code: reason });
    // a spray of made-up names leaves rows; those no longer counting are dropped every so often
    if (++this.failuresSeen % PURGE_EVERY_FAILURES === 0) await purgeThrottles(this.sql, forgetBefore(now, ACCOUNT_THROTTLE));
  }

  /** ERR_LOCAL_LOCKED (429, Retry-After) while either key is locked; the attempt is not checked. */
  async refuseWhileLocked(keys: ThrottleKeys, now: Date): Promise<void> {
    const rows = await readThrottles(this.sql, [keys.user, keys.address].filter((k): k is string => k !== null));
    const until = rows.map((r) => r.lockedUntil).filter((d): d is Date => d !== null && d > now).sort((a, b) => b.getTime() - a.getTime())[0];
    if (until) {
      this.log?.warn('local_sign_in_locked', { code: 'ERR_LOCAL_LOCKED' });
      throw new LocalAuthError('ERR_LOCAL_LOCKED', 'too many failed sign-ins; try again later', retryAfterS(until, now));
    }
  }
}
