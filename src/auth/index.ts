// src/auth: bearer JWTs (jose), the local signing key, SMART scopes, the revocation list; people's
// sign-in with OpenID Connect (openid-client) and their sessions in PostgreSQL (session*.ts, oidc.ts).
export { LOCAL_ISSUER, loadOrCreateLocalKey } from './keys.js';
export type { LocalKey } from './keys.js';
export { authenticate } from './middleware.js';
export { DEFAULT_ORGANIZATION, ORGANIZATION_ID, PROVIDER_SCOPE, reachOf, rowFilter } from './policy.js';
export type { Reach, ResourceFamily, RowFilter } from './policy.js';
export type { AuthEnv } from './middleware.js';
export { RevocationList, revoke } from './revocation.js';
export { DEFAULT_LOCAL_SCOPES, allowsFhir, allowsOperation, fhirGrant, parseSmartScope } from './scopes.js';
export type { Access, FhirGrant, SmartScope } from './scopes.js';
export { AuthError, CLOCK_TOLERANCE_S, DEFAULT_MAX_LIFETIME_S, DEFAULT_TOKEN_TTL_S, TokenVerifier, mintLocalToken } from './token.js';
export type { AuthErrorCode, Principal, RevocationCheck, TrustedIssuer, VerifierOptions } from './token.js';
// sign-in and sessions
export { cookieNames, createSignInApp, sessionCookie, signInApi, safeReturnPath, DEFAULT_RETURN_PATH, LOGIN_TTL_MS } from './session-app.js';
export type { SignInDeps } from './session-app.js';
export { SessionError } from './session-errors.js';
export type { SessionErrorCode } from './session-errors.js';
export { OidcRelyingParty } from './oidc.js';
export type { OidcSettings } from './oidc.js';
export { ROLE_SCOPES, ROLES, mapPerson, parseRoleMap, practitionerFrom } from './session-roles.js';
export type { ClaimMapping, Person } from './session-roles.js';
export { SessionManager, TOUCH_EVERY_MS, csrfToken, hashId, principalOf } from './sessions.js';
export type { LiveSession, SessionOptions } from './sessions.js';
// local accounts (the embedded default's sign-in without an IdP): argon2id passwords, TOTP, passkeys
export { BY_CLI, LOCAL_ACCOUNT_ISSUER, LocalAccounts, normaliseUsername, personOf } from './local-accounts.js';
export type { ChangedBy, LocalAccountsOptions, NewAccount, SignInAttempt } from './local-accounts.js';
// the audit events of signing in (README "Audit trail")
export { AUTH_AUDIT, sessionActor, typedNameHash } from './sign-in-audit.js';
export type { AuditSink, AuthAuditEvent, SignInMethod } from './sign-in-audit.js';
export { LocalAuthError } from './local-errors.js';
export type { LocalAuthErrorCode } from './local-errors.js';
export { createLocalSignInApp, localSignInApi } from './local-app.js';
export type { LocalSignInDeps } from './local-app.js';
export { Passkeys, CHALLENGE_TTL_MS, OPTIONS_PER_ADDRESS, OPTIONS_WINDOW_MS } from './passkeys.js';
export type { PasskeyOptions } from './passkeys.js';
export { ARGON2_PARAMS, PASSWORD_MIN_CHARS, generatePassword, hashPassword, passwordProblem, verifyPassword } from './password.js';
export { TOTP_PERIOD_S, matchTotp, totpStep } from './totp.js';
export { loadOrCreateSecretKey } from './secret-box.js';
export { localSignInEnabled } from './local-settings.js';
