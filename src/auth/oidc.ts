// The relying party (openid-client v6): discovery of the IdP, the authorization URL (code flow with
// PKCE S256, state and nonce), the code exchange with the ID token's checks (iss, aud, exp, iat,
// nonce, and the state), and the IdP's RP-initiated logout URL when it has one.
import * as client from 'openid-client';
import { SessionError } from './session-errors.js';

export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret?: string;
  redirectUri: string;
  scopes: string;
}

export interface AuthorizationRequest {
  url: URL;
  state: string;
  nonce: string;
  codeVerifier: string;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

export class OidcRelyingParty {
  private config: Promise<client.Configuration> | undefined;

  constructor(readonly settings: OidcSettings) {}

  /** The IdP's metadata, read once (again after a failure). */
  discover(): Promise<client.Configuration> {
    if (!this.config) {
      const issuer = new URL(this.settings.issuer);
      // plain http only to an IdP on this machine (development, tests)
      const insecure = issuer.protocol === 'http:' && LOOPBACK.has(issuer.hostname);
      const auth = this.settings.clientSecret ? client.ClientSecretBasic(this.settings.clientSecret) : client.None();
      this.config = client.discovery(issuer, this.settings.clientId, { redirect_uris: [this.settings.redirectUri], response_types: ['code'] }, auth, insecure ? { execute: [client.allowInsecureRequests] } : {})
        .catch((e: unknown) => {
          this.config = undefined;
          throw new SessionError('ERR_SESSION_IDP_UNAVAILABLE', `identity provider discovery failed (${(e as { code?: string }).code ?? 'error'})`);
        });
    }
    return this.config;
  }

  async authorizationRequest(): Promise<AuthorizationRequest> {
    const config = await this.discover();
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: this.settings.redirectUri, scope: this.settings.scopes, response_type: 'code',
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256', state, nonce,
    });
    return { url, state, nonce, codeVerifier };
  }

  /** Exchanges the code of a callback (its query string) and returns the checked ID token's claims. */
  async exchange(search: string, expected: { state: string; nonce: string; codeVerifier: string }): Promise<Record<string, unknown>> {
    const config = await this.discover();
    const current = new URL(this.settings.redirectUri);
    current.search = search;
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: expected.codeVerifier, expectedState: expected.state, expectedNonce: expected.nonce, idTokenExpected: true,
      });
    } catch (e) {
      const code = (e as { code?: string }).code ?? 'error';
      // the IdP answering with an error, or a response that fails a check: never its text (it may carry claims)
      if (e instanceof client.AuthorizationResponseError) throw new SessionError('ERR_SESSION_IDP', `identity provider refused the sign-in (${e.error})`);
      if (e instanceof TypeError) throw new SessionError('ERR_SESSION_IDP_UNAVAILABLE', `identity provider could not be reached (${code})`);
      throw new SessionError('ERR_SESSION_CALLBACK', `sign-in response refused (${code})`);
    }
    const claims = tokens.claims();
    if (!claims) throw new SessionError('ERR_SESSION_CALLBACK', 'sign-in response has no ID token');
    return claims as Record<string, unknown>;
  }

  /** Where to send the browser to sign out at the IdP too, when the IdP has an end_session_endpoint. */
  async logoutUrl(postLogoutRedirectUri?: string): Promise<string | undefined> {
    const config = await this.discover().catch(() => undefined);
    if (!config?.serverMetadata().end_session_endpoint) return undefined;
    return client.buildEndSessionUrl(config, { client_id: this.settings.clientId, ...(postLogoutRedirectUri ? { post_logout_redirect_uri: postLogoutRedirectUri } : {}) }).href;
  }
}
