// Minting and verifying bearer JWTs with jose: an explicit algorithm allow-list, issuer and audience
// checked, clock injectable so expiry boundaries can be tested exactly.
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, jwtVerify, SignJWT, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { LOCAL_ALG, LOCAL_ISSUER, type LocalKey } from './keys.js';
import { OperationOutcomeError } from '../outcome/index.js';

/** Asymmetric algorithms only: a shared-secret (HS*) or `none` token is never accepted. */
export const ALLOWED_ALGS = ['ES256', 'ES384', 'RS256', 'RS384', 'PS256', 'PS384', 'EdDSA'];

/** Local tokens are short-lived: 1 h by default, at most 24 h. */
export const DEFAULT_TOKEN_TTL_S = 3600;
export const MAX_TOKEN_TTL_S = 24 * 3600;

export interface Principal {
  subject: string;
  issuer: string;
  scopes: string[];
  /** practitioner the token speaks for (SMART fhirUser), when given */
  fhirUser?: string;
}

export interface TrustedIssuer {
  issuer: string;
  jwksUri: string;
  audience?: string;
}

export type AuthErrorCode = 'ERR_AUTH_MISSING' | 'ERR_AUTH_INVALID' | 'ERR_AUTH_UNTRUSTED_ISSUER' | 'ERR_AUTH_FORBIDDEN';

/** An authentication (401) or authorization (403, ERR_AUTH_FORBIDDEN) failure, as an OperationOutcome error. */
export class AuthError extends OperationOutcomeError {
  declare readonly code: AuthErrorCode;
  constructor(code: AuthErrorCode, message: string) {
    super(code === 'ERR_AUTH_FORBIDDEN' ? 'forbidden' : 'unauthenticated', message, { code });
  }
}

export async function mintLocalToken(key: LocalKey, opts: { subject?: string; scopes: string[]; ttlSeconds?: number; audience: string; now?: Date; fhirUser?: string }): Promise<string> {
  const ttl = Math.min(opts.ttlSeconds ?? DEFAULT_TOKEN_TTL_S, MAX_TOKEN_TTL_S);
  const iat = Math.floor((opts.now ?? new Date()).getTime() / 1000);
  const jwt = new SignJWT({ scope: opts.scopes.join(' '), ...(opts.fhirUser ? { fhirUser: opts.fhirUser } : {}) })
    .setProtectedHeader({ alg: LOCAL_ALG, kid: key.kid, typ: 'JWT' })
    .setIssuer(LOCAL_ISSUER)
    .setSubject(opts.subject ?? 'local-admin')
    .setAudience(opts.audience)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttl);
  return jwt.sign(key.privateKey);
}

export class TokenVerifier {
  private readonly keySets = new Map<string, { get: JWTVerifyGetKey; audience: string }>();

  constructor(localKey: LocalKey, private readonly audience: string, issuers: TrustedIssuer[] = [], private readonly now: () => Date = () => new Date()) {
    this.keySets.set(LOCAL_ISSUER, { get: createLocalJWKSet({ keys: [localKey.publicJwk] }), audience });
    for (const i of issuers) this.keySets.set(i.issuer, { get: createRemoteJWKSet(new URL(i.jwksUri)), audience: i.audience ?? audience });
  }

  async verify(token: string): Promise<Principal> {
    let iss: string | undefined;
    try {
      iss = decodeJwt(token).iss;
    } catch {
      throw new AuthError('ERR_AUTH_INVALID', 'bearer token is not a JWT');
    }
    const ks = iss ? this.keySets.get(iss) : undefined;
    if (!ks) throw new AuthError('ERR_AUTH_UNTRUSTED_ISSUER', 'token issuer is not trusted');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, ks.get, { algorithms: ALLOWED_ALGS, issuer: iss, audience: ks.audience, currentDate: this.now(), clockTolerance: 30 }));
    } catch (e) {
      throw new AuthError('ERR_AUTH_INVALID', `bearer token rejected (${(e as { code?: string }).code ?? 'invalid'})`);
    }
    const scope = typeof payload.scope === 'string' ? payload.scope : '';
    return {
      subject: payload.sub ?? '', issuer: iss!, scopes: scope.split(/\s+/).filter(Boolean),
      ...(typeof payload.fhirUser === 'string' ? { fhirUser: payload.fhirUser } : {}),
    };
  }
}
