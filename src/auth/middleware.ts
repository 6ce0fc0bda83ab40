// Hono middleware: every route behind it needs a verified bearer JWT. DEV_NO_AUTH turns it off
// (and the gateway says so at every boot).
import type { MiddlewareHandler } from 'hono';
import { AuthError, type Principal, type TokenVerifier } from './token.js';

export type AuthEnv = { Variables: { auth: Principal } };

const DEV_PRINCIPAL: Principal = { subject: 'dev-no-auth', issuer: 'none', scopes: ['admin', 'system/*.cruds'] };

export function requireAuth(verifier: TokenVerifier | null): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    if (!verifier) {
      c.set('auth', DEV_PRINCIPAL);
      return next();
    }
    const header = c.req.header('authorization') ?? '';
    const m = /^Bearer\s+([A-Za-z0-9\-_.]+)$/i.exec(header);
    if (!m) throw new AuthError('ERR_AUTH_MISSING', 'a bearer token is required (Authorization: Bearer <jwt>)');
    c.set('auth', await verifier.verify(m[1]!));
    return next();
  };
}
