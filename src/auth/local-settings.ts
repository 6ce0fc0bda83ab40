// Whether local sign-in is on: LOCAL_AUTH when set; otherwise on for the embedded default (no
// DATABASE_URL) without an identity provider, so a first run can sign in with no IdP, and off for
// every other deployment unless asked for.
import type { Config } from '../config/index.js';

export function localSignInEnabled(c: Pick<Config, 'LOCAL_AUTH' | 'DATABASE_URL' | 'OIDC_ISSUER'>): boolean {
  if (c.LOCAL_AUTH !== undefined) return c.LOCAL_AUTH === 'on';
  return c.DATABASE_URL === undefined && c.OIDC_ISSUER === undefined;
}
