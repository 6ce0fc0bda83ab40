// Loading the keys: the key file made once (0600) and read back the same, a missing file refused when
// the database already holds keys, PHI_KEYS winning over the file, and the KMS hook unwrapping a
// wrapped key document through a module of the operator's.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PhiCryptoError, addKeyToFile, loadKeys } from '../../src/crypto/index.js';

const NOW = new Date('2026-12-05T12:00:00Z');
const dir = () => mkdtempSync(path.join(os.tmpdir(), 'sb-phi-keys-'));
const codeOf = async (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => (e instanceof PhiCryptoError ? e.code : String(e)));

describe('loadKeys', () => {
  it('makes the key file on a first start (0600) and reads the same keys after', async () => {
    const d = dir();
    const first = await loadKeys({ DATA_DIR: d }, { mayCreate: true, now: NOW });
    expect(first.created).toBe(true);
    const file = path.join(d, 'keys', 'phi-keys.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = await loadKeys({ DATA_DIR: d }, { mayCreate: true, now: NOW });
    expect(again.created).toBe(false);
    const sealed = first.keyring.seal(Buffer.from('x'), 'a');
    expect(again.keyring.open(sealed, 'a').toString()).toBe('x');
    expect(again.keyring.searchHash('identifier', 'v')).toBe(first.keyring.searchHash('identifier', 'v'));
  });

  it('fails closed without a key file when the database holds keys, and on a malformed one', async () => {
    expect(await codeOf(loadKeys({ DATA_DIR: dir() }, { mayCreate: false, now: NOW }))).toBe('ERR_PHI_KEYS_MISSING');
    const d = dir();
    const file = path.join(d, 'phi.json');
    writeFileSync(file, '{"version": 1}');
    expect(await codeOf(loadKeys({ DATA_DIR: d, PHI_KEY_FILE: file }, { mayCreate: true, now: NOW }))).toBe('ERR_PHI_KEYS_INVALID');
    expect(await codeOf(loadKeys({ DATA_DIR: d, PHI_KEYS: 'not json' }, { mayCreate: true, now: NOW }))).toBe('ERR_PHI_KEYS_INVALID');
  });

  it('takes PHI_KEYS over the file; rotating a file adds an active key and keeps the old one', async () => {
    const d = dir();
    const made = await loadKeys({ DATA_DIR: d }, { mayCreate: true, now: NOW });
    const env = JSON.stringify({ version: 1, active: 'e1', keys: { e1: randomBytes(32).toString('base64') }, search: randomBytes(32).toString('base64') });
    expect((await loadKeys({ DATA_DIR: d, PHI_KEYS: env }, { mayCreate: true, now: NOW })).keyring.activeId).toBe('e1');
    const next = addKeyToFile(path.join(d, 'keys', 'phi-keys.json'), NOW);
    expect(next.active).toBe(`${made.keyring.activeId}-2`);
    const rotated = await loadKeys({ DATA_DIR: d }, { mayCreate: false, now: NOW });
    expect(rotated.keyring.keyIds).toEqual([`${made.keyring.activeId}-2`, made.keyring.activeId]);
    expect(rotated.keyring.open(made.keyring.seal(Buffer.from('old'), 'a'), 'a').toString()).toBe('old');
  });

  it('unwraps a wrapped key document through PHI_KMS_MODULE', async () => {
    const d = dir();
    // a stand-in KMS: XOR with a pad only the module knows (a real one calls AWS KMS, Vault transit ...)
    const pad = randomBytes(32);
    const wrap = (k: Buffer) => Buffer.from(k.map((b, i) => b ^ pad[i]!)).toString('base64');
    const kms = path.join(d, 'kms.mjs');
    writeFileSync(kms, `const pad = Buffer.from('${pad.toString('base64')}', 'base64');
export async function unwrapKey({ id, wrapped }) { if (!id) throw new Error('no id'); return Buffer.from(wrapped.map((b, i) => b ^ pad[i])); }\n`);
    const data = randomBytes(32);
    const search = randomBytes(32);
    const file = path.join(d, 'wrapped.json');
    writeFileSync(file, JSON.stringify({ version: 1, wrapped: true, active: 'w1', keys: { w1: wrap(data) }, search: wrap(search) }));
    expect(await codeOf(loadKeys({ DATA_DIR: d, PHI_KEY_FILE: file }, { mayCreate: false, now: NOW }))).toBe('ERR_PHI_KEYS_INVALID'); // wrapped, no KMS
    const loaded = await loadKeys({ DATA_DIR: d, PHI_KEY_FILE: file, PHI_KMS_MODULE: kms }, { mayCreate: false, now: NOW });
    const { Keyring } = await import('../../src/crypto/index.js');
    const plain = new Keyring({ keys: [{ id: 'w1', key: data }], active: 'w1', searchKey: search, random: randomBytes });
    expect(loaded.keyring.open(plain.seal(Buffer.from('kms'), 'a'), 'a').toString()).toBe('kms');
    expect(loaded.keyring.searchHash('identifier', 'v')).toBe(plain.searchHash('identifier', 'v'));
    expect(readFileSync(file, 'utf8')).not.toContain(data.toString('base64'));
  });
});
