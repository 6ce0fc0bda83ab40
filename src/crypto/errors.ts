// Errors of PHI encryption as data with stable codes. Every one fails closed: a value that cannot be
// opened is never returned as anything else, and no message carries a value, a key or a key's bytes.

export type PhiCryptoCode =
  /** no keyring installed in this process: nothing may be written or read */
  | 'ERR_PHI_KEYS_NOT_LOADED'
  /** the key source could not be read or is malformed (names the source, never its content) */
  | 'ERR_PHI_KEYS_INVALID'
  /** the database has keys registered but no key source was found: a new key would orphan its rows */
  | 'ERR_PHI_KEYS_MISSING'
  /** a loaded key differs from the key registered under its id (or the search key does) */
  | 'ERR_PHI_KEYS_MISMATCH'
  /** a value names a key this keyring does not hold */
  | 'ERR_PHI_KEY_UNKNOWN'
  /** the bytes are not an envelope of a version we read */
  | 'ERR_PHI_ENVELOPE_MALFORMED'
  /** authentication failed: tampered, moved to another row (AAD), or another key under the same id */
  | 'ERR_PHI_DECRYPT_FAILED';

export class PhiCryptoError extends Error {
  readonly code: PhiCryptoCode;
  constructor(code: PhiCryptoCode, message: string) {
    super(message);
    this.name = 'PhiCryptoError';
    this.code = code;
  }
}
