// Authenticating a request: the bearer JWT of its Authorization header (RFC 6750 2.1), verified by a
// TokenVerifier. src/http calls this for every route its table does not list as public; DEV_NO_AUTH
// (verifier null) stands in a principal with every scope, and the gateway says so at every boot.
import { AuthError, type Principal, type TokenVerifier } from './token.js';

/** The Hono variables of an authenticated request. */
export type AuthEnv = {
  Variables: {
    auth: Principal;
    /** set by src/http's gate when the principal reads one organisation's rows only (src/auth/policy.ts): every store query of the route filters by it */
    organization?: string;
    /** set by src/http's gate when the principal may call the route but sees none of its rows (src/auth/policy.ts): lists are empty, every id unknown */
    noRows?: true;
  };
};

const DEV_PRINCIPAL: Principal = { subject: 'dev-no-auth', issuer: 'none', scopes: ['admin', 'system/*.cruds'] };

/** RFC 6750 2.1: `Bearer` then a token68; ours are JWTs (base64url and dots). */
const BEARER = /^Bearer +([A-Za-z0-9\-_.]+)$/i;

export async function authenticate(authorization: string | undefined, verifier: TokenVerifier | null): Promise<Principal> {
  if (!verifier) return DEV_PRINCIPAL;
  const m = BEARER.exec(authorization ?? '');
  if (!m) throw new AuthError('ERR_AUTH_MISSING', 'a bearer token is required (Authorization: Bearer <jwt>)');
  return verifier.verify(m[1]!);
}
