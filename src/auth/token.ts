// Minting and verifying bearer JWTs with jose: an explicit algorithm allow-list, issuer and audience
// checked, `exp` required and the lifetime capped, `iat`/`nbf` checked, the `typ` header checked,
// revocation by `jti` or key id; the clock is injectable so every boundary can be tested exactly.
import { randomUUID } from 'node:crypto';
import {
  createLocalJWKSet, createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, SignJWT,
  type JWTPayload, type JWTVerifyGetKey, type ProtectedHeaderParameters,
} from 'jose';
import { LOCAL_ALG, LOCAL_ISSUER, type LocalKey } from './keys.js';
import { OperationOutcomeError } from '../outcome/index.js';
import type { SessionRole } from '../store/index.js';

/** An `organization` claim: an organisation id (src/auth/policy.ts ORGANIZATION_ID). */
const ORGANIZATION_CLAIM = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;

/** Asymmetric algorithms only: a shared-secret (HS*) or `none` token is never accepted (RFC 8725 3.1). */
export const ALLOWED_ALGS = ['ES256', 'ES384', 'RS256', 'RS384', 'PS256', 'PS384', 'EdDSA'];

/** Local tokens live 1 h unless asked otherwise. */
export const DEFAULT_TOKEN_TTL_S = 3600;
/** The longest lifetime (exp - iat) accepted unless configured otherwise (AUTH_MAX_TOKEN_LIFETIME_S). */
export const DEFAULT_MAX_LIFETIME_S = 3600;
/** Clock difference tolerated between us and an issuer on exp, nbf and iat, seconds. */
export const CLOCK_TOLERANCE_S = 30;

/**
 * `typ` headers accepted: RFC 9068 access tokens (`at+jwt`, also spelt `application/at+jwt`), plain
 * `JWT`, or none (RFC 7519 5.1 makes it optional, and many issuers leave it out). Anything else is a
 * token of another kind presented as an access token: an OpenID Connect ID token (`id_token`,
 * `id_token+jwt`), a logout or security-event token, a DPoP proof.
 */
const ACCEPTED_TYP = ['jwt', 'at+jwt', 'application/at+jwt', 'application/jwt'];

/** FHIR R4 datatypes.html#id: the SMART `patient` launch context must be one. */
const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

export interface Principal {
  subject: string;
  issuer: string;
  scopes: string[];
  /** practitioner the token speaks for (SMART fhirUser), when given */
  fhirUser?: string;
  /** SMART launch context: the patient `patient/` scopes are limited to */
  patient?: string;
  /**
   * The organisation the principal acts for: a token's `organization` claim (it limits what the token
   * reads to that organisation's rows, src/auth/policy.ts), a session's organisation
   */
  organization?: string;
  /** a sign-in session's role (none for a bearer token) */
  role?: SessionRole;
}

export interface TrustedIssuer {
  issuer: string;
  jwksUri: string;
  audience?: string;
  /** every token of this issuer acts for this organisation (a client of one practice); a token naming another is refused */
  organization?: string;
}

export type AuthErrorCode =
  | 'ERR_AUTH_MISSING'
  | 'ERR_AUTH_INVALID'
  | 'ERR_AUTH_UNTRUSTED_ISSUER'
  | 'ERR_AUTH_TOKEN_TYPE'
  | 'ERR_AUTH_LIFETIME'
  | 'ERR_AUTH_ISSUED_IN_FUTURE'
  | 'ERR_AUTH_REVOKED'
  | 'ERR_AUTH_FORBIDDEN';

/** An authentication (401) or authorization (403, ERR_AUTH_FORBIDDEN) failure, as an OperationOutcome error. */
export class AuthError extends OperationOutcomeError {
  declare readonly code: AuthErrorCode;
  constructor(code: AuthErrorCode, message: string) {
    super(code === 'ERR_AUTH_FORBIDDEN' ? 'forbidden' : 'unauthenticated', message, { code });
  }
}

/** Whether a token (by its issuer and `jti`, or the `kid` that signed it) was revoked. */
export interface RevocationCheck {
  isRevoked(issuer: string, ids: { jti?: string; kid?: string }): boolean;
}

export async function mintLocalToken(key: LocalKey, opts: { subject?: string; scopes: string[]; ttlSeconds?: number; audience: string; now?: Date; fhirUser?: string; patient?: string; organization?: string }): Promise<string> {
  const ttl = opts.ttlSeconds ?? DEFAULT_TOKEN_TTL_S;
  const iat = Math.floor((opts.now ?? new Date()).getTime() / 1000);
  const claims = { scope: opts.scopes.join(' '), ...(opts.fhirUser ? { fhirUser: opts.fhirUser } : {}), ...(opts.patient ? { patient: opts.patient } : {}), ...(opts.organization ? { organization: opts.organization } : {}) };
  return new SignJWT(claims)
    .setProtectedHeader({ alg: LOCAL_ALG, kid: key.kid, typ: 'at+jwt' })
    .setIssuer(LOCAL_ISSUER)
    .setSubject(opts.subject ?? 'local-admin')
    .setAudience(opts.audience)
    .setJti(randomUUID()) // so that `switchboard token revoke` can revoke this one token
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttl)
    .sign(key.privateKey);
}

export interface VerifierOptions {
  localKey: LocalKey;
  /** `aud` every token must carry (a configured issuer may name its own) */
  audience: string;
  issuers?: readonly TrustedIssuer[];
  now?: () => Date;
  /** the longest exp - iat accepted, seconds (DEFAULT_MAX_LIFETIME_S) */
  maxLifetimeS?: number;
  revocations?: RevocationCheck;
}

const rejected = (e: unknown): AuthError => new AuthError('ERR_AUTH_INVALID', `bearer token rejected (${(e as { code?: string }).code ?? 'invalid'})`);

export class TokenVerifier {
  private readonly keySets = new Map<string, { get: JWTVerifyGetKey; audience: string; organization?: string | undefined }>();
  private readonly now: () => Date;
  private readonly maxLifetimeS: number;

  constructor(private readonly opts: VerifierOptions) {
    this.now = opts.now ?? (() => new Date());
    this.maxLifetimeS = opts.maxLifetimeS ?? DEFAULT_MAX_LIFETIME_S;
    this.keySets.set(LOCAL_ISSUER, { get: createLocalJWKSet({ keys: [opts.localKey.publicJwk] }), audience: opts.audience });
    for (const i of opts.issuers ?? []) this.keySets.set(i.issuer, { get: createRemoteJWKSet(new URL(i.jwksUri)), audience: i.audience ?? opts.audience, organization: i.organization });
  }

  async verify(token: string): Promise<Principal> {
    let header: ProtectedHeaderParameters;
    let iss: string | undefined;
    try {
      header = decodeProtectedHeader(token);
      iss = decodeJwt(token).iss;
    } catch {
      throw new AuthError('ERR_AUTH_INVALID', 'bearer token is not a JWT');
    }
    const ks = iss ? this.keySets.get(iss) : undefined;
    if (!ks || !iss) throw new AuthError('ERR_AUTH_UNTRUSTED_ISSUER', 'token issuer is not trusted');
    // RFC 7515 4.1.9: typ is a media type, compared case-insensitively
    if (header.typ !== undefined && !ACCEPTED_TYP.includes(header.typ.toLowerCase())) {
      throw new AuthError('ERR_AUTH_TOKEN_TYPE', 'token is not an access token (typ must be at+jwt, JWT or absent)');
    }
    const now = this.now();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, ks.get, { algorithms: ALLOWED_ALGS, issuer: iss, audience: ks.audience, currentDate: now, clockTolerance: CLOCK_TOLERANCE_S, requiredClaims: ['exp'] }));
    } catch (e) {
      throw rejected(e);
    }
    this.checkTimes(payload, now);
    const jti = typeof payload.jti === 'string' ? payload.jti : undefined;
    if (this.opts.revocations?.isRevoked(iss, { ...(jti ? { jti } : {}), ...(header.kid ? { kid: header.kid } : {}) })) {
      throw new AuthError('ERR_AUTH_REVOKED', 'bearer token was revoked');
    }
    const scope = typeof payload.scope === 'string' ? payload.scope : '';
    // a token limited to an organisation must name it readably: an unreadable claim limits to nothing we know, so it is refused
    const org = payload.organization ?? ks.organization;
    if (org !== undefined && (typeof org !== 'string' || !ORGANIZATION_CLAIM.test(org))) throw new AuthError('ERR_AUTH_INVALID', 'bearer token has an invalid organization claim');
    if (ks.organization !== undefined && org !== ks.organization) throw new AuthError('ERR_AUTH_INVALID', 'bearer token names another organisation than its issuer is configured for');
    return {
      subject: payload.sub ?? '', issuer: iss, scopes: scope.split(/\s+/).filter(Boolean),
      ...(typeof payload.fhirUser === 'string' ? { fhirUser: payload.fhirUser } : {}),
      ...(typeof payload.patient === 'string' && FHIR_ID.test(payload.patient) ? { patient: payload.patient } : {}),
      ...(typeof org === 'string' ? { organization: org } : {}),
    };
  }

  /** jose has checked exp and nbf; a token issued in the future, or living longer than allowed, is refused here. */
  private checkTimes(payload: JWTPayload, now: Date): void {
    const nowS = Math.floor(now.getTime() / 1000);
    if (payload.iat !== undefined && payload.iat > nowS + CLOCK_TOLERANCE_S) {
      throw new AuthError('ERR_AUTH_ISSUED_IN_FUTURE', 'bearer token is issued in the future (iat)');
    }
    // without iat, the lifetime is counted from nbf or from now: what is left of it must fit the cap
    const from = payload.iat ?? payload.nbf ?? nowS;
    if ((payload.exp ?? 0) - from > this.maxLifetimeS) {
      throw new AuthError('ERR_AUTH_LIFETIME', `bearer token lives longer than ${this.maxLifetimeS} s (exp - iat)`);
    }
  }
}
