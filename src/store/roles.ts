// Least privilege (HIPAA 164.312(a)(1) access control; OWASP ASVS V1.4/V14): migrations run as the
// schema's owner; the gateway's runtime connection uses a role that can read and write rows and
// nothing else — no DDL, no TRUNCATE, no role or database creation, not superuser, the migration
// history read-only. LISTEN/NOTIFY and advisory locks need no grant; temporary tables (the one-time
// re-keying, src/store/id-key.ts) use the database's default TEMPORARY grant to PUBLIC.
//
// Some tables it may not change at all (LIMITED_TABLES): the audit trail (it adds pending events and
// reads; sealing them into the chain and the retention purge are the schema owner's SECURITY DEFINER
// functions of migration 020, each checking what it is given) and the PHI key table (it reads and
// registers keys; retiring one is migration 020's phi_key_retire_unused).
//
// The same statements are run at the end of every migrate run (src/store/migrate.ts), when an app
// role is configured, and printed by `switchboard db roles --print` for an admin to run by hand.
import type { Sql, TransactionSql } from './db.js';

type Queryable = Sql | TransactionSql;

/** The table that records applied migrations: the app role may read it, never change it. */
export const MIGRATION_TABLE = 'schema_migrations';

/** Tables the app role may not update or delete rows of: the privileges it has on each, no more. */
export const LIMITED_TABLES: Readonly<Record<string, readonly ('SELECT' | 'INSERT')[]>> = {
  [MIGRATION_TABLE]: ['SELECT'],
  audit_pending: ['SELECT', 'INSERT'],
  audit_event: ['SELECT'],
  audit_chain_head: ['SELECT'],
  phi_key: ['SELECT', 'INSERT'],
};

const ROW_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] as const;

/** A PostgreSQL role or schema name we accept: lower-case identifier, at most 63 bytes (NAMEDATALEN - 1). */
const NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export class RoleNameError extends Error {
  readonly code = 'ERR_DB_ROLE_NAME';
  constructor(what: string) {
    super(`${what} must be a lower-case SQL identifier (a-z, 0-9, _; at most 63 characters)`);
  }
}

/** A validated name, double-quoted (so a reserved word is still a name). */
function ident(name: string, what: string): string {
  if (!NAME.test(name)) throw new RoleNameError(what);
  return `"${name}"`;
}

export interface GrantOptions {
  /** the schema holding the gateway's tables (default public) */
  schema?: string;
  /**
   * The role that creates future tables (runs migrations): its default privileges are set so tables,
   * sequences and functions it creates later are granted too. Unset: the role running the script.
   */
  owner?: string;
}

/**
 * The statements that give `role` what the gateway needs at run time, and take away what it must not
 * have. Idempotent: safe at every migrate run.
 */
export function appRoleGrants(role: string, o: GrantOptions = {}): string[] {
  const r = ident(role, 'the app role');
  const s = ident(o.schema ?? 'public', 'the schema');
  const forOwner = o.owner ? `FOR ROLE ${ident(o.owner, 'the owner role')} ` : '';
  return [
    // PostgreSQL before 15 lets PUBLIC create objects in the public schema
    `REVOKE CREATE ON SCHEMA ${s} FROM PUBLIC`,
    `REVOKE CREATE ON SCHEMA ${s} FROM ${r}`,
    `GRANT USAGE ON SCHEMA ${s} TO ${r}`,
    // rows only: no TRUNCATE, REFERENCES or TRIGGER, even if granted before
    `REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA ${s} FROM ${r}`,
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${s} TO ${r}`,
    // the limited tables: what a table lacks of its list is taken away (a table not migrated yet is
    // skipped, and gets its limits at the migrate run that creates it)
    ...Object.entries(LIMITED_TABLES).map(([table, allowed]) => {
      const revoke = ROW_PRIVILEGES.filter((p) => !(allowed as readonly string[]).includes(p)).join(', ');
      return `DO $$ BEGIN IF to_regclass('${s}."${table}"') IS NOT NULL THEN REVOKE ${revoke} ON ${s}."${table}" FROM ${r}; END IF; END $$`;
    }),
    // nextval/currval for bigserial ids; not setval (UPDATE on a sequence)
    `REVOKE UPDATE ON ALL SEQUENCES IN SCHEMA ${s} FROM ${r}`,
    `GRANT USAGE ON ALL SEQUENCES IN SCHEMA ${s} TO ${r}`,
    `GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA ${s} TO ${r}`,
    // tables a later migration creates are granted as they are created
    `ALTER DEFAULT PRIVILEGES ${forOwner}IN SCHEMA ${s} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${r}`,
    `ALTER DEFAULT PRIVILEGES ${forOwner}IN SCHEMA ${s} GRANT USAGE ON SEQUENCES TO ${r}`,
    `ALTER DEFAULT PRIVILEGES ${forOwner}IN SCHEMA ${s} GRANT EXECUTE ON FUNCTIONS TO ${r}`,
  ];
}

/** The script `switchboard db roles --print` shows: create the role (no password in it), then the grants. */
export function appRoleScript(role: string, o: GrantOptions & { database?: string } = {}): string {
  const r = ident(role, 'the app role');
  const db = o.database ? ident(o.database, 'the database') : undefined;
  const lines = [
    `-- Switchboard's runtime role ${r}: rows only (SELECT, INSERT, UPDATE, DELETE), sequences, functions;`,
    `-- on the audit trail and the PHI key table no UPDATE or DELETE (migration 020's functions do what it needs there).`,
    `-- Run as the owner of the schema (the role that runs migrations) or a superuser, in the gateway's database.`,
    `-- Then set its password from psql (the client hashes it, SCRAM-SHA-256):  \\password ${role}`,
    `-- and start the gateway with DATABASE_URL as ${role}, DATABASE_ADMIN_URL as the owner.`,
    'BEGIN;',
    `DO $$ BEGIN`,
    `  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${role}') THEN`,
    `    CREATE ROLE ${r} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT;`,
    `  END IF;`,
    `END $$;`,
    `ALTER ROLE ${r} NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;`,
    ...(db ? [`GRANT CONNECT ON DATABASE ${db} TO ${r};`] : []),
    ...appRoleGrants(role, o).map((s) => `${s};`),
    'COMMIT;',
  ];
  return lines.join('\n') + '\n';
}

/**
 * Runs appRoleGrants as the connected role (which owns the tables, or is superuser) when the role's
 * privileges differ from them (a table or sequence not granted, more than rows granted, a limited
 * table or the history writable, CREATE on the schema, default privileges unset); a current role costs one query and no
 * catalog write. Returns whether it granted.
 */
export async function grantAppRole(sql: Queryable, role: string, o: GrantOptions = {}): Promise<boolean> {
  const statements = appRoleGrants(role, o); // validates the names first
  const schema = o.schema ?? 'public';
  const [drift] = await sql<{ drift: boolean }[]>`
    SELECT NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ${role}) OR EXISTS (
      SELECT 1 FROM pg_class c
       WHERE c.relnamespace = ${schema}::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
         AND (has_table_privilege(${role}, c.oid, 'TRUNCATE, REFERENCES, TRIGGER') OR EXISTS (
               SELECT 1 FROM unnest(${[...ROW_PRIVILEGES]}::text[]) AS p(priv)
                WHERE has_table_privilege(${role}, c.oid, p.priv)
                      <> (coalesce(${JSON.stringify(LIMITED_TABLES)}::text::jsonb -> c.relname, ${JSON.stringify(ROW_PRIVILEGES)}::text::jsonb) ? p.priv))))
    OR EXISTS (SELECT 1 FROM pg_class c WHERE c.relnamespace = ${schema}::regnamespace AND c.relkind = 'S'
                 AND (NOT has_sequence_privilege(${role}, c.oid, 'USAGE') OR has_sequence_privilege(${role}, c.oid, 'UPDATE')))
    OR EXISTS (SELECT 1 FROM pg_proc p WHERE p.pronamespace = ${schema}::regnamespace AND NOT has_function_privilege(${role}, p.oid, 'EXECUTE'))
    OR has_schema_privilege(${role}, ${schema}, 'CREATE') OR NOT has_schema_privilege(${role}, ${schema}, 'USAGE')
    OR NOT EXISTS (SELECT 1 FROM pg_default_acl d
                    WHERE d.defaclrole = coalesce(${o.owner ?? null}::text::regrole, current_user::text::regrole)
                      AND d.defaclnamespace = ${schema}::regnamespace AND d.defaclobjtype = 'r'
                      AND array_to_string(d.defaclacl, ',') LIKE ${`%${role}=arwd/%`}) AS drift`;
  if (!drift!.drift) return false;
  for (const statement of statements) await sql.unsafe(statement);
  return true;
}

export interface RoleFacts {
  user: string;
  superuser: boolean;
  createRole: boolean;
  /** tables in the current schema owned by this role (an owner can ALTER, DROP, TRUNCATE them) */
  ownedTables: number;
}

/** What the connected role may do beyond rows: said at start when the runtime role is privileged. */
export async function roleFacts(sql: Queryable): Promise<RoleFacts> {
  const [r] = await sql<{ user: string; superuser: boolean; create_role: boolean; owned: number }[]>`
    SELECT current_user AS user, r.rolsuper AS superuser, r.rolcreaterole AS create_role,
           (SELECT count(*)::int FROM pg_tables t WHERE t.schemaname = current_schema() AND t.tableowner = current_user) AS owned
      FROM pg_roles r WHERE r.rolname = current_user`;
  return { user: r!.user, superuser: r!.superuser, createRole: r!.create_role, ownedTables: r!.owned };
}
