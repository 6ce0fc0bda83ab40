// Tokens from a configured issuer, verified against its JWKS served over HTTP (a real server on
// 127.0.0.1), with the explicit algorithm list.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { TokenVerifier, loadOrCreateLocalKey } from '../../src/auth/index.js';

let server: http.Server;
let jwksUri: string;
let privateKey: CryptoKey;
const ISSUER = 'https://idp.hospital.test';

beforeAll(async () => {
  const pair = await generateKeyPair('RS384');
  privateKey = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS384', use: 'sig' };
  server = http.createServer((_req, res) => { res.setHeader('content-type', 'application/json'); res.end(JSON.stringify({ keys: [jwk] })); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  jwksUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const token = (claims: Record<string, unknown>, iss = ISSUER, aud = 'switchboard-api') =>
  new SignJWT(claims).setProtectedHeader({ alg: 'RS384', kid: 'k1' }).setIssuer(iss).setAudience(aud).setSubject('ehr-client').setIssuedAt().setExpirationTime('5m').sign(privateKey);

describe('configured issuers', () => {
  it('accepts a token signed with a key from the issuer\'s JWKS, with its own audience', async () => {
    const local = await loadOrCreateLocalKey(mkdtempSync(path.join(os.tmpdir(), 'sb-iss-')));
    const v = new TokenVerifier({ localKey: local, audience: 'switchboard', issuers: [{ issuer: ISSUER, jwksUri, audience: 'switchboard-api' }] });
    const p = await v.verify(await token({ scope: 'system/Communication.rs', fhirUser: 'Practitioner/dr-chen' }));
    expect(p).toMatchObject({ issuer: ISSUER, subject: 'ehr-client', scopes: ['system/Communication.rs'], fhirUser: 'Practitioner/dr-chen' });
  });

  it('refuses the wrong audience and an issuer that is not configured', async () => {
    const local = await loadOrCreateLocalKey(mkdtempSync(path.join(os.tmpdir(), 'sb-iss-')));
    const v = new TokenVerifier({ localKey: local, audience: 'switchboard', issuers: [{ issuer: ISSUER, jwksUri, audience: 'switchboard-api' }] });
    await expect(v.verify(await token({}, ISSUER, 'someone-else'))).rejects.toMatchObject({ code: 'ERR_AUTH_INVALID' });
    await expect(v.verify(await token({}, 'https://other.test'))).rejects.toMatchObject({ code: 'ERR_AUTH_UNTRUSTED_ISSUER' });
  });

  it('an issuer configured with an organisation: its tokens act for it; one naming another organisation is refused', async () => {
    const local = await loadOrCreateLocalKey(mkdtempSync(path.join(os.tmpdir(), 'sb-iss-')));
    const v = new TokenVerifier({ localKey: local, audience: 'switchboard', issuers: [{ issuer: ISSUER, jwksUri, audience: 'switchboard-api', organization: 'north' }] });
    expect(await v.verify(await token({ scope: 'inbox.read' }))).toMatchObject({ organization: 'north' });
    expect(await v.verify(await token({ scope: 'inbox.read', organization: 'north' }))).toMatchObject({ organization: 'north' });
    await expect(v.verify(await token({ scope: 'inbox.read', organization: 'south' }))).rejects.toMatchObject({ code: 'ERR_AUTH_INVALID' });
  });
});
