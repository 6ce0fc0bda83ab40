// The envelope of one encrypted value (pure): AES-256-GCM (NIST SP 800-38D) with a 96-bit random IV
// and a 128-bit tag, the row's identity as additional authenticated data, the key id in clear so the
// value says which key opens it. Layout, one bytea:
//
//   0..3   magic and version: 0x00 'S' 'B' 0x01
//   4      key id length n (1..64)
//   5..    key id (ASCII, n bytes)
//   +12    IV
//   +16    GCM tag
//   rest   ciphertext (as long as the plaintext)
//
// 33 + n bytes over the plaintext. A compact binary envelope rather than JWE compact serialisation
// (RFC 7516 `dir` + A256GCM): the same cipher, but JWE base64url-encodes header, IV, ciphertext and
// tag into text (+33% stored, an encode and decode on every write and read), and the key id and AAD
// binding are ours to define either way. The leading 0x00 never starts an HL7 message ('MSH', 'FHS',
// 'BHS') or a JSON call note ('{'), so values stored before encryption are told apart by their first byte.
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { PhiCryptoError } from './errors.js';

export const ENVELOPE_MAGIC = Buffer.from([0x00, 0x53, 0x42, 0x01]);
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** AES-256: the data keys are 32 bytes. */
export const DATA_KEY_BYTES = 32;
export const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** True when the bytes start like an envelope (they may still fail to open). */
export function isEnvelope(v: Uint8Array): boolean {
  return v.length >= 4 && v[0] === 0x00 && v[1] === 0x53 && v[2] === 0x42 && v[3] === 0x01;
}

/** The key id an envelope names, or undefined for bytes that are not an envelope. */
export function envelopeKeyId(v: Uint8Array): string | undefined {
  if (!isEnvelope(v) || v.length < 5) return undefined;
  const n = v[4]!;
  if (n < 1 || v.length < 5 + n) return undefined;
  return Buffer.from(v.buffer, v.byteOffset + 5, n).toString('latin1');
}

/** Encrypts `plaintext` under `key` (32 bytes) named `keyId`, bound to `aad`. `iv` must be 12 fresh random bytes. */
export function seal(key: Buffer, keyId: string, plaintext: Uint8Array, aad: string, iv: Buffer): Buffer {
  if (key.length !== DATA_KEY_BYTES) throw new PhiCryptoError('ERR_PHI_KEYS_INVALID', 'a data key must be 32 bytes');
  if (!KEY_ID.test(keyId)) throw new PhiCryptoError('ERR_PHI_KEYS_INVALID', 'a key id must be 1-64 of A-Z a-z 0-9 . _ -');
  if (iv.length !== IV_BYTES) throw new PhiCryptoError('ERR_PHI_KEYS_INVALID', 'the IV must be 12 bytes');
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const id = Buffer.from(keyId, 'latin1');
  return Buffer.concat([ENVELOPE_MAGIC, Buffer.from([id.length]), id, iv, cipher.getAuthTag(), body]);
}

/** Decrypts an envelope with the key `keyFor` returns for its key id; throws PhiCryptoError on any mismatch. */
export function open(envelope: Uint8Array, aad: string, keyFor: (keyId: string) => Buffer | undefined): Buffer {
  const keyId = envelopeKeyId(envelope);
  if (keyId === undefined) throw new PhiCryptoError('ERR_PHI_ENVELOPE_MALFORMED', 'not an encrypted value');
  const at = 5 + keyId.length;
  if (envelope.length < at + IV_BYTES + TAG_BYTES) throw new PhiCryptoError('ERR_PHI_ENVELOPE_MALFORMED', 'encrypted value truncated');
  const key = keyFor(keyId);
  if (!key) throw new PhiCryptoError('ERR_PHI_KEY_UNKNOWN', `no data key with id ${keyId}`);
  const buf = Buffer.from(envelope.buffer, envelope.byteOffset, envelope.length);
  const iv = buf.subarray(at, at + IV_BYTES);
  const tag = buf.subarray(at + IV_BYTES, at + IV_BYTES + TAG_BYTES);
  try {
    const d = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    d.setAAD(Buffer.from(aad, 'utf8'));
    d.setAuthTag(tag);
    return Buffer.concat([d.update(buf.subarray(at + IV_BYTES + TAG_BYTES)), d.final()]);
  } catch {
    throw new PhiCryptoError('ERR_PHI_DECRYPT_FAILED', `value under key ${keyId} failed authentication`);
  }
}
