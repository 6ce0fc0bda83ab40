// The sign-in and session failures, each with a stable code; src/http turns the kind into a status.
import { OperationOutcomeError, type OutcomeKind } from '../outcome/index.js';

export type SessionErrorCode =
  | 'ERR_SESSION_MISSING'          // 401: no session cookie
  | 'ERR_SESSION_INVALID'          // 401: a cookie no session has
  | 'ERR_SESSION_EXPIRED'          // 401: idle or absolute lifetime over
  | 'ERR_SESSION_REVOKED'          // 401: signed out
  | 'ERR_SESSION_CSRF'             // 403: a state-changing request without the session's X-CSRF-Token
  | 'ERR_SESSION_UNKNOWN_PERSON'   // 403: the IdP knows the person, the role map does not
  | 'ERR_SESSION_NO_PRACTITIONER'  // 403: a provider whose ID token names no practitioner
  | 'ERR_SESSION_NO_ORGANIZATION'  // 403: an operator or supervisor whose ID token names no organisation (OIDC_ORGANIZATION_CLAIM)
  | 'ERR_SESSION_RETURN_PATH'      // 400: returnTo is not a relative path of ours
  | 'ERR_SESSION_STATE'            // 400: a callback without a sign-in under way in this browser
  | 'ERR_SESSION_CALLBACK'         // 401: the IdP's answer failed a check (state, nonce, iss, aud, exp, PKCE)
  | 'ERR_SESSION_IDP'              // 401: the IdP answered with an error (access_denied, ...)
  | 'ERR_SESSION_IDP_UNAVAILABLE'; // 503: the IdP could not be reached

const KIND: Record<SessionErrorCode, OutcomeKind> = {
  ERR_SESSION_MISSING: 'unauthenticated',
  ERR_SESSION_INVALID: 'unauthenticated',
  ERR_SESSION_EXPIRED: 'unauthenticated',
  ERR_SESSION_REVOKED: 'unauthenticated',
  ERR_SESSION_CSRF: 'forbidden',
  ERR_SESSION_UNKNOWN_PERSON: 'forbidden',
  ERR_SESSION_NO_PRACTITIONER: 'forbidden',
  ERR_SESSION_NO_ORGANIZATION: 'forbidden',
  ERR_SESSION_RETURN_PATH: 'invalid',
  ERR_SESSION_STATE: 'invalid',
  ERR_SESSION_CALLBACK: 'unauthenticated',
  ERR_SESSION_IDP: 'unauthenticated',
  ERR_SESSION_IDP_UNAVAILABLE: 'unavailable',
};

export class SessionError extends OperationOutcomeError {
  declare readonly code: SessionErrorCode;
  constructor(code: SessionErrorCode, message: string) {
    super(KIND[code], message, { code });
  }
}
