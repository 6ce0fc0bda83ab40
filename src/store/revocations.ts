// Revoked bearer tokens (table revoked_token): by `jti` (one token) or by `kid` (every token a key
// signed), per issuer. A revocation NOTIFYs REVOCATION_CHANNEL in its own statement, so every gateway
// replica reloads its list when the row commits.
import type { Sql } from './db.js';

export const REVOCATION_CHANNEL = 'switchboard_revocations';

export interface Revocation {
  kind: 'jti' | 'kid';
  issuer: string;
  value: string;
  /** the revoked token's exp; null for a key (revoked for good) */
  expiresAt: Date | null;
  revokedBy: string | null;
}

/** Stores a revocation (idempotent) and wakes every replica. True when it was not stored before. */
export async function insertRevocation(sql: Sql, r: Revocation): Promise<boolean> {
  const rows = await sql`
    WITH ins AS (
      INSERT INTO revoked_token (kind, issuer, value, expires_at, revoked_by)
      VALUES (${r.kind}, ${r.issuer}, ${r.value}, ${r.expiresAt}, ${r.revokedBy})
      ON CONFLICT (kind, issuer, value) DO NOTHING RETURNING 1)
    SELECT pg_notify(${REVOCATION_CHANNEL}, '') FROM ins`;
  return rows.length === 1;
}

/** Revocations that still matter at `since`: every key, and tokens whose exp is not yet past it. */
export async function listRevocations(sql: Sql, since: Date): Promise<Revocation[]> {
  const rows = await sql<{ kind: 'jti' | 'kid'; issuer: string; value: string; expires_at: Date | null; revoked_by: string | null }[]>`
    SELECT kind, issuer, value, expires_at, revoked_by FROM revoked_token WHERE expires_at IS NULL OR expires_at > ${since}`;
  return rows.map((r) => ({ kind: r.kind, issuer: r.issuer, value: r.value, expiresAt: r.expires_at, revokedBy: r.revoked_by }));
}

/** Subscribes to revocations made by any process; `onChange` also runs when the subscription (re)connects. */
export async function listenRevocations(sql: Sql, onChange: () => void): Promise<() => Promise<void>> {
  const sub = await sql.listen(REVOCATION_CHANNEL, () => onChange(), () => onChange());
  return () => sub.unlisten();
}
