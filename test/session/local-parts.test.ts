// The pure parts of local sign-in: when it is on, the lockout schedule, TOTP steps and windows (an
// independent RFC 6238 reference: the RFC's own test vectors), the password rules and the sealing of
// secrets.
import { describe, expect, it } from 'vitest';
import { generateHOTP } from '@oslojs/otp';
import { localSignInEnabled, matchTotp, passwordProblem, totpStep } from '../../src/auth/index.js';
import { ACCOUNT_THROTTLE, ADDRESS_THROTTLE, lockMs, retryAfterS } from '../../src/auth/throttle.js';
import { seal, unseal } from '../../src/auth/secret-box.js';
import { createHmac, randomBytes } from 'node:crypto';
import fc from 'fast-check';

describe('localSignInEnabled', () => {
  it.each([
    [{}, true],
    [{ OIDC_ISSUER: 'https://idp.example' }, false],
    [{ DATABASE_URL: 'postgres://db/sb' }, false],
    [{ DATABASE_URL: 'postgres://db/sb', LOCAL_AUTH: 'on' as const }, true],
    [{ LOCAL_AUTH: 'off' as const }, false],
    [{ OIDC_ISSUER: 'https://idp.example', LOCAL_AUTH: 'on' as const }, true],
  ])('%j -> %s', (c, on) => {
    expect(localSignInEnabled({ LOCAL_AUTH: undefined, DATABASE_URL: undefined, OIDC_ISSUER: undefined, ...c })).toBe(on);
  });
});

describe('lockout schedule', () => {
  it('locks nothing for the free failures, then doubles from 30 s to the 15 min cap', () => {
    expect([1, 2, 3, 4].map((n) => lockMs(n, ACCOUNT_THROTTLE))).toEqual([0, 0, 0, 0]);
    expect([5, 6, 7, 8, 9, 10, 11, 50].map((n) => lockMs(n, ACCOUNT_THROTTLE) / 1000)).toEqual([30, 60, 120, 240, 480, 900, 900, 900]);
    expect(lockMs(19, ADDRESS_THROTTLE)).toBe(0);
    expect(lockMs(20, ADDRESS_THROTTLE)).toBe(30_000);
  });
  it('rounds Retry-After up to whole seconds, at least 1', () => {
    const now = new Date(0);
    expect(retryAfterS(new Date(29_001), now)).toBe(30);
    expect(retryAfterS(new Date(1), now)).toBe(1);
  });
});

describe('TOTP', () => {
  // RFC 6238 Appendix B, SHA-1, the 20-byte ASCII secret "12345678901234567890" (8-digit codes there; the last 6 digits here)
  const rfcSecret = new Uint8Array(Buffer.from('12345678901234567890'));
  it.each([
    [59, '287082'], [1111111109, '081804'], [1111111111, '050471'], [1234567890, '005924'], [2000000000, '279037'],
  ])('at %i s the code is %s (RFC 6238 test vectors)', (t, code) => {
    expect(matchTotp(rfcSecret, code, new Date(t * 1000), null)).toBe(totpStep(new Date(t * 1000)));
  });

  it('takes one step either side and nothing further, and no step at or before the last used', () => {
    const secret = new Uint8Array(randomBytes(20));
    const at = new Date(1_700_000_000_000);
    const step = totpStep(at);
    const code = (s: number) => generateHOTP(secret, BigInt(s), 6);
    expect(matchTotp(secret, code(step - 1), at, null)).toBe(step - 1);
    expect(matchTotp(secret, code(step + 1), at, null)).toBe(step + 1);
    expect(matchTotp(secret, code(step - 2), at, null)).toBeUndefined();
    expect(matchTotp(secret, code(step + 2), at, null)).toBeUndefined();
    expect(matchTotp(secret, code(step), at, step)).toBeUndefined();
    expect(matchTotp(secret, code(step), at, step - 1)).toBe(step);
    expect(matchTotp(secret, 'abcdef', at, null)).toBeUndefined();
    expect(matchTotp(secret, code(step) + '0', at, null)).toBeUndefined();
  });
});

/** RFC 4226 5.3 written out (HMAC-SHA-1, dynamic truncation, 6 digits): the oracle, independent of @oslojs/otp. */
function naiveHotp(secret: Uint8Array, counter: number): string {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const h = createHmac('sha1', secret).update(msg).digest();
  const o = h[19]! & 0x0f;
  const bin = ((h[o]! & 0x7f) << 24) | (h[o + 1]! << 16) | (h[o + 2]! << 8) | h[o + 3]!;
  return String(bin % 1_000_000).padStart(6, '0');
}

describe('TOTP against a naive oracle', () => {
  it('accepts a code exactly when its step is within one of now and later than the last used', () => {
    fc.assert(fc.property(
      fc.uint8Array({ minLength: 20, maxLength: 20 }), fc.integer({ min: 0, max: 4_000_000_000_000 }), fc.integer({ min: -3, max: 3 }), fc.option(fc.integer({ min: -3, max: 3 })),
      (secret, ms, offset, lastOffset) => {
        const at = new Date(ms);
        const now = Math.floor(ms / 30_000);
        const step = now + offset;
        fc.pre(step >= 0);
        const last = lastOffset === null ? null : now + lastOffset;
        const got = matchTotp(secret, naiveHotp(secret, step), at, last);
        // a code can also be valid for another step in the window by chance (1 in a million each): the oracle allows it
        const other = [-1, 0, 1].map((d) => now + d).find((s) => s >= 0 && s !== step && naiveHotp(secret, s) === naiveHotp(secret, step) && (last === null || s > last));
        const want = Math.abs(offset) <= 1 && (last === null || step > last) ? step : other;
        expect(got).toBe(want);
      },
    ));
  });
});

describe('password rules', () => {
  it.each([
    ['short', 'at least 12'],
    ['x'.repeat(257), 'at most 256'],
    ['my name is alice, hello', 'username'],
  ])('refuses %j', (pw, why) => {
    expect(passwordProblem(pw, 'alice')).toContain(why);
  });
  it('takes a long passphrase, counting characters not bytes', () => {
    expect(passwordProblem('correct horse battery staple', 'alice')).toBeUndefined();
    expect(passwordProblem('ü'.repeat(12))).toBeUndefined();
  });
});

describe('sealed secrets', () => {
  it('open with the key and owner they were sealed for, and nothing else', () => {
    const key = randomBytes(32);
    const plain = new Uint8Array(randomBytes(20));
    const sealed = seal(key, plain, 'totp:alice');
    expect(Buffer.from(unseal(key, sealed, 'totp:alice')!)).toEqual(Buffer.from(plain));
    expect(unseal(key, sealed, 'totp:bob')).toBeUndefined();
    expect(unseal(randomBytes(32), sealed, 'totp:alice')).toBeUndefined();
    const tampered = Buffer.from(sealed);
    tampered[14]! ^= 1;
    expect(unseal(key, tampered, 'totp:alice')).toBeUndefined();
  });
});
