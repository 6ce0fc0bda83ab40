// Time-based one-time passwords (RFC 6238) for local accounts: HOTP (RFC 4226, @oslojs/otp) over the
// 30-second step of an injected instant, one step either side accepted (RFC 6238 5.2: network delay
// and clock drift), and never a step at or before the last one accepted (a code works once).
import { randomBytes } from 'node:crypto';
import { createTOTPKeyURI, verifyHOTP } from '@oslojs/otp';

export const TOTP_PERIOD_S = 30;
export const TOTP_DIGITS = 6;
/** Steps accepted either side of the current one (RFC 6238 5.2 recommends at most one). */
export const TOTP_WINDOW_STEPS = 1;
/** RFC 4226 4 R6: at least 128 bits, 160 recommended. */
const SECRET_BYTES = 20;

/** The RFC 6238 time step T of an instant. */
export const totpStep = (now: Date): number => Math.floor(now.getTime() / 1000 / TOTP_PERIOD_S);

export const newTotpSecret = (): Uint8Array => new Uint8Array(randomBytes(SECRET_BYTES));

/**
 * The step a code was made for, when it is one of current-1 .. current+1 and later than `lastStep`
 * (the last one accepted for this secret); undefined otherwise. The caller records the step it gets,
 * atomically, before it trusts the code (two requests racing with one code: one wins).
 */
export function matchTotp(secret: Uint8Array, code: string, now: Date, lastStep: number | null): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  const current = totpStep(now);
  let found: number | undefined;
  // every candidate is checked (no early exit): the time taken does not say which step matched
  for (let step = Math.max(0, current - TOTP_WINDOW_STEPS); step <= current + TOTP_WINDOW_STEPS; step++) {
    const ok = verifyHOTP(secret, BigInt(step), TOTP_DIGITS, code);
    if (ok && (lastStep === null || step > lastStep) && found === undefined) found = step;
  }
  return found;
}

/** The otpauth:// URI an authenticator app reads (as a QR code or pasted); it holds the secret: show it once. */
export function totpUri(issuer: string, account: string, secret: Uint8Array): string {
  return createTOTPKeyURI(issuer, account, secret, TOTP_PERIOD_S, TOTP_DIGITS);
}
