// Passkeys (WebAuthn Level 3) for local accounts, with @simplewebauthn/server: a signed-in person
// registers one (attestation 'none': we trust the key, not a vendor's statement about it), and later
// signs in with it and nothing else (a passkey with user verification is two factors in one).
// Challenges are ours: 32 random bytes, kept server-side by their SHA-256 for five minutes, taken
// once; a registration challenge belongs to the account that asked for it.
import { createHash, randomBytes } from 'node:crypto';
import {
  generateAuthenticationOptions, generateRegistrationOptions, verifyAuthenticationResponse, verifyRegistrationResponse,
  type AuthenticationResponseJSON, type AuthenticatorTransportFuture, type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON, type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { countWindowed, getLocalAccountById, getPasskey, insertChallenge, insertPasskey, listPasskeys, takeChallenge, usePasskey, type ChallengePurpose, type LocalAccountRow, type Sql } from '../store/index.js';
import type { Logger } from '../obs/index.js';
import { LocalAuthError } from './local-errors.js';
import { LOCAL_ACCOUNT_ISSUER, personOf, type LocalAccounts } from './local-accounts.js';
import { addressKey, throttleKeys } from './sign-in-guard.js';
import { AUTH_AUDIT, credentialEvent, sessionActor, withAudit } from './sign-in-audit.js';
import { retryAfterS } from './throttle.js';
import type { Person } from './session-roles.js';

/** A ceremony must finish within this (WebAuthn 5.4.1 and 5.5 recommend 300 s to 600 s for user verification). */
export const CHALLENGE_TTL_MS = 5 * 60_000;

/**
 * Sign-in options (each a stored challenge) one address may ask for per window: a person needs one
 * per sign-in, a ward behind one NAT a few a minute; past it, 429 until the window ends. So a client
 * cannot fill the challenge table (expired challenges are deleted as new ones and new sessions are made).
 */
export const OPTIONS_PER_ADDRESS = 30;
export const OPTIONS_WINDOW_MS = 60_000;

export interface PasskeyOptions {
  sql: Sql;
  accounts: LocalAccounts;
  /** the relying party: PUBLIC_BASE_URL's host name (WEBAUTHN_RP_ID overrides) */
  rpId: string;
  /** origins a browser may run the ceremony from (PUBLIC_BASE_URL's origin) */
  origins: readonly string[];
  rpName?: string;
  now?: () => Date;
  log?: Logger;
}

const challengeHash = (challenge: string): Buffer => createHash('sha256').update(challenge, 'utf8').digest();

/** The challenge a response's clientDataJSON answers (verified against it again by the library). */
function challengeOf(clientDataJSON: unknown): string | undefined {
  if (typeof clientDataJSON !== 'string' || clientDataJSON.length > 4096) return undefined;
  try {
    const c = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8')) as { challenge?: unknown };
    return typeof c.challenge === 'string' && /^[A-Za-z0-9_-]{43}$/.test(c.challenge) ? c.challenge : undefined;
  } catch {
    return undefined;
  }
}

const refused = (what: string) => new LocalAuthError('ERR_LOCAL_PASSKEY', `passkey refused: ${what}`);

export class Passkeys {
  private readonly now: () => Date;
  constructor(private readonly o: PasskeyOptions) {
    this.now = o.now ?? (() => new Date());
  }

  /** The challenge's bytes (the library base64url-encodes them into the options; a string it would take as UTF-8 text). */
  private async newChallenge(purpose: ChallengePurpose, accountId: string | null): Promise<Uint8Array<ArrayBuffer>> {
    const challenge = randomBytes(32);
    const now = this.now();
    await insertChallenge(this.o.sql, challengeHash(challenge.toString('base64url')), purpose, accountId, new Date(now.getTime() + CHALLENGE_TTL_MS), now);
    const out = new Uint8Array(new ArrayBuffer(challenge.length));
    out.set(challenge);
    return out;
  }

  /** Options for navigator.credentials.create(), for a signed-in local account. */
  async registrationOptions(account: LocalAccountRow): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const existing = await listPasskeys(this.o.sql, account.id);
    return generateRegistrationOptions({
      rpName: this.o.rpName ?? 'Switchboard', rpID: this.o.rpId, userName: account.username,
      // the user handle names the account row, nothing about the person (WebAuthn 14.6.1)
      userID: new Uint8Array(createHash('sha256').update(`switchboard-local:${account.id}`).digest()),
      challenge: await this.newChallenge('register', account.id),
      timeout: CHALLENGE_TTL_MS, attestationType: 'none',
      excludeCredentials: existing.map((p) => ({ id: p.credentialId, transports: p.transports as AuthenticatorTransportFuture[] })),
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    });
  }

  /** Stores the passkey a registration response carries, when it answers this account's challenge. */
  async register(account: LocalAccountRow, response: RegistrationResponseJSON, address: string | null = null): Promise<{ credentialId: string }> {
    const challenge = challengeOf(response?.response?.clientDataJSON);
    const taken = challenge ? await takeChallenge(this.o.sql, challengeHash(challenge), 'register', this.now()) : undefined;
    if (!challenge || !taken || taken.accountId !== account.id) throw refused('no registration under way for this challenge (or it expired)');
    let v;
    try {
      v = await verifyRegistrationResponse({ response, expectedChallenge: challenge, expectedOrigin: [...this.o.origins], expectedRPID: this.o.rpId, requireUserVerification: true });
    } catch (e) {
      this.o.log?.warn('passkey_registration_refused', { errorName: (e as Error).name });
      throw refused('the registration response failed a check');
    }
    if (!v.verified) throw refused('the registration response failed a check');
    const c = v.registrationInfo.credential;
    const now = this.now();
    const added = await withAudit(this.o.sql, this.o.accounts.audit,
      (tx) => insertPasskey(tx, { credentialId: c.id, accountId: account.id, publicKey: Buffer.from(c.publicKey), signCount: c.counter, transports: c.transports ?? [] }, now),
      (ok) => ok ? [credentialEvent(now, sessionActor(LOCAL_ACCOUNT_ISSUER, account.username), 'user', AUTH_AUDIT.passkeyRegistered, account.username, [`passkey:${c.id}`], 'self', address, 'C')] : []);
    if (!added) throw refused('that passkey is registered already');
    this.o.log?.info('passkey_registered', { count: 1 });
    return { credentialId: c.id };
  }

  /** Options for navigator.credentials.get(): no account named (discoverable credentials). */
  async authenticationOptions(address: string | null = null): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const key = addressKey(address);
    if (key !== null) {
      const now = this.now();
      const { count, since } = await countWindowed(this.o.sql, `pkopt:${key}`, now, new Date(now.getTime() - OPTIONS_WINDOW_MS));
      if (count > OPTIONS_PER_ADDRESS) {
        this.o.log?.warn('passkey_options_limited', { code: 'ERR_LOCAL_LOCKED' });
        throw new LocalAuthError('ERR_LOCAL_LOCKED', 'too many passkey sign-ins started from this address; try again later', retryAfterS(new Date(since.getTime() + OPTIONS_WINDOW_MS), now));
      }
    }
    return generateAuthenticationOptions({ rpID: this.o.rpId, challenge: await this.newChallenge('authenticate', null), timeout: CHALLENGE_TTL_MS, userVerification: 'required' });
  }

  /** The person an authentication response signs in, when it answers a challenge of ours with a stored passkey. */
  async authenticate(response: AuthenticationResponseJSON, address: string | null): Promise<Person> {
    const now = this.now();
    const addressKeys = { user: null, address: addressKey(address) };
    const refusal = (actor: string, code: string) => this.o.accounts.recordRefusal(actor, 'passkey', code, address, now);
    try {
      await this.o.accounts.guard.refuseWhileLocked(addressKeys, now);
    } catch (e) {
      await refusal('unknown', 'locked');
      throw e;
    }
    const challenge = challengeOf(response?.response?.clientDataJSON);
    const taken = challenge ? await takeChallenge(this.o.sql, challengeHash(challenge), 'authenticate', now) : undefined;
    const stored = taken && typeof response.id === 'string' && /^[A-Za-z0-9_-]{16,1368}$/.test(response.id) ? await getPasskey(this.o.sql, response.id) : undefined;
    const account = stored ? await getLocalAccountById(this.o.sql, stored.accountId) : undefined;
    const keys = { user: account ? throttleKeys(account.username, null).user : null, address: addressKeys.address };
    const actor = account ? sessionActor(LOCAL_ACCOUNT_ISSUER, account.username) : 'unknown';
    if (account) {
      try {
        await this.o.accounts.guard.refuseWhileLocked(keys, now);
      } catch (e) {
        await refusal(actor, 'locked');
        throw e;
      }
    }
    let ok = false;
    let newCounter = 0;
    if (challenge && stored && account && !account.disabled) {
      try {
        const v = await verifyAuthenticationResponse({
          response, expectedChallenge: challenge, expectedOrigin: [...this.o.origins], expectedRPID: this.o.rpId, requireUserVerification: true,
          credential: { id: stored.credentialId, publicKey: new Uint8Array(stored.publicKey), counter: stored.signCount, transports: stored.transports as AuthenticatorTransportFuture[] },
        });
        ok = v.verified;
        newCounter = v.authenticationInfo.newCounter;
      } catch (e) {
        this.o.log?.warn('passkey_authentication_check_failed', { errorName: (e as Error).name });
      }
    }
    if (!ok || !stored || !account) {
      const code = !taken ? 'no_challenge' : !stored ? 'unknown_passkey' : !account ? 'unknown_account' : account.disabled ? 'disabled' : 'check_failed';
      await Promise.all([this.o.accounts.guard.fail(keys, now, 'passkey'), refusal(actor, code)]);
      throw refused('the response does not answer a challenge of ours with a registered passkey of an enabled account');
    }
    await usePasskey(this.o.sql, stored.credentialId, newCounter, now);
    this.o.log?.info('local_signed_in_passkey', { code: account.role });
    return personOf(account);
  }
}
