// Every test process gets one fixed PHI keyring (setupFiles), the way a gateway installs its own at
// start: store functions called directly by the tests seal and open with it. Fixed bytes, so a value
// written in one test is readable in the next; never a real installation's key.
import { createHash, randomBytes } from 'node:crypto';
import { Keyring, installKeyring } from '../../src/crypto/index.js';

const bytes = (label: string) => createHash('sha256').update(`switchboard test key ${label}`).digest();

export const TEST_KEYRING_INIT = {
  keys: [{ id: 'test-k1', key: bytes('k1') }],
  active: 'test-k1',
  searchKey: bytes('search'),
};

/** The key document of the same keys, for a gateway or CLI started by a test (PHI_KEYS). */
export const TEST_PHI_KEYS = JSON.stringify({
  version: 1, active: 'test-k1', keys: { 'test-k1': bytes('k1').toString('base64') }, search: bytes('search').toString('base64'),
});

installKeyring(new Keyring({ ...TEST_KEYRING_INIT, random: randomBytes }));
