// Local sign-in failures, each with a stable code; src/http turns the kind into a status. A refused
// sign-in is one code and one text whatever failed (unknown user, wrong password, wrong or missing
// code, disabled account), so the answer never tells which.
import { OperationOutcomeError, type OutcomeKind } from '../outcome/index.js';

export type LocalAuthErrorCode =
  | 'ERR_LOCAL_SIGN_IN_FAILED'     // 401: username, password or one-time code wrong (which is never said)
  | 'ERR_LOCAL_LOCKED'             // 429: too many failures for this username or address; Retry-After
  | 'ERR_LOCAL_PASSWORD_POLICY'    // 400: a new password too short, too long, or containing the username
  | 'ERR_LOCAL_ACCOUNT_INVALID'    // 400: a username, role or practitioner that cannot be stored
  | 'ERR_LOCAL_ACCOUNT_EXISTS'     // 409: the username is taken
  | 'ERR_LOCAL_ACCOUNT_UNKNOWN'    // 404: (CLI) no such account
  | 'ERR_LOCAL_NOT_LOCAL'          // 403: the session is not a local account's (OpenID Connect: change it at the IdP)
  | 'ERR_LOCAL_PASSKEY'            // 401: a WebAuthn response failed a check (challenge, origin, signature, counter)
  | 'ERR_LOCAL_PASSKEY_UNKNOWN'    // 404: the signed-in account has no passkey by that id
  | 'ERR_LOCAL_TOTP_CONFIRM';      // 400: no enrolment under way, or the code does not match its secret

const KIND: Record<LocalAuthErrorCode, OutcomeKind> = {
  ERR_LOCAL_SIGN_IN_FAILED: 'unauthenticated',
  ERR_LOCAL_LOCKED: 'throttled',
  ERR_LOCAL_PASSWORD_POLICY: 'invalid',
  ERR_LOCAL_ACCOUNT_INVALID: 'invalid',
  ERR_LOCAL_ACCOUNT_EXISTS: 'conflict',
  ERR_LOCAL_ACCOUNT_UNKNOWN: 'not-found',
  ERR_LOCAL_NOT_LOCAL: 'forbidden',
  ERR_LOCAL_PASSKEY: 'unauthenticated',
  ERR_LOCAL_PASSKEY_UNKNOWN: 'not-found',
  ERR_LOCAL_TOTP_CONFIRM: 'invalid',
};

export class LocalAuthError extends OperationOutcomeError {
  declare readonly code: LocalAuthErrorCode;
  /** ERR_LOCAL_LOCKED: seconds until a try is checked again (sent as Retry-After) */
  readonly retryAfterS: number | undefined;
  constructor(code: LocalAuthErrorCode, message: string, retryAfterS?: number) {
    super(KIND[code], message, { code });
    this.retryAfterS = retryAfterS;
  }
}

export const SIGN_IN_FAILED = 'sign-in failed: the username, password or one-time code is wrong';
