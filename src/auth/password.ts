// Passwords of local accounts: argon2id (@node-rs/argon2) with OWASP's parameters, stored as the PHC
// string (algorithm, version, parameters and salt ride with the hash, so a later change of parameters
// still verifies old hashes and `needsRehash` says when to upgrade one).
import { randomBytes } from 'node:crypto';
import { hash, verify, type Algorithm } from '@node-rs/argon2';

/** Algorithm.Argon2id (a const enum, which verbatimModuleSyntax cannot import as a value). */
const ARGON2ID = 2 as Algorithm;

/**
 * OWASP Password Storage Cheat Sheet, argon2id: m=19 MiB, t=2, p=1 (its first listed configuration;
 * about 30-60 ms on one core here, which bounds a guesser and keeps a sign-in quick).
 */
export const ARGON2_PARAMS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1, outputLen: 32 } as const;

/** NIST SP 800-63B 3.1.1.2: at least 8; 12 here (a clinical system); long passphrases allowed. */
export const PASSWORD_MIN_CHARS = 12;
/** Upper bound on what is hashed (a 1 MB "password" costs nothing more to argon2, but is no password). */
export const PASSWORD_MAX_CHARS = 256;

export function hashPassword(password: string): Promise<string> {
  return hash(password.normalize('NFC'), ARGON2_PARAMS);
}

/** True when `password` matches the PHC string; a malformed hash is a mismatch, never an exception. */
export async function verifyPassword(phc: string, password: string): Promise<boolean> {
  try {
    return await verify(phc, password.normalize('NFC'));
  } catch {
    return false;
  }
}

/** True when a stored PHC string was made with other parameters than ARGON2_PARAMS (rehash it at the next sign-in). */
export function needsRehash(phc: string): boolean {
  const want = `$argon2id$v=19$m=${ARGON2_PARAMS.memoryCost},t=${ARGON2_PARAMS.timeCost},p=${ARGON2_PARAMS.parallelism}$`;
  return !phc.startsWith(want);
}

/** A hash of a password nobody has, verified when the username is unknown so that both paths cost the same. */
let dummy: Promise<string> | undefined;
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(24).toString('base64url'));
  return dummy;
}

/** Why a new password is refused, or undefined when it is acceptable (length only: NIST 800-63B 3.1.1.2 asks for no composition rules). */
export function passwordProblem(password: string, username?: string): string | undefined {
  const chars = [...password.normalize('NFC')].length;
  if (chars < PASSWORD_MIN_CHARS) return `a password must have at least ${PASSWORD_MIN_CHARS} characters`;
  if (chars > PASSWORD_MAX_CHARS) return `a password may have at most ${PASSWORD_MAX_CHARS} characters`;
  if (username !== undefined && password.toLowerCase().includes(username.toLowerCase())) return 'a password may not contain the username';
  return undefined;
}

/** A first password to hand over once: 20 characters of base64url, 120 random bits. */
export function generatePassword(): string {
  return randomBytes(15).toString('base64url');
}
