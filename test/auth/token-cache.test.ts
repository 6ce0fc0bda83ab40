// Verified tokens are remembered (token-cache.ts): a token presented again is not verified again, yet
// revocation, expiry and a key leaving its issuer's key set still refuse it.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { TokenVerifier, loadOrCreateLocalKey, mintLocalToken, type LocalKey, type RevocationCheck } from '../../src/auth/index.js';
import { TOKEN_CACHE_MAX_AGE_MS, TokenCache } from '../../src/auth/token-cache.js';

const t0 = new Date('2026-11-25T12:00:00Z');
let key: LocalKey;
beforeAll(async () => { key = await loadOrCreateLocalKey(mkdtempSync(path.join(os.tmpdir(), 'sb-tcache-'))); });
afterEach(() => { vi.restoreAllMocks(); });

/** Signature checks done through WebCrypto (jose verifies with crypto.subtle). */
const countVerifies = () => vi.spyOn(globalThis.crypto.subtle, 'verify');

function setup(o: { cacheSize?: number } = {}) {
  let now = t0;
  const jtis = new Set<string>();
  const kids = new Set<string>();
  const revocations: RevocationCheck = { isRevoked: (_iss, ids) => (ids.jti !== undefined && jtis.has(ids.jti)) || (ids.kid !== undefined && kids.has(ids.kid)) };
  const v = new TokenVerifier({ localKey: key, audience: 'switchboard', now: () => now, revocations, ...o });
  return { v, jtis, kids, at: (ms: number) => { now = new Date(t0.getTime() + ms); } };
}
const mint = (scopes = ['admin']) => mintLocalToken(key, { scopes, audience: 'switchboard', now: t0, ttlSeconds: 3600 });
const jtiOf = (token: string): string => (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { jti: string }).jti;

describe('verified-token cache', () => {
  it('verifies a token once: the same token again is answered without a signature check', async () => {
    const { v } = setup();
    const token = await mint(['system/Communication.rs']);
    const spy = countVerifies();
    const a = await v.verify(token);
    const b = await v.verify(token);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(b).toEqual(a);
    expect(v.cachedTokens).toBe(1);
    // each caller gets its own copy
    b.scopes.push('admin');
    expect((await v.verify(token)).scopes).toEqual(['system/Communication.rs']);
  });

  it('refuses a cached token once its jti, or the key that signed it, is revoked', async () => {
    const { v, jtis, kids } = setup();
    const token = await mint();
    await v.verify(token);
    jtis.add(jtiOf(token));
    await expect(v.verify(token)).rejects.toMatchObject({ code: 'ERR_AUTH_REVOKED' });
    jtis.clear();
    await expect(v.verify(token)).resolves.toBeTruthy();
    kids.add(key.kid);
    await expect(v.verify(token)).rejects.toMatchObject({ code: 'ERR_AUTH_REVOKED' });
  });

  it('refuses a cached token at its expiry (with the same 30 s tolerance as a fresh check)', async () => {
    const { v, at } = setup();
    const token = await mint();
    await v.verify(token);
    at((3600 + 29) * 1000);
    await expect(v.verify(token)).resolves.toBeTruthy();
    at((3600 + 30) * 1000);
    await expect(v.verify(token)).rejects.toMatchObject({ code: 'ERR_AUTH_INVALID' });
    expect(v.cachedTokens).toBe(0);
  });

  it('verifies again once an entry is older than the cache age', async () => {
    const { v, at } = setup();
    const token = await mint();
    const spy = countVerifies();
    await v.verify(token);
    at(TOKEN_CACHE_MAX_AGE_MS - 1);
    await v.verify(token);
    expect(spy).toHaveBeenCalledTimes(1);
    at(TOKEN_CACHE_MAX_AGE_MS);
    await v.verify(token);
    expect(spy).toHaveBeenCalledTimes(2);
  });

  it('does not remember refused tokens, and holds at most its size (least recently used goes)', async () => {
    const { v } = setup({ cacheSize: 2 });
    await expect(v.verify(await mintLocalToken(key, { scopes: [], audience: 'other', now: t0 }))).rejects.toMatchObject({ code: 'ERR_AUTH_INVALID' });
    expect(v.cachedTokens).toBe(0);
    const [a, b, c] = [await mint(['a']), await mint(['b']), await mint(['c'])];
    await v.verify(a);
    await v.verify(b);
    await v.verify(a); // a is now the most recent
    await v.verify(c); // b goes
    expect(v.cachedTokens).toBe(2);
    const spy = countVerifies();
    await v.verify(a);
    await v.verify(c);
    expect(spy).toHaveBeenCalledTimes(0);
    await v.verify(b);
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it('with a size of 0 remembers nothing', async () => {
    const { v } = setup({ cacheSize: 0 });
    const token = await mint();
    const spy = countVerifies();
    await v.verify(token);
    await v.verify(token);
    expect(spy).toHaveBeenCalledTimes(2);
    expect(v.cachedTokens).toBe(0);
  });

  it('TokenCache keeps an entry across a key-set change only while the set still holds its kid', () => {
    const c = new TokenCache<string>(10);
    const before = { doc: {}, hasKid: (k: string) => k === 'k1' };
    c.set('d1', { value: 'one', expiresAtMs: 1_000, keySet: before.doc, kid: 'k1' });
    c.set('d2', { value: 'two', expiresAtMs: 1_000, keySet: before.doc, kid: undefined });
    const after = { doc: {}, hasKid: (k: string) => k === 'k1' || k === 'k2' };
    expect(c.get('d1', 0, () => after)?.value).toBe('one');
    expect(c.get('d2', 0, () => after)).toBeUndefined(); // no kid: any change of the set drops it
    expect(c.get('d1', 0, () => ({ doc: {}, hasKid: (k) => k === 'k2' }))).toBeUndefined();
    c.set('d3', { value: 'three', expiresAtMs: 1_000, keySet: before.doc, kid: 'k1' });
    expect(c.get('d3', 1_000, () => before)).toBeUndefined(); // expired
    expect(c.size).toBe(0);
  });
});

describe('verified-token cache with a configured issuer whose keys rotate', () => {
  const ISSUER = 'https://idp.rotating.test';
  let server: http.Server;
  let jwksUri: string;
  let served: JWK[] = [];
  const pairs: Record<string, { privateKey: CryptoKey; jwk: JWK }> = {};
  beforeAll(async () => {
    for (const kid of ['k1', 'k2']) {
      const pair = await generateKeyPair('ES256');
      pairs[kid] = { privateKey: pair.privateKey, jwk: { ...(await exportJWK(pair.publicKey)), kid, alg: 'ES256', use: 'sig' } };
    }
    server = http.createServer((_req, res) => { res.setHeader('content-type', 'application/json'); res.end(JSON.stringify({ keys: served })); });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    jwksUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const token = (kid: string) => new SignJWT({ scope: 'inbox.read' }).setProtectedHeader({ alg: 'ES256', kid }).setIssuer(ISSUER).setAudience('switchboard')
    .setSubject('ehr').setIssuedAt().setExpirationTime('5m').sign(pairs[kid]!.privateKey);

  it('a cached token whose key left the key set is refused once the set is re-read; one whose key stayed is still answered', async () => {
    served = [pairs.k1!.jwk];
    // no cooldown: an unknown kid re-reads the set at once
    const v = new TokenVerifier({ localKey: key, audience: 'switchboard', issuers: [{ issuer: ISSUER, jwksUri }], remoteJwks: { cooldownDuration: 0 } });
    const old = await token('k1');
    await v.verify(old);
    expect(v.cachedTokens).toBe(1);
    // both keys served while rotating: a k2 token re-reads the set, k1 is still in it
    served = [pairs.k1!.jwk, pairs.k2!.jwk];
    await v.verify(await token('k2'));
    const spy = countVerifies();
    await v.verify(old);
    expect(spy).toHaveBeenCalledTimes(0);
    spy.mockRestore();
    // k1 removed: the next re-read (here, from a token with a kid it has not seen) drops old's entry
    served = [pairs.k2!.jwk];
    await expect(v.verify(await new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'k3' }).setIssuer(ISSUER).setAudience('switchboard').setExpirationTime('5m').sign(pairs.k2!.privateKey)))
      .rejects.toMatchObject({ code: 'ERR_AUTH_INVALID' });
    await expect(v.verify(old)).rejects.toMatchObject({ code: 'ERR_AUTH_INVALID' });
  });
});
