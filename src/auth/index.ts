// src/auth: bearer JWTs (jose), the local signing key, SMART scopes.
export { LOCAL_ISSUER, loadOrCreateLocalKey } from './keys.js';
export { requireAuth } from './middleware.js';
export type { AuthEnv } from './middleware.js';
export { DEFAULT_LOCAL_SCOPES, allowsFhir, allowsOperation } from './scopes.js';
export { AuthError, DEFAULT_TOKEN_TTL_S, TokenVerifier, mintLocalToken } from './token.js';
export type { TrustedIssuer } from './token.js';
