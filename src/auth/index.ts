// src/auth: bearer JWTs (jose), the local signing key, SMART scopes, the revocation list.
export { LOCAL_ISSUER, loadOrCreateLocalKey } from './keys.js';
export type { LocalKey } from './keys.js';
export { authenticate } from './middleware.js';
export type { AuthEnv } from './middleware.js';
export { RevocationList, revoke } from './revocation.js';
export { DEFAULT_LOCAL_SCOPES, allowsFhir, allowsOperation, fhirGrant, parseSmartScope } from './scopes.js';
export type { Access, FhirGrant, SmartScope } from './scopes.js';
export { AuthError, CLOCK_TOLERANCE_S, DEFAULT_MAX_LIFETIME_S, DEFAULT_TOKEN_TTL_S, TokenVerifier, mintLocalToken } from './token.js';
export type { AuthErrorCode, Principal, RevocationCheck, TrustedIssuer, VerifierOptions } from './token.js';
