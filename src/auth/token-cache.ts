// Verified bearer tokens, remembered so that a token presented again is not verified again: a
// signature check goes through WebCrypto, whose jobs queue on the libuv thread pool and wait behind
// everything else there when the gateway is busy. Keyed by the SHA-256 of the token text (the token
// itself is a credential and is not kept as a key), bounded (least recently used goes first), and an
// entry lives no longer than its token's `exp` (plus the clock tolerance jose allowed) nor than
// `maxAgeMs`, and only while the key set it was verified against still holds its key. What may change
// while a token is valid — revocation by `jti` or key — is checked by the caller on every request.
import { createHash } from 'node:crypto';

/** Entries at most: a few hundred bytes each. */
export const TOKEN_CACHE_MAX = 10_000;
/** The longest a verification is reused, ms: a key set is re-read by then. */
export const TOKEN_CACHE_MAX_AGE_MS = 5 * 60_000;

export interface CachedToken<T> {
  value: T;
  /** epoch ms past which the entry is not used */
  expiresAtMs: number;
  /** the key set (its current JWKS document) the token was verified against */
  keySet: unknown;
  /** the `kid` that signed it (none: the entry goes with any change of the key set) */
  kid: string | undefined;
}

/** The key set a verifier uses now: `doc` changes (by identity) whenever the set is re-read with other keys. */
export interface KeySetView {
  doc: unknown;
  hasKid(kid: string): boolean;
}

export const tokenDigest = (token: string): string => createHash('sha256').update(token).digest('base64url');

export class TokenCache<T> {
  private readonly entries = new Map<string, CachedToken<T>>();

  constructor(private readonly max = TOKEN_CACHE_MAX) {}

  get size(): number {
    return this.entries.size;
  }

  /**
   * The entry for `digest`, when it is still good at `nowMs` against the key set now in use
   * (`keySetOf` its value; none: not usable now): a key set re-read since keeps the entry only when it
   * still holds the entry's `kid`.
   */
  get(digest: string, nowMs: number, keySetOf: (value: T) => KeySetView | undefined): CachedToken<T> | undefined {
    const e = this.entries.get(digest);
    if (!e) return undefined;
    const ks = keySetOf(e.value);
    if (nowMs >= e.expiresAtMs || !ks) {
      this.entries.delete(digest);
      return undefined;
    }
    if (ks.doc !== e.keySet) {
      if (e.kid === undefined || !ks.hasKid(e.kid)) {
        this.entries.delete(digest);
        return undefined;
      }
      e.keySet = ks.doc;
    }
    // most recently used goes last
    this.entries.delete(digest);
    this.entries.set(digest, e);
    return e;
  }

  set(digest: string, entry: CachedToken<T>): void {
    this.entries.delete(digest);
    this.entries.set(digest, entry);
    while (this.entries.size > this.max) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  delete(digest: string): void {
    this.entries.delete(digest);
  }
}
