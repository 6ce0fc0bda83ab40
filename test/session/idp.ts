// A real OpenID provider (oidc-provider) in the test process, on a loopback port: one confidential
// client with PKCE required, accounts with claims, and a minimal interaction that signs in whichever
// account the test names (`idp.account`) and grants the asked scopes, so that a fetch-driven browser
// can go through the whole authorization code flow.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';

export const CLIENT_ID = 'switchboard';
export const CLIENT_SECRET = 'switchboard-test-secret-0123456789abcdef';

export interface TestIdp {
  issuer: string;
  /** the account the next login signs in */
  account: string;
  accounts: Record<string, Record<string, unknown>>;
  provider: Provider;
  close(): Promise<void>;
}

export async function startIdp(redirectUri: string, accounts: Record<string, Record<string, unknown>>): Promise<TestIdp> {
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const idp = { issuer, account: '', accounts } as TestIdp;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [redirectUri], post_logout_redirect_uris: [redirectUri.replace(/\/auth\/callback$/, '/')],
      grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic',
    }],
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false }, rpInitiatedLogout: { enabled: true } },
    claims: { openid: ['sub'], switchboard: ['groups', 'fhirUser', 'employeeId', 'organization'] },
    scopes: ['openid', 'switchboard'],
    conformIdTokenClaims: false,
    cookies: { keys: ['test-cookie-key-0123456789'] },
    findAccount: (_ctx: KoaContextWithOIDC, id: string) => {
      const claims = idp.accounts[id];
      if (!claims) return undefined;
      return { accountId: id, claims: () => ({ sub: id, ...claims }) };
    },
  });
  idp.provider = provider;
  const callback = provider.callback();
  server.on('request', (req, res) => {
    if (!req.url?.startsWith('/interaction/')) { callback(req, res); return; }
    void (async () => {
      const details = await provider.interactionDetails(req, res);
      if (details.prompt.name === 'login') {
        await provider.interactionFinished(req, res, { login: { accountId: idp.account } }, { mergeWithLastSubmission: false });
        return;
      }
      const grant = new provider.Grant({ accountId: details.session!.accountId, clientId: String(details.params.client_id) });
      grant.addOIDCScope(String(details.params.scope));
      await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
    })().catch((e: unknown) => { res.statusCode = 500; res.end(String(e)); });
  });
  idp.close = () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); });
  return idp;
}

/** A cookie jar for one origin, enough for the IdP's session and interaction cookies. */
export class Jar {
  private readonly cookies = new Map<string, string>();
  take(res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const [pair = ''] = c.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/** Follows the IdP's redirects (its interactions included) until it sends the browser to `redirectUri`; that URL. */
export async function throughIdp(authorizationUrl: string, redirectUri: string, jar = new Jar()): Promise<URL> {
  let url = authorizationUrl;
  for (let i = 0; i < 12; i++) {
    if (url.startsWith(redirectUri)) return new URL(url);
    const res = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header() } });
    jar.take(res);
    const location = res.headers.get('location');
    if (!location) throw new Error(`IdP answered ${res.status} without a redirect at ${url}: ${(await res.text()).slice(0, 300)}`);
    url = new URL(location, url).href;
  }
  throw new Error('too many redirects at the IdP');
}
