// `switchboard keys status | rotate` as an operator runs them (a real process, a real database): the
// first run makes the key file (0600); values written under it are re-sealed under the new key by
// `rotate`, which retires the old one; everything still opens with the rotated key file.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { installKeyring, keyringFromDocument, parseKeyDocument } from '../../src/crypto/index.js';
import { getRejectedRow, insertInboxRows, insertRejected } from '../../src/store/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { openInboxRaw } from '../support/stored.js';
import { TEST_KEYRING_INIT } from '../support/phi-keys.js';
import { Keyring } from '../../src/crypto/index.js';
import { randomBytes } from 'node:crypto';

vi.setConfig({ testTimeout: 180_000 });

const BIN = fileURLToPath(new URL('../../bin/switchboard.js', import.meta.url));
let db: TestDatabase;
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sb-cli-keys-'));
const keyFile = path.join(dataDir, 'keys', 'phi-keys.json');

type Run = { code: number; stdout: string; stderr: string };
// the keys come from the key file here, never from an inherited PHI_KEYS
const { PHI_KEYS: _inherited, ...baseEnv } = process.env;
const run = (...args: string[]): Promise<Run> => new Promise((resolve) => {
  execFile(process.execPath, [BIN, ...args], { env: { ...baseEnv, DATABASE_URL: db.url, DATA_DIR: dataDir, LOG_LEVEL: 'warn' }, timeout: 120_000 }, (err, stdout, stderr) => {
    resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
  });
});
const fileKeyring = async () => keyringFromDocument(parseKeyDocument(readFileSync(keyFile, 'utf8'), 'test'));

beforeAll(async () => { db = await createTestDatabase(); });
afterAll(async () => {
  installKeyring(new Keyring({ ...TEST_KEYRING_INIT, random: randomBytes }));
  await db?.drop();
});

describe('switchboard keys', () => {
  it('status makes the key file on first use; rotate re-seals every value and retires the old key', async () => {
    const first = await run('keys', 'status');
    expect(first.code, first.stderr).toBe(0);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const before = await fileKeyring();
    expect(first.stdout).toContain(`active key: ${before.activeId}`);

    installKeyring(before);
    const raw = Buffer.from('MSH|^~\\&|KEYS|GEN|SB|SB|20250101||ADT^A01|K1|P|2.5.1\rPID|1||KEYMRN^^^GENHOSP||KEYPATIENT^ANN\r');
    const [row] = await insertInboxRows(db.sql, [{ source: 'mllp', senderApp: 'KEYS', senderFacility: 'GEN', controlId: 'K1', messageType: 'ADT^A01', version: '2.5.1', charset: null, raw, peer: null, ackMode: 'original', ack: null, contentHash: createHash('sha256').update(raw).digest() }], { notify: false });
    await insertRejected(db.sql, { source: 'mllp', peer: null, controlId: null, errorCode: 'ERR_HL7_PARSE', reason: 'test', raw: Buffer.from('PID|1||KEYMRN'), ack: Buffer.from('ACK') }, { keep: 10 });
    expect((await run('keys', 'status')).stdout).toMatch(new RegExp(`inbox: 1 values under ${before.activeId}`));

    const rotated = await run('keys', 'rotate', '--batch', '1');
    expect(rotated.code, rotated.stderr).toBe(0);
    const after = await fileKeyring();
    expect(after.activeId).not.toBe(before.activeId);
    expect(rotated.stdout).toContain(`new active key: ${after.activeId}`);
    expect(rotated.stdout).toMatch(/re-sealed inbox: 1/);
    expect(rotated.stdout).toContain(`retired (no value uses them; remove them from the key document when you like): ${before.activeId}`);

    const status = JSON.parse((await run('keys', 'status', '--json')).stdout) as { active: string; keys: { id: string; retiredAt: string | null }[]; values: { keyId: string | null }[] };
    expect(status.active).toBe(after.activeId);
    expect(status.values.every((v) => v.keyId === after.activeId)).toBe(true);
    expect(status.keys.find((k) => k.id === before.activeId)?.retiredAt).not.toBeNull();

    installKeyring(after);
    const [stored] = await db.sql<{ raw: Buffer; sender_app: string; sender_facility: string; control_id: string; content_hash: Buffer }[]>`
      SELECT raw, sender_app, sender_facility, control_id, content_hash FROM inbox WHERE id = ${row!.id}`;
    expect(openInboxRaw(stored!).equals(raw)).toBe(true);
    const [rej] = await db.sql<{ id: string }[]>`SELECT id::text FROM rejected`;
    expect((await getRejectedRow(db.sql, rej!.id))?.raw.toString()).toBe('PID|1||KEYMRN');
  });

  it('fails closed when the database has keys and the key file is gone', async () => {
    const elsewhere = mkdtempSync(path.join(os.tmpdir(), 'sb-cli-keys-other-'));
    const r = await new Promise<Run>((resolve) => {
      execFile(process.execPath, [BIN, 'keys', 'status'], { env: { ...baseEnv, DATABASE_URL: db.url, DATA_DIR: elsewhere, LOG_LEVEL: 'warn' }, timeout: 120_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      });
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/ERR_PHI_KEYS_MISSING|no PHI keys found/);
  });
});
