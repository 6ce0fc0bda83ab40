// Minting and verifying bearer JWTs with jose: an explicit algorithm allow-list, issuer and audience
// checked, `exp` required and the lifetime capped, `iat`/`nbf` checked, the `typ` header checked,
// revocation by `jti` or key id; the clock is injectable so every boundary can be tested exactly.
import { randomUUID } from 'node:crypto';
import {
  createLocalJWKSet, createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, SignJWT,
  type JWTPayload, type JWTVerifyGetKey, type ProtectedHeaderParameters, type RemoteJWKSetOptions,
} from 'jose';
import { TOKEN_CACHE_MAX, TOKEN_CACHE_MAX_AGE_MS, TokenCache, tokenDigest, type KeySetView } from './token-cache.js';
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
  /** verified tokens remembered, at most (TOKEN_CACHE_MAX; 0: none) */
  cacheSize?: number;
  /** how configured issuers' key sets are fetched and re-fetched (jose's defaults: 10 min cache, 30 s cooldown) */
  remoteJwks?: RemoteJWKSetOptions;
}

type RemoteKeySet = ReturnType<typeof createRemoteJWKSet>;

interface KeySet {
  get: JWTVerifyGetKey;
  audience: string;
  organization?: string | undefined;
  /** a remote set: its key ids are re-read after each call into jose (only jose re-fetches it) */
  remote?: RemoteKeySet;
  view: KeySetView & { kids: string };
}

/** What a verified token gives on every later request: its principal, and what is checked again each time. */
interface Verified {
  principal: Principal;
  jti: string | undefined;
  kid: string | undefined;
  /** the token's `exp`, epoch seconds */
  exp: number;
  verifiedAtMs: number;
}

const rejected = (e: unknown): AuthError => new AuthError('ERR_AUTH_INVALID', `bearer token rejected (${(e as { code?: string }).code ?? 'invalid'})`);

const kidsOf = (keys: readonly { kid?: string | undefined }[]): string[] => keys.map((k) => k.kid).filter((k): k is string => typeof k === 'string');

function keySetView(kids: readonly string[]): KeySetView & { kids: string } {
  const set = new Set(kids);
  return { doc: {}, kids: [...set].sort().join(' '), hasKid: (kid) => set.has(kid) };
}

export class TokenVerifier {
  private readonly keySets = new Map<string, KeySet>();
  private readonly now: () => Date;
  private readonly maxLifetimeS: number;
  private readonly cache: TokenCache<Verified> | undefined;

  constructor(private readonly opts: VerifierOptions) {
    this.now = opts.now ?? (() => new Date());
    this.maxLifetimeS = opts.maxLifetimeS ?? DEFAULT_MAX_LIFETIME_S;
    const cacheSize = opts.cacheSize ?? TOKEN_CACHE_MAX;
    this.cache = cacheSize > 0 ? new TokenCache<Verified>(cacheSize) : undefined;
    this.keySets.set(LOCAL_ISSUER, { get: createLocalJWKSet({ keys: [opts.localKey.publicJwk] }), audience: opts.audience, view: keySetView(kidsOf([opts.localKey.publicJwk])) });
    for (const i of opts.issuers ?? []) {
      const remote = createRemoteJWKSet(new URL(i.jwksUri), opts.remoteJwks);
      this.keySets.set(i.issuer, { get: remote, remote, audience: i.audience ?? opts.audience, organization: i.organization, view: keySetView([]) });
    }
  }

  /** Verified tokens remembered now (tests, metrics). */
  get cachedTokens(): number {
    return this.cache?.size ?? 0;
  }

  /**
   * The principal of a bearer token. A token verified before (same text, key still in its issuer's key
   * set, not expired) is not verified again; revocation is checked on every call.
   */
  async verify(token: string): Promise<Principal> {
    const digest = this.cache ? tokenDigest(token) : '';
    const hit = this.cache ? this.cachedVerification(digest) : undefined;
    if (hit) {
      this.checkRevoked(hit.principal.issuer, hit);
      return { ...hit.principal, scopes: [...hit.principal.scopes] }; // the caller may change its copy

    }
    const v = await this.verifyFully(token);
    if (this.cache) this.cache.set(digest, { value: v, expiresAtMs: Math.min((v.exp + CLOCK_TOLERANCE_S) * 1000, v.verifiedAtMs + TOKEN_CACHE_MAX_AGE_MS), keySet: this.keySets.get(v.principal.issuer)!.view.doc, kid: v.kid });
    return v.principal;
  }

  private cachedVerification(digest: string): Verified | undefined {
    return this.cache!.get(digest, this.now().getTime(), (v) => {
      const ks = this.keySets.get(v.principal.issuer);
      // a remote set jose would re-fetch now (older than its cache age) is re-fetched through a full verification
      if (!ks || (ks.remote && !ks.remote.fresh)) return undefined;
      return ks.view;
    })?.value;
  }

  private checkRevoked(iss: string, v: { jti: string | undefined; kid: string | undefined }): void {
    if (this.opts.revocations?.isRevoked(iss, { ...(v.jti ? { jti: v.jti } : {}), ...(v.kid ? { kid: v.kid } : {}) })) {
      throw new AuthError('ERR_AUTH_REVOKED', 'bearer token was revoked');
    }
  }

  /** A remote key set's key ids after jose used it (and perhaps re-fetched it): a change gives a new view. */
  private noteKeySet(ks: KeySet): void {
    if (!ks.remote) return;
    const kids = keySetView(kidsOf(ks.remote.jwks()?.keys ?? []));
    if (kids.kids !== ks.view.kids) ks.view = kids;
  }

  private async verifyFully(token: string): Promise<Verified> {
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
    } finally {
      this.noteKeySet(ks);
    }
    this.checkTimes(payload, now);
    const jti = typeof payload.jti === 'string' ? payload.jti : undefined;
    this.checkRevoked(iss, { jti, kid: header.kid });
    const scope = typeof payload.scope === 'string' ? payload.scope : '';
    // a token limited to an organisation must name it readably: an unreadable claim limits to nothing we know, so it is refused
    const org = payload.organization ?? ks.organization;
    if (org !== undefined && (typeof org !== 'string' || !ORGANIZATION_CLAIM.test(org))) throw new AuthError('ERR_AUTH_INVALID', 'bearer token has an invalid organization claim');
    if (ks.organization !== undefined && org !== ks.organization) throw new AuthError('ERR_AUTH_INVALID', 'bearer token names another organisation than its issuer is configured for');
    const principal: Principal = {
      subject: payload.sub ?? '', issuer: iss, scopes: scope.split(/\s+/).filter(Boolean),
      ...(typeof payload.fhirUser === 'string' ? { fhirUser: payload.fhirUser } : {}),
      ...(typeof payload.patient === 'string' && FHIR_ID.test(payload.patient) ? { patient: payload.patient } : {}),
      ...(typeof org === 'string' ? { organization: org } : {}),
    };
    return { principal, jti, kid: header.kid, exp: payload.exp ?? 0, verifiedAtMs: now.getTime() };
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
