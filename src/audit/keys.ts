// The HMAC keys of the chain from settings: AUDIT_HMAC_KEY seals new rows; it and AUDIT_HMAC_OLD_KEYS
// (after a rotation) are what `audit verify` accepts.
import { chainKey, type ChainKey } from './hash.js';

export interface AuditKeys {
  /** the key new rows are sealed with; undefined: plain SHA-256 */
  current: ChainKey | undefined;
  /** every key a row may carry */
  all: ChainKey[];
}

export function auditKeys(current: string | undefined, old: string | undefined): AuditKeys {
  const cur = current ? chainKey(Buffer.from(current, 'hex')) : undefined;
  const olds = (old ?? '').split(',').filter((k) => k !== '').map((k) => chainKey(Buffer.from(k, 'hex')));
  return { current: cur, all: [...(cur ? [cur] : []), ...olds] };
}
