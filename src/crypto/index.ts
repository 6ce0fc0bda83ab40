// PHI encryption at rest: the envelope (AES-256-GCM with the row's identity as AAD), the keyring
// (data keys by id, the search key for keyed hashes), and loading it from env, a key file or a KMS.
export { PhiCryptoError, type PhiCryptoCode } from './errors.js';
export { DATA_KEY_BYTES, envelopeKeyId, isEnvelope } from './envelope.js';
export { Keyring, type DataKey, type KeyringInit } from './keyring.js';
export { installKeyring, openPhi, phiKeyring, reloadKeyring } from './current.js';
export { isOpaqueId, opaqueKey, URN_SYSTEM } from './opaque.js';
export {
  addKeyToFile, defaultKeyFile, reloadKeysSync, keyIdAt, keyringFromDocument, keySourceOf, pooledRandom, loadKeyMaterial, loadKeys, newKeyDocument, parseKeyDocument, writeKeyFile,
  type KeyDocument, type KeyMaterial, type KeySource, type KeySourceSettings, type LoadedKeys, type UnwrapKey,
} from './source.js';
