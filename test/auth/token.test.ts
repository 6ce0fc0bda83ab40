import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SignJWT, generateKeyPair } from 'jose';
import { loadOrCreateLocalKey, mintLocalToken, TokenVerifier, allowsFhir, allowsOperation, LOCAL_ISSUER } from '../../src/auth/index.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-auth-'));
const t0 = new Date('2026-11-25T12:00:00Z');

describe('local tokens', () => {
  it('keeps one signing key per data folder', async () => {
    const a = await loadOrCreateLocalKey(dir);
    const b = await loadOrCreateLocalKey(dir);
    expect(a.kid).toBe(b.kid);
    expect(a.publicJwk).not.toHaveProperty('d');
  });

  it('verifies a token it minted, with subject and scopes', async () => {
    const key = await loadOrCreateLocalKey(dir);
    const token = await mintLocalToken(key, { scopes: ['hl7.write', 'system/Communication.rs'], audience: 'switchboard', now: t0, subject: 'feed-1' });
    const p = await new TokenVerifier({ localKey: key, audience: 'switchboard', now: () => t0 }).verify(token);
    expect(p).toMatchObject({ subject: 'feed-1', issuer: LOCAL_ISSUER, scopes: ['hl7.write', 'system/Communication.rs'] });
  });

  it.each([
    ['one second before expiry (within tolerance)', 3600 - 1, true],
    ['29 s after expiry (inside the 30 s clock tolerance)', 3600 + 29, true],
    // RFC 7519 4.1.4: not accepted on or after exp (+ tolerance)
    ['30 s after expiry', 3600 + 30, false],
  ])('%s', async (_n, offsetS, ok) => {
    const key = await loadOrCreateLocalKey(dir);
    const token = await mintLocalToken(key, { scopes: ['admin'], audience: 'switchboard', now: t0, ttlSeconds: 3600 });
    const v = new TokenVerifier({ localKey: key, audience: 'switchboard', now: () => new Date(t0.getTime() + offsetS * 1000) });
    if (ok) await expect(v.verify(token)).resolves.toBeTruthy();
    else await expect(v.verify(token)).rejects.toMatchObject({ code: 'ERR_AUTH_INVALID' });
  });

  it('rejects another audience, a foreign key, an untrusted issuer, alg none and garbage', async () => {
    const key = await loadOrCreateLocalKey(dir);
    const v = new TokenVerifier({ localKey: key, audience: 'switchboard', now: () => t0 });
    await expect(v.verify(await mintLocalToken(key, { scopes: [], audience: 'other', now: t0 }))).rejects.toMatchObject({ code: 'ERR_AUTH_INVALID' });
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT({ scope: 'admin' }).setProtectedHeader({ alg: 'ES256' }).setIssuer(LOCAL_ISSUER).setAudience('switchboard').setIssuedAt(t0.getTime() / 1000).setExpirationTime(t0.getTime() / 1000 + 60).sign(privateKey);
    await expect(v.verify(forged)).rejects.toMatchObject({ code: 'ERR_AUTH_INVALID' });
    const stranger = await new SignJWT({}).setProtectedHeader({ alg: 'ES256' }).setIssuer('https://evil.example').setAudience('switchboard').sign(privateKey);
    await expect(v.verify(stranger)).rejects.toMatchObject({ code: 'ERR_AUTH_UNTRUSTED_ISSUER' });
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ iss: LOCAL_ISSUER, aud: 'switchboard', scope: 'admin' })).toString('base64url')}.`;
    await expect(v.verify(none)).rejects.toMatchObject({ code: 'ERR_AUTH_INVALID' });
    await expect(v.verify('not-a-jwt')).rejects.toMatchObject({ code: 'ERR_AUTH_INVALID' });
  });
});

describe('scopes (deny by default)', () => {
  it.each([
    [['system/Communication.rs'], 'Communication', 'r', true],
    [['system/Communication.rs'], 'Communication', 'c', false],
    [['system/Communication.rs'], 'Patient', 'r', false],
    [['system/*.rs'], 'Patient', 's', true],
    [['user/*.cruds'], 'Observation', 'd', true],
    [['system/Communication.read'], 'Communication', 's', true],
    [['system/Communication.write'], 'Communication', 'r', false],
    [[], 'Communication', 'r', false],
    [['admin'], 'Communication', 'r', false],
    [['system/Communication.rs extra'], 'Communication', 'r', false],
  ] as const)('%j on %s.%s -> %s', (scopes, type, access, ok) => {
    expect(allowsFhir(scopes, type, access)).toBe(ok);
  });

  it.each([
    [['hl7.write'], 'hl7.write', true],
    [['admin'], 'inbox.write', true],
    [['calls.write'], 'hl7.write', false],
    [[], 'hl7.write', false],
  ] as const)('%j allows operation %s -> %s', (scopes, op, ok) => {
    expect(allowsOperation(scopes, op)).toBe(ok);
  });
});
