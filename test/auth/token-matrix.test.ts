// The bearer-token matrix: each way a token can be forged, stretched, mistyped or withdrawn, as a named
// case against TokenVerifier, and what each SMART v2 scope letter grants (fhirGrant).
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SignJWT, exportSPKI, generateKeyPair, importJWK, type CryptoKey, type JWTPayload } from 'jose';
import { createHmac } from 'node:crypto';
import { LOCAL_ISSUER, TokenVerifier, fhirGrant, loadOrCreateLocalKey, mintLocalToken, type RevocationCheck } from '../../src/auth/index.js';

const key = await loadOrCreateLocalKey(mkdtempSync(path.join(os.tmpdir(), 'sb-matrix-')));
const NOW = new Date('2026-11-25T12:00:00Z');
const nowS = NOW.getTime() / 1000;
const HOUR = 3600;

const revoked = { jtis: new Set<string>(), kids: new Set<string>() };
const revocations: RevocationCheck = {
  isRevoked: (issuer, ids) => (ids.jti !== undefined && revoked.jtis.has(`${issuer}|${ids.jti}`)) || (ids.kid !== undefined && revoked.kids.has(`${issuer}|${ids.kid}`)),
};
const verifier = new TokenVerifier({ localKey: key, audience: 'switchboard', now: () => NOW, revocations });

interface Forge {
  claims?: JWTPayload;
  header?: Record<string, unknown>;
  iat?: number | null;
  exp?: number | null;
}
/** A token signed with the local key, claims and header as given (defaults: a valid 1 h token). */
function sign(f: Forge = {}): Promise<string> {
  const jwt = new SignJWT({ scope: 'admin', jti: 'j-1', ...f.claims })
    .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'at+jwt', ...f.header })
    .setIssuer(LOCAL_ISSUER).setAudience('switchboard').setSubject('matrix');
  if (f.iat !== null) jwt.setIssuedAt(f.iat ?? nowS);
  if (f.exp !== null) jwt.setExpirationTime(f.exp ?? nowS + HOUR);
  return jwt.sign(key.privateKey);
}
const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
const refused = (token: string | Promise<string>, code: string) => expect(Promise.resolve(token).then((t) => verifier.verify(t))).rejects.toMatchObject({ code });
const accepted = (token: string | Promise<string>) => expect(Promise.resolve(token).then((t) => verifier.verify(t))).resolves.toMatchObject({ issuer: LOCAL_ISSUER });

describe('forged tokens', () => {
  it('alg none (unsigned)', async () => {
    const payload = { iss: LOCAL_ISSUER, aud: 'switchboard', scope: 'admin', iat: nowS, exp: nowS + 60 };
    await refused(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`, 'ERR_AUTH_INVALID');
  });

  it('HS256 signed with the public key as the shared secret (key confusion)', async () => {
    const payload = { iss: LOCAL_ISSUER, aud: 'switchboard', scope: 'admin', iat: nowS, exp: nowS + 60 };
    const spki = await exportSPKI(await importJWK(key.publicJwk, 'ES256') as CryptoKey);
    for (const secret of [spki, JSON.stringify(key.publicJwk)]) {
      const head = `${b64({ alg: 'HS256', typ: 'JWT', kid: key.kid })}.${b64(payload)}`;
      const mac = createHmac('sha256', secret).update(head).digest('base64url');
      await refused(`${head}.${mac}`, 'ERR_AUTH_INVALID');
    }
  });

  it('signed by another key under our kid', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const t = await new SignJWT({ scope: 'admin' }).setProtectedHeader({ alg: 'ES256', kid: key.kid }).setIssuer(LOCAL_ISSUER).setAudience('switchboard').setIssuedAt(nowS).setExpirationTime(nowS + 60).sign(privateKey);
    await refused(t, 'ERR_AUTH_INVALID');
  });

  it('wrong iss', async () => refused(new SignJWT({}).setProtectedHeader({ alg: 'ES256' }).setIssuer('https://evil.example').setAudience('switchboard').setIssuedAt(nowS).setExpirationTime(nowS + 60).sign(key.privateKey), 'ERR_AUTH_UNTRUSTED_ISSUER'));
  it('no iss', async () => refused(new SignJWT({}).setProtectedHeader({ alg: 'ES256' }).setAudience('switchboard').setIssuedAt(nowS).setExpirationTime(nowS + 60).sign(key.privateKey), 'ERR_AUTH_UNTRUSTED_ISSUER'));
  it('wrong aud', async () => refused(new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: key.kid }).setIssuer(LOCAL_ISSUER).setAudience('another-api').setIssuedAt(nowS).setExpirationTime(nowS + 60).sign(key.privateKey), 'ERR_AUTH_INVALID'));
  it('wrong kid', async () => refused(sign({ header: { kid: 'not-our-key' } }), 'ERR_AUTH_INVALID'));

  it('tampered payload (scope raised after signing)', async () => {
    const [h, , s] = (await sign({ claims: { scope: 'inbox.read' } })).split('.');
    await refused(`${h}.${b64({ iss: LOCAL_ISSUER, aud: 'switchboard', scope: 'admin', iat: nowS, exp: nowS + 60 })}.${s}`, 'ERR_AUTH_INVALID');
  });

  it('tampered header (alg swapped)', async () => {
    const [, p, s] = (await sign()).split('.');
    await refused(`${b64({ alg: 'ES384', kid: key.kid })}.${p}.${s}`, 'ERR_AUTH_INVALID');
  });

  it('not a JWT at all', async () => refused('abc.def.ghi', 'ERR_AUTH_INVALID'));
});

describe('lifetimes and times', () => {
  it('no exp', async () => refused(sign({ exp: null }), 'ERR_AUTH_INVALID'));
  it('a 100-year lifetime', async () => refused(sign({ exp: nowS + 100 * 365 * 24 * HOUR }), 'ERR_AUTH_LIFETIME'));
  it('one second over the 1 h cap', async () => refused(sign({ exp: nowS + HOUR + 1 }), 'ERR_AUTH_LIFETIME'));
  it('exactly the 1 h cap', async () => accepted(sign({ exp: nowS + HOUR })));
  it('a long-lived token without iat (counted from now)', async () => refused(sign({ iat: null, exp: nowS + 2 * HOUR }), 'ERR_AUTH_LIFETIME'));
  it('a short token without iat', async () => accepted(sign({ iat: null, exp: nowS + 600 })));
  it('an iat in the future (beyond the 30 s tolerance)', async () => refused(sign({ iat: nowS + 120, exp: nowS + 600 }), 'ERR_AUTH_ISSUED_IN_FUTURE'));
  it('an iat 20 s ahead (clock skew, within tolerance)', async () => accepted(sign({ iat: nowS + 20, exp: nowS + 600 })));
  it('an nbf in the future', async () => refused(sign({ claims: { nbf: nowS + 300 } }), 'ERR_AUTH_INVALID'));
  it('expired', async () => refused(sign({ iat: nowS - 2 * HOUR, exp: nowS - HOUR }), 'ERR_AUTH_INVALID'));
  it('a configured cap (5 min) refuses the default 1 h token', async () => {
    const strict = new TokenVerifier({ localKey: key, audience: 'switchboard', now: () => NOW, maxLifetimeS: 300 });
    await expect(strict.verify(await mintLocalToken(key, { scopes: [], audience: 'switchboard', now: NOW }))).rejects.toMatchObject({ code: 'ERR_AUTH_LIFETIME' });
    await expect(strict.verify(await mintLocalToken(key, { scopes: [], audience: 'switchboard', now: NOW, ttlSeconds: 300 }))).resolves.toBeTruthy();
  });
});

describe('typ', () => {
  it.each(['id_token', 'id_token+jwt', 'dpop+jwt', 'logout+jwt', 'secevent+jwt', 'text/plain'])('typ %s is refused', async (typ) => refused(sign({ header: { typ } }), 'ERR_AUTH_TOKEN_TYPE'));
  it.each(['JWT', 'jwt', 'at+jwt', 'application/at+jwt', 'AT+JWT'])('typ %s is accepted', async (typ) => accepted(sign({ header: { typ } })));
  it('no typ is accepted (RFC 7519 5.1: optional)', async () => {
    const t = await new SignJWT({ scope: 'admin' }).setProtectedHeader({ alg: 'ES256', kid: key.kid }).setIssuer(LOCAL_ISSUER).setAudience('switchboard').setIssuedAt(nowS).setExpirationTime(nowS + 60).sign(key.privateKey);
    await accepted(t);
  });
});

describe('revocation', () => {
  it('a revoked jti', async () => {
    revoked.jtis.add(`${LOCAL_ISSUER}|j-revoked`);
    await refused(sign({ claims: { jti: 'j-revoked' } }), 'ERR_AUTH_REVOKED');
    await accepted(sign({ claims: { jti: 'j-other' } }));
  });
  it('the same jti revoked for another issuer does not count', async () => {
    revoked.jtis.add('https://other.example|j-shared');
    await accepted(sign({ claims: { jti: 'j-shared' } }));
  });
  it('a revoked key (kid): every token it signed', async () => {
    revoked.kids.add(`${LOCAL_ISSUER}|${key.kid}`);
    try {
      await refused(sign({ claims: { jti: 'j-fresh' } }), 'ERR_AUTH_REVOKED');
      await refused(mintLocalToken(key, { scopes: [], audience: 'switchboard', now: NOW }), 'ERR_AUTH_REVOKED');
    } finally {
      revoked.kids.clear();
    }
  });
  it('a minted token carries a jti of its own', async () => {
    const a = await verifier.verify(await mintLocalToken(key, { scopes: ['admin'], audience: 'switchboard', now: NOW }));
    expect(a.subject).toBe('local-admin');
    const [, p] = (await mintLocalToken(key, { scopes: [], audience: 'switchboard', now: NOW })).split('.');
    expect(JSON.parse(Buffer.from(p!, 'base64url').toString())).toHaveProperty('jti', expect.stringMatching(/^[0-9a-f-]{36}$/));
  });
});

describe('SMART v2 scope letters (fhirGrant: r reads, s searches)', () => {
  const all = { level: 'all' };
  it.each([
    [['system/Observation.r'], 'Observation', 'r', all],
    [['system/Observation.r'], 'Observation', 's', undefined],
    [['system/Observation.s'], 'Observation', 's', all],
    [['system/Observation.s'], 'Observation', 'r', undefined],
    [['system/Observation.rs'], 'Observation', 's', all],
    [['system/Observation.cruds'], 'Observation', 'r', all],
    [['system/Observation.sr'], 'Observation', 'r', undefined],
    [['system/Observation.rr'], 'Observation', 'r', undefined],
    [['system/Observation.'], 'Observation', 'r', undefined],
    [['system/Observation.cud'], 'Observation', 'r', undefined],
    [['system/*.s'], 'Encounter', 's', all],
    [['system/Observation.read'], 'Observation', 's', all],
    [['system/Observation.write'], 'Observation', 'r', undefined],
    [['system/Observation.rs?category=laboratory'], 'Observation', 'r', undefined],
    [['system/observation.rs'], 'Observation', 'r', undefined],
    [['admin'], 'Observation', 's', all],
    [['user/Observation.rs'], 'Observation', 'r', undefined],
    [['patient/Observation.rs'], 'Observation', 's', undefined],
  ] as const)('%j on %s.%s', (scopes, type, access, grant) => {
    expect(fhirGrant({ scopes }, type, access, true)).toEqual(grant);
  });

  it('patient/ scopes: the launch patient only, on types that can be limited to one patient', () => {
    expect(fhirGrant({ scopes: ['patient/Observation.rs'], patient: 'p1' }, 'Observation', 's', true)).toEqual({ level: 'patient', patient: 'p1' });
    expect(fhirGrant({ scopes: ['patient/*.r'], patient: 'p1' }, 'Patient', 'r', true)).toEqual({ level: 'patient', patient: 'p1' });
    expect(fhirGrant({ scopes: ['patient/*.rs'], patient: 'p1' }, 'Practitioner', 's', false)).toBeUndefined();
    expect(fhirGrant({ scopes: ['patient/Observation.r'], patient: 'p1' }, 'Observation', 's', true)).toBeUndefined();
    expect(fhirGrant({ scopes: ['patient/Observation.rs', 'system/Observation.s'], patient: 'p1' }, 'Observation', 's', true)).toEqual(all);
  });

  it('the patient claim reaches the principal only when it is a FHIR id', async () => {
    expect((await verifier.verify(await sign({ claims: { patient: 'p-1' } }))).patient).toBe('p-1');
    expect((await verifier.verify(await sign({ claims: { patient: 'a b/c' } }))).patient).toBeUndefined();
    expect((await verifier.verify(await sign({ claims: { patient: 7 } }))).patient).toBeUndefined();
  });
});
