// Shared pieces of the on-call HTTP routes: the scope gate (deny by default) and instant parameters.
import type { Context, MiddlewareHandler } from 'hono';
import type { AuthEnv } from '../auth/index.js';
import { allowsOperation } from '../auth/index.js';
import { AuthError } from '../auth/index.js';
import { badRequest } from '../outcome/index.js';
import type { ZoneClock } from '../routing/index.js';
import { parseInstantArg } from './instant-arg.js';

export const READ_SCOPE = 'oncall.read';
export const WRITE_SCOPE = 'oncall.write';

/** Deny by default: a route without a principal carrying the operation scope (or admin) is 403. */
export const requireOperation = (name: string): MiddlewareHandler<AuthEnv> => async (c, next) => {
  const auth = c.get('auth') as AuthEnv['Variables']['auth'] | undefined;
  if (auth === undefined || !allowsOperation(auth.scopes, name)) throw new AuthError('ERR_AUTH_FORBIDDEN', `token lacks the '${name}' scope`);
  await next();
};

/** Query value -> epoch ms in the schedule's zone, or `fallback`; a bad value is a 400 naming the parameter. */
export const instantParam = (c: Context, name: string, clock: ZoneClock, fallback: number): number => {
  const raw = c.req.query(name);
  if (raw === undefined || raw === '') return fallback;
  const t = parseInstantArg(raw, clock);
  if (t === undefined) throw badRequest(`${name} must be an ISO 8601 date-time (e.g. 2025-03-09T02:30:00-05:00) or date`);
  return t;
};

