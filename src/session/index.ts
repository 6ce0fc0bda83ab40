// src/session: people sign in with OpenID Connect (openid-client) and use the API with a session
// cookie; sessions live in PostgreSQL (hashed ids, idle and absolute expiry, revocation).
export { cookieNames, createSignInApp, signInApi, safeReturnPath, DEFAULT_RETURN_PATH, LOGIN_TTL_MS } from './app.js';
export type { SignInDeps } from './app.js';
export { SessionError } from './errors.js';
export type { SessionErrorCode } from './errors.js';
export { OidcRelyingParty } from './oidc.js';
export type { OidcSettings } from './oidc.js';
export { ROLE_SCOPES, ROLES, mapPerson, parseRoleMap, practitionerFrom } from './roles.js';
export type { ClaimMapping, Person } from './roles.js';
export { SessionManager, TOUCH_EVERY_MS, csrfToken, hashId, principalOf } from './sessions.js';
export type { LiveSession, SessionOptions } from './sessions.js';
