// `switchboard users` in process against a real database: accounts are added, listed without a hash,
// disabled (their sessions end), reset and enrolled; a generated password and the TOTP URI are shown
// once and work; every change is in the audit trail.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateHOTP } from '@oslojs/otp';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { usersCommand } from '../../src/cli/users.js';
import { LocalAccounts, SessionManager, loadOrCreateSecretKey, totpStep } from '../../src/auth/index.js';
import { secretOf } from '../session/local-harness.js';
import { insertPasskey } from '../../src/store/index.js';

let db: TestDatabase;
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sb-users-'));
const saved = { DATABASE_URL: process.env.DATABASE_URL, DATA_DIR: process.env.DATA_DIR };

beforeAll(async () => {
  db = await createTestDatabase();
  process.env.DATABASE_URL = db.url;
  process.env.DATA_DIR = dataDir;
});
afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
  await db.drop();
});

async function run(argv: string[], stdin?: string): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await usersCommand(argv, { stdout: (s) => { out += s; }, stderr: (s) => { err += s; } }, async () => stdin ?? '');
  return { code, out, err };
}

const accounts = () => new LocalAccounts({ sql: db.sql, secretKey: loadOrCreateSecretKey(dataDir) });

describe('switchboard users', () => {
  it('adds an account with a generated password shown once, and lists it without a hash', async () => {
    const r = await run(['add', 'Alice', '--role', 'supervisor', '--organization', 'north-clinic']);
    expect(r.code, r.err).toBe(0);
    const password = /password \(shown once[^)]*\): (\S+)/.exec(r.out)?.[1];
    expect(password).toMatch(/^[A-Za-z0-9_-]{20}$/);
    await expect(accounts().signIn({ username: 'alice', password: password!, address: null })).resolves.toMatchObject({ subject: 'alice', role: 'supervisor' });
    const list = await run(['list', '--json']);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.out.trim())).toMatchObject({ username: 'alice', role: 'supervisor', organization: 'north-clinic', totp: false, passkeys: 0, disabled: false });
    expect(list.out).not.toContain('argon2');
    expect(list.out).not.toContain(password);
    const [row] = await db.sql<{ organization: string }[]>`SELECT organization FROM auth_local_account WHERE username = 'alice'`;
    expect(row!.organization).toBe('north-clinic');
  });

  it('takes a piped password, and refuses a weak one', async () => {
    expect((await run(['add', 'bob', '--role', 'operator', '--password-stdin'], 'short')).code).toBe(2);
    const r = await run(['add', 'bob', '--role', 'operator', '--password-stdin'], 'a piped passphrase here');
    expect(r.code, r.err).toBe(0);
    expect(r.out).not.toContain('password (shown once');
    await expect(accounts().signIn({ username: 'bob', password: 'a piped passphrase here', address: null })).resolves.toMatchObject({ role: 'operator' });
  });

  it('refuses a provider without a practitioner, a taken username, an unknown role', async () => {
    expect((await run(['add', 'carol', '--role', 'provider'])).err).toContain('practitioner');
    expect((await run(['add', 'carol', '--role', 'provider', '--practitioner', 'Practitioner/dr-carol'])).code).toBe(0);
    const [row] = await db.sql<{ practitioner: string }[]>`SELECT practitioner FROM auth_local_account WHERE username = 'carol'`;
    expect(row!.practitioner).toBe('dr-carol');
    expect((await run(['add', 'carol', '--role', 'operator'])).err).toContain('taken');
    expect((await run(['add', 'dave', '--role', 'root'])).code).toBe(2);
  });

  it('disable ends the account\'s sessions; reset-password ends them too and gives a new password', async () => {
    await run(['add', 'erin', '--role', 'operator', '--password-stdin'], 'the first passphrase E');
    const sessions = new SessionManager({ sql: db.sql, idleMs: 60_000, maxMs: 3_600_000 });
    const person = await accounts().signIn({ username: 'erin', password: 'the first passphrase E', address: null });
    const { token } = await sessions.create(person);
    const r = await run(['disable', 'erin']);
    expect(r.out).toContain('1 session(s) signed out');
    await expect(sessions.resolve(token)).rejects.toMatchObject({ code: 'ERR_SESSION_REVOKED' });
    await expect(accounts().signIn({ username: 'erin', password: 'the first passphrase E', address: null })).rejects.toMatchObject({ code: 'ERR_LOCAL_SIGN_IN_FAILED' });
    expect((await run(['enable', 'erin'])).code).toBe(0);
    const again = await sessions.create(await accounts().signIn({ username: 'erin', password: 'the first passphrase E', address: null }));
    const reset = await run(['reset-password', 'erin']);
    expect(reset.out).toContain('1 session(s) signed out');
    const fresh = /password \(shown once\): (\S+)/.exec(reset.out)?.[1];
    await expect(sessions.resolve(again.token)).rejects.toMatchObject({ code: 'ERR_SESSION_REVOKED' });
    await expect(accounts().signIn({ username: 'erin', password: fresh!, address: null })).resolves.toMatchObject({ subject: 'erin' });
    expect((await run(['disable', 'nobody'])).code).toBe(1);
  });

  it('totp-enroll prints the otpauth:// URI once; its codes are then required', async () => {
    await run(['add', 'fay', '--role', 'admin', '--password-stdin'], 'the first passphrase F');
    const r = await run(['totp-enroll', 'fay']);
    const uri = /(otpauth:\/\/\S+)/.exec(r.out)?.[1];
    expect(uri).toMatch(/^otpauth:\/\/totp\/Switchboard:fay\?/);
    await expect(accounts().signIn({ username: 'fay', password: 'the first passphrase F', address: null })).rejects.toMatchObject({ code: 'ERR_LOCAL_SIGN_IN_FAILED' });
    const code = generateHOTP(secretOf(uri!), BigInt(totpStep(new Date())), 6);
    await expect(accounts().signIn({ username: 'fay', password: 'the first passphrase F', totp: code, address: null })).resolves.toMatchObject({ role: 'admin' });
    expect((await run(['list'])).out).toMatch(/fay\tadmin\t-\t-\ttotp/);
  });

  it('totp-remove drops the second factor; passkeys-remove drops the passkeys', async () => {
    expect((await run(['totp-remove', 'fay'])).code).toBe(0);
    await expect(accounts().signIn({ username: 'fay', password: 'the first passphrase F', address: null })).resolves.toMatchObject({ role: 'admin' });
    const [fay] = await db.sql<{ id: string }[]>`SELECT id FROM auth_local_account WHERE username = 'fay'`;
    expect(await insertPasskey(db.sql, { credentialId: 'A'.repeat(43), accountId: String(fay!.id), publicKey: Buffer.from([1]), signCount: 0, transports: [] }, new Date())).toBe(true);
    expect(JSON.parse((await run(['list', '--json'])).out.trim().split('\n').find((l) => l.includes('"fay"'))!)).toMatchObject({ totp: false, passkeys: 1 });
    expect((await run(['passkeys-remove', 'fay'])).out).toContain('1 passkey(s) of fay removed');
    expect(JSON.parse((await run(['list', '--json'])).out.trim().split('\n').find((l) => l.includes('"fay"'))!)).toMatchObject({ passkeys: 0 });
    expect((await run(['passkeys-remove', 'nobody'])).code).toBe(1);
  });

  it('records every change in the audit trail, naming the account only', async () => {
    const rows = await db.sql<{ type: string; entity_ids: string[] }[]>`SELECT type, entity_ids FROM audit_event WHERE entity_type = 'local-account' ORDER BY seq`;
    expect(rows.map((r) => r.type)).toEqual(expect.arrayContaining(['local-account.added', 'local-account.disabled', 'local-account.enabled', 'local-account.password-reset', 'local-account.totp-enrolled', 'local-account.totp-removed', 'local-account.passkeys-removed']));
  });

  it('prints usage for a bad command line', async () => {
    expect((await run([])).code).toBe(2);
    expect((await run(['add'])).code).toBe(2);
    expect((await run(['list', 'extra'])).code).toBe(2);
  });
});
