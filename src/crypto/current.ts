// The process's keyring, installed once at start (src/store/open.ts loads it with the store) and
// read by the store's encode/decode points and the search extractors. One per process, like the
// audit chain's key: a gateway has one installation's keys. Nothing is encrypted or decrypted before
// it is installed (fail closed).
import { PhiCryptoError } from './errors.js';
import type { Keyring } from './keyring.js';

let current: Keyring | undefined;

export function installKeyring(k: Keyring): void {
  current = k;
}

/** The installed keyring; throws ERR_PHI_KEYS_NOT_LOADED when none is. */
export function phiKeyring(): Keyring {
  if (!current) throw new PhiCryptoError('ERR_PHI_KEYS_NOT_LOADED', 'PHI keys are not loaded');
  return current;
}
