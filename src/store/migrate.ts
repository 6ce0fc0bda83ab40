// One set of versioned SQL migrations (src/store/migrations/NNN_name.sql), applied in order at start
// and by `switchboard migrate`, by the schema's owner (DATABASE_ADMIN_URL; the embedded server's owner
// role). An advisory lock makes concurrent replicas take turns. With an app role, every run ends by
// granting it the rows of every table (src/store/roles.ts), so a new migration's tables are granted
// in the same transaction that creates them.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Sql } from './db.js';
import { grantAppRole, MIGRATION_TABLE } from './roles.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
/** Arbitrary but fixed: the advisory lock key all replicas agree on for migrating. */
const MIGRATION_LOCK = 7_343_281;
/** insufficient_privilege: the connected role may not create or alter what a migration does. */
const INSUFFICIENT_PRIVILEGE = '42501';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export interface MigrateOptions {
  /** grant this role the runtime privileges at the end of the run (src/store/roles.ts) */
  appRole?: string;
}

/** Migrations are pending and the connected role cannot apply them (it is the runtime role, not the owner). */
export class MigrationPrivilegeError extends Error {
  readonly code = 'ERR_DB_MIGRATION_PRIVILEGE';
  constructor(readonly pending: string[], readonly role: string) {
    super(`${pending.length} migration(s) pending and role ${role} may not apply them: run \`switchboard migrate\` with DATABASE_ADMIN_URL (the schema owner)`);
  }
}

export function listMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 3)), name: f.replace(/\.sql$/, ''), sql: readFileSync(dir + f, 'utf8') }));
}

/**
 * Applies what is missing; returns the names applied now. Runs no DDL when nothing is pending (the
 * runtime role, which may not create tables, can call it to check that the schema is current).
 */
export async function migrate(sql: Sql, migrations = listMigrations(), o: MigrateOptions = {}): Promise<string[]> {
  return sql.begin(async (tx) => {
    // a migration may rewrite a large table: the per-connection statement timeout is not for it
    await tx`SET LOCAL statement_timeout = 0`;
    await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`;
    const [t] = await tx<{ present: boolean; user: string }[]>`SELECT to_regclass(${MIGRATION_TABLE}) IS NOT NULL AS present, current_user AS user`;
    const done = new Set<number>();
    if (t!.present) for (const r of await tx<{ version: number }[]>`SELECT version FROM schema_migrations`) done.add(r.version);
    const pending = migrations.filter((m) => !done.has(m.version));
    const applied: string[] = [];
    try {
      if (!t!.present) await tx`CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`;
      for (const m of pending) {
        await tx.unsafe(m.sql);
        await tx`INSERT INTO schema_migrations (version, name) VALUES (${m.version}, ${m.name})`;
        applied.push(m.name);
      }
    } catch (e) {
      if ((e as { code?: string }).code !== INSUFFICIENT_PRIVILEGE) throw e;
      throw new MigrationPrivilegeError(pending.map((m) => m.name), t!.user);
    }
    if (o.appRole) await grantAppRole(tx, o.appRole);
    return applied;
  });
}
