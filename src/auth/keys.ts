// The gateway's own signing key: an ES256 key pair made in DATA_DIR/keys on first start (mode 0600),
// used to mint local tokens (`switchboard token`) and to verify them. Configured issuers' keys come
// from their JWKS endpoints instead.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { exportJWK, generateKeyPair, importJWK, calculateJwkThumbprint, type JWK, type CryptoKey } from 'jose';

export const LOCAL_ISSUER = 'switchboard-local';
export const LOCAL_ALG = 'ES256';

export interface LocalKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function loadOrCreateLocalKey(dataDir: string): Promise<LocalKey> {
  const dir = path.resolve(dataDir, 'keys');
  const file = path.join(dir, 'jwt-signing.jwk.json');
  let jwk: JWK;
  if (existsSync(file)) {
    jwk = JSON.parse(readFileSync(file, 'utf8')) as JWK;
  } else {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const { privateKey } = await generateKeyPair(LOCAL_ALG, { extractable: true });
    jwk = await exportJWK(privateKey);
    jwk.kid = await calculateJwkThumbprint(jwk);
    jwk.alg = LOCAL_ALG;
    // wx: never overwrite a key another process made a moment ago
    try {
      writeFileSync(file, JSON.stringify(jwk), { mode: 0o600, flag: 'wx' });
    } catch {
      jwk = JSON.parse(readFileSync(file, 'utf8')) as JWK;
    }
  }
  const { d: _d, ...pub } = jwk;
  const privateKey = (await importJWK(jwk, LOCAL_ALG)) as CryptoKey;
  return { kid: jwk.kid ?? '', privateKey, publicJwk: { ...pub, use: 'sig' } };
}
