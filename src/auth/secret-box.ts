// Secrets the gateway must read back (TOTP seeds) are stored sealed: AES-256-GCM under a key kept
// outside the database (LOCAL_AUTH_SECRET_KEY, or DATA_DIR/keys/local-auth.key made on first use,
// mode 0600), with the owner's name as associated data so a sealed value cannot be moved to another
// account's row. A copy of the database alone yields no second factor.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export function seal(key: Buffer, plain: Uint8Array, owner: string): Buffer {
  const nonce = randomBytes(NONCE_BYTES);
  const c = createCipheriv('aes-256-gcm', key, nonce);
  c.setAAD(Buffer.from(owner, 'utf8'));
  const body = Buffer.concat([c.update(plain), c.final()]);
  return Buffer.concat([nonce, body, c.getAuthTag()]);
}

/** The plain bytes, or undefined when the value was not sealed by this key for this owner. */
export function unseal(key: Buffer, sealed: Buffer, owner: string): Uint8Array | undefined {
  if (sealed.length < NONCE_BYTES + TAG_BYTES) return undefined;
  try {
    const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, NONCE_BYTES));
    d.setAAD(Buffer.from(owner, 'utf8'));
    d.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    return new Uint8Array(Buffer.concat([d.update(sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES)), d.final()]));
  } catch {
    return undefined;
  }
}

/** The sealing key: the configured one (64 hex digits), else the data folder's, made once. */
export function loadOrCreateSecretKey(dataDir: string, hex?: string): Buffer {
  if (hex !== undefined) return Buffer.from(hex, 'hex');
  const dir = path.resolve(dataDir, 'keys');
  const file = path.join(dir, 'local-auth.key');
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // wx: never overwrite a key another process made a moment ago
    try { writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' }); } catch { /* made by another process */ }
  }
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
  if (key.length !== 32) throw new Error(`${file} must hold 64 hex digits (a 256-bit key)`);
  return key;
}
