// The embedded server's roles and authentication (src/store/embedded.ts starts it): run as the
// `postgres` superuser at every start, idempotent. Least privilege (src/store/roles.ts): migrations
// run as the owner role, the gateway as the app role; the superuser only bootstraps. Authentication
// is SCRAM-SHA-256 (RFC 7677) over loopback TCP only; a data folder an older version made with
// cleartext `password` rules and superuser-owned tables is upgraded here.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../obs/index.js';

/** The role that owns the schema and runs migrations. */
export const EMBEDDED_OWNER_ROLE = 'switchboard_owner';
/** The gateway's runtime role: rows only. */
export const EMBEDDED_APP_ROLE = 'switchboard_app';

export interface RolePasswords {
  /** the `postgres` superuser's */
  password: string;
  ownerPassword: string;
  appPassword: string;
}

/** pg_hba.conf as we keep it: loopback TCP only, every role by SCRAM-SHA-256 (RFC 7677); nothing else. */
export const PG_HBA = `# Written by Switchboard at every start (src/store/embedded.ts): loopback TCP only, every role by
# password verified as SCRAM-SHA-256. No trust, no cleartext password, no md5, no replication.
host    all    all    127.0.0.1/32    scram-sha-256
host    all    all    ::1/128         scram-sha-256
`;

/** Serialises bootstraps of one server (a CLI starting while the gateway starts): arbitrary, fixed. */
const BOOTSTRAP_LOCK = 7_343_282;

/**
 * As the superuser, idempotent, at every start: passwords stored as SCRAM (re-set when not, or when
 * newly generated), the owner and app roles, the public schema and everything in it owned by the
 * owner role, then pg_hba.conf rewritten to SCRAM-only and reloaded when it differed. The app role's
 * grants are the owner's to give, at the end of each migrate run (src/store/open.ts).
 */
export async function bootstrap(pgDir: string, superUrl: string, state: RolePasswords, fresh: ReadonlySet<string>, log: Logger): Promise<void> {
  const { default: postgres } = await import('postgres');
  const sql = postgres(superUrl, { max: 1, connect_timeout: 10, onnotice: () => {} });
  try {
    await sql.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(${BOOTSTRAP_LOCK})`;
      // a password given below is hashed by the server with this setting (an old folder may say md5)
      await tx`SET LOCAL password_encryption = 'scram-sha-256'`;
      const rows = await tx<{ rolname: string; scram: boolean }[]>`
        SELECT rolname, coalesce(rolpassword LIKE 'SCRAM-SHA-256$%', false) AS scram FROM pg_authid
         WHERE rolname IN ('postgres', ${EMBEDDED_OWNER_ROLE}, ${EMBEDDED_APP_ROLE})`;
      const known = new Map(rows.map((r) => [r.rolname, r.scram]));
      const roles: [string, string][] = [['postgres', state.password], [EMBEDDED_OWNER_ROLE, state.ownerPassword], [EMBEDDED_APP_ROLE, state.appPassword]];
      let upgraded = 0;
      for (const [role, password] of roles) {
        // the passwords are base64url (no quote can occur); utility statements take no parameters
        const literal = `'${password.replace(/'/g, "''")}'`;
        if (!known.has(role)) {
          await tx.unsafe(`CREATE ROLE "${role}" LOGIN PASSWORD ${literal} NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS`);
        } else if (!known.get(role) || fresh.has(role)) {
          if (!known.get(role)) upgraded++;
          await tx.unsafe(`ALTER ROLE "${role}" PASSWORD ${literal}`);
        }
      }
      if (upgraded) log.warn('embedded_pg_passwords_rehashed', { count: upgraded, mode: 'scram-sha-256' });
      const [schema] = await tx<{ ours: boolean }[]>`SELECT nspowner = ${EMBEDDED_OWNER_ROLE}::regrole AS ours FROM pg_namespace WHERE nspname = 'public'`;
      if (!schema?.ours) {
        await tx.unsafe(`ALTER SCHEMA public OWNER TO "${EMBEDDED_OWNER_ROLE}"`);
        await tx.unsafe('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
      }
      await tx.unsafe(OWN_EVERYTHING);
    });
    const before = writeHba(pgDir);
    if (before !== undefined) {
      await sql`SELECT pg_reload_conf()`;
      // initdb's own rules are SCRAM already; anything weaker means a folder from an older version
      if (WEAK_RULE.test(before)) log.warn('embedded_pg_auth_upgraded', { mode: 'scram-sha-256' });
      else log.info('embedded_pg_hba_written', { mode: 'scram-sha-256' });
    }
  } finally {
    await sql.end({ timeout: 2 }).catch(() => {});
  }
}

/**
 * Hands what the superuser created in the public schema (every table, view, sequence, function and
 * type that migrations of an older version made as `postgres`) to the owner role, so later
 * migrations, run as the owner, may alter them. Tables first: their serial sequences follow them.
 */
const OWN_EVERYTHING = `DO $$
DECLARE o record;
BEGIN
  FOR o IN SELECT c.oid::regclass AS name, c.relkind FROM pg_class c
            WHERE c.relnamespace = 'public'::regnamespace AND c.relowner <> '${EMBEDDED_OWNER_ROLE}'::regrole
              AND c.relkind IN ('r', 'p', 'v', 'm', 'f') LOOP
    EXECUTE format(CASE o.relkind WHEN 'v' THEN 'ALTER VIEW %s OWNER TO ${EMBEDDED_OWNER_ROLE}'
                                  WHEN 'm' THEN 'ALTER MATERIALIZED VIEW %s OWNER TO ${EMBEDDED_OWNER_ROLE}'
                                  WHEN 'f' THEN 'ALTER FOREIGN TABLE %s OWNER TO ${EMBEDDED_OWNER_ROLE}'
                                  ELSE 'ALTER TABLE %s OWNER TO ${EMBEDDED_OWNER_ROLE}' END, o.name);
  END LOOP;
  FOR o IN SELECT c.oid::regclass AS name FROM pg_class c
            WHERE c.relnamespace = 'public'::regnamespace AND c.relowner <> '${EMBEDDED_OWNER_ROLE}'::regrole AND c.relkind = 'S' LOOP
    EXECUTE format('ALTER SEQUENCE %s OWNER TO ${EMBEDDED_OWNER_ROLE}', o.name);
  END LOOP;
  FOR o IN SELECT p.oid::regprocedure AS name, p.prokind FROM pg_proc p
            WHERE p.pronamespace = 'public'::regnamespace AND p.proowner <> '${EMBEDDED_OWNER_ROLE}'::regrole LOOP
    EXECUTE format(CASE o.prokind WHEN 'p' THEN 'ALTER PROCEDURE %s OWNER TO ${EMBEDDED_OWNER_ROLE}'
                                  WHEN 'a' THEN 'ALTER AGGREGATE %s OWNER TO ${EMBEDDED_OWNER_ROLE}'
                                  ELSE 'ALTER FUNCTION %s OWNER TO ${EMBEDDED_OWNER_ROLE}' END, o.name);
  END LOOP;
  FOR o IN SELECT t.oid::regtype AS name FROM pg_type t
            WHERE t.typnamespace = 'public'::regnamespace AND t.typowner <> '${EMBEDDED_OWNER_ROLE}'::regrole
              AND t.typtype IN ('e', 'd', 'r', 'm') LOOP
    EXECUTE format('ALTER TYPE %s OWNER TO ${EMBEDDED_OWNER_ROLE}', o.name);
  END LOOP;
END $$`;

/** A pg_hba rule (not a comment) whose method is weaker than SCRAM: cleartext, md5, none at all, or the OS user. */
const WEAK_RULE = /^\s*(?:local|host\w*)\s.*\s(?:password|md5|trust|ident|peer)\s*$/m;

/**
 * Writes PG_HBA when pg_hba.conf says anything else; returns what it said then (the server must
 * reload), or undefined when it was current.
 */
function writeHba(pgDir: string): string | undefined {
  const file = path.join(pgDir, 'pg_hba.conf');
  let now = '';
  try { now = readFileSync(file, 'utf8'); } catch { /* written below */ }
  if (now === PG_HBA) return undefined;
  // an existing file keeps its owner (the server's user when we run as root) and its mode
  writeFileSync(file, PG_HBA, { mode: 0o600 });
  return now;
}
