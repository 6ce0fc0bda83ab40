// The process's keyring, installed once at start (src/store/open.ts loads it with the store) and
// read by the store's encode/decode points and the search extractors. One per process, like the
// audit chain's key: a gateway has one installation's keys. Nothing is encrypted or decrypted before
// it is installed (fail closed).
//
// After `switchboard keys rotate` adds a key to the key file, a running gateway must open values
// sealed under it: the store reloads the keyring when told (NOTIFY), and a value naming a key this
// keyring lacks triggers one reload from the same source before it fails (ERR_PHI_KEY_UNKNOWN).
import { PhiCryptoError } from './errors.js';
import type { Keyring } from './keyring.js';

let current: Keyring | undefined;
let reloader: (() => Keyring | undefined) | undefined;

/** `reload`: reads the keyring again from its source (synchronously; undefined when it cannot). */
export function installKeyring(k: Keyring, reload?: () => Keyring | undefined): void {
  current = k;
  reloader = reload;
}

/** The installed keyring; throws ERR_PHI_KEYS_NOT_LOADED when none is. */
export function phiKeyring(): Keyring {
  if (!current) throw new PhiCryptoError('ERR_PHI_KEYS_NOT_LOADED', 'PHI keys are not loaded');
  return current;
}

/** Reads the keyring again from its source; true when a keyring was installed anew. */
export function reloadKeyring(): boolean {
  const next = reloader?.();
  if (!next) return false;
  current = next;
  return true;
}

/** Opens an envelope; a key this keyring lacks gets one reload of the keyring first. */
export function openPhi(envelope: Uint8Array, aad: string): Buffer {
  const k = phiKeyring();
  try {
    return k.open(envelope, aad);
  } catch (e) {
    if (!(e instanceof PhiCryptoError) || e.code !== 'ERR_PHI_KEY_UNKNOWN' || !reloadKeyring()) throw e;
    return phiKeyring().open(envelope, aad);
  }
}
