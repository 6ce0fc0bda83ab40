// The keyring: the data keys (AES-256, by id, one of them active for new values) and the search key
// (HMAC-SHA256 for exact-match search on PHI: identifiers, birth dates). Pure apart from the
// randomness, which is passed in. Old data keys stay until no stored value names them
// (`switchboard keys status`); the search key is not rotated (every stored hash would change with it).
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { DATA_KEY_BYTES, KEY_ID, open, seal } from './envelope.js';
import { PhiCryptoError } from './errors.js';

export interface DataKey {
  id: string;
  key: Buffer;
}

export interface KeyringInit {
  keys: readonly DataKey[];
  /** the id of the key new values are sealed under; must be one of `keys` */
  active: string;
  /** 32 bytes or more: the HMAC key of search hashes and content digests */
  searchKey: Buffer;
  /** `n` random bytes (node:crypto randomBytes at the edge; a seeded source in tests) */
  random: (n: number) => Buffer;
}

/**
 * Characters of a search hash: base64url of the first 96 bits of HMAC-SHA256. Any collision among
 * 10^9 stored values: ~10^18 / 2^97, about 6 x 10^-12. Shorter than the 22 characters first used
 * (132 bits), whose longer GIN entries priced the tokens index out of the planner's choice for a
 * 1-in-60 code search on 12,000 rows (test/fhir/search-index).
 */
const HASH_CHARS = 16;
const CHECK_TEXT = 'switchboard phi key check v1';

export class Keyring {
  readonly activeId: string;
  private readonly keys: ReadonlyMap<string, Buffer>;
  private readonly searchKey: Buffer;
  /**
   * The search key as a KeyObject, made once (createHmac imports a Buffer key on every call), and
   * each hash's input in one update(): about 1.7 µs of CPU per search hash either way on node 20,
   * so what this spares is small. HMAC from copies of precomputed inner/outer SHA-256 states
   * (Hash.copy()) cost more (median 2.1 µs): two Hash objects per call instead of one Hmac.
   */
  private readonly searchKeyObject: KeyObject;
  private readonly random: (n: number) => Buffer;

  constructor(init: KeyringInit) {
    const keys = new Map<string, Buffer>();
    for (const k of init.keys) {
      if (!KEY_ID.test(k.id)) throw new PhiCryptoError('ERR_PHI_KEYS_INVALID', 'a key id must be 1-64 of A-Z a-z 0-9 . _ -');
      if (k.key.length !== DATA_KEY_BYTES) throw new PhiCryptoError('ERR_PHI_KEYS_INVALID', `data key ${k.id} must be 32 bytes`);
      if (keys.has(k.id)) throw new PhiCryptoError('ERR_PHI_KEYS_INVALID', `data key id ${k.id} appears twice`);
      keys.set(k.id, k.key);
    }
    if (!keys.has(init.active)) throw new PhiCryptoError('ERR_PHI_KEYS_INVALID', `the active key ${init.active} is not in the keyring`);
    if (init.searchKey.length < 32) throw new PhiCryptoError('ERR_PHI_KEYS_INVALID', 'the search key must be at least 32 bytes');
    this.keys = keys;
    this.activeId = init.active;
    this.searchKey = init.searchKey;
    this.searchKeyObject = createSecretKey(init.searchKey);
    this.random = init.random;
  }

  /** The ids of every data key held, the active one first. */
  get keyIds(): string[] {
    return [this.activeId, ...[...this.keys.keys()].filter((k) => k !== this.activeId)];
  }

  has(id: string): boolean {
    return this.keys.has(id);
  }

  /** Encrypts under the active key, bound to `aad` (the row's identity). */
  seal(plaintext: Uint8Array, aad: string): Buffer {
    return seal(this.keys.get(this.activeId)!, this.activeId, plaintext, aad, this.random(12));
  }

  /** Decrypts an envelope sealed by any key held; throws PhiCryptoError when it cannot be opened. */
  open(envelope: Uint8Array, aad: string): Buffer {
    return open(envelope, aad, (id) => this.keys.get(id));
  }

  /**
   * The keyed hash of a PHI value for exact-match search: HMAC-SHA256 under the search key over
   * `domain` NUL `value`, base64url, 16 characters. The same function on write and on search; the
   * domain keeps one kind of value from matching another (an MRN never equals a birth date's hash).
   */
  searchHash(domain: string, value: string): string {
    return createHmac('sha256', this.searchKeyObject).update(`${domain}\u0000${value}`).digest('base64url').slice(0, HASH_CHARS);
  }

  /** A keyed digest of content (change detection without keeping the content in clear): 32 bytes. */
  digest(domain: string, content: Uint8Array | string): Buffer {
    return createHmac('sha256', this.searchKeyObject).update(`digest:${domain}\u0000`).update(content).digest();
  }

  /** A check value of each key (HMAC of a fixed text; reveals nothing of the key), to find a wrong key before it writes. */
  fingerprints(): { search: string; keys: { id: string; check: string }[] } {
    const check = (k: Buffer) => createHmac('sha256', k).update(CHECK_TEXT).digest('hex').slice(0, 32);
    return { search: check(this.searchKey), keys: [...this.keys].map(([id, key]) => ({ id, check: check(key) })) };
  }
}
