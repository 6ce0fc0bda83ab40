// Each test file gets its own database, created fresh and migrated, dropped at the end.
// TEST_DB_ROLE=app: migrated as the admin, which grants the runtime role (src/store/roles.ts); the
// test's url and sql are then that role's, so a suite proves its feature works with rows only.
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import postgres from 'postgres';
import { connect, type Sql } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';

/** The cluster-wide runtime role the suites use under TEST_DB_ROLE=app (no superuser, rows only). */
export const TEST_APP_ROLE = 'sb_test_app';
const TEST_APP_PASSWORD = 'sb_test_app_password';

/** Creates a login role with no privileges beyond PUBLIC's, unless it exists (two files may race). */
export async function ensureLoginRole(admin: Sql | postgres.Sql, role: string, password: string): Promise<void> {
  try {
    await admin.unsafe(`CREATE ROLE ${role} LOGIN PASSWORD '${password}' NOSUPERUSER NOCREATEDB NOCREATEROLE`);
  } catch (e) {
    // 42710 duplicate_object; 23505 when two sessions create it at once
    if (!['42710', '23505'].includes((e as { code?: string }).code ?? '')) throw e;
  }
}

/** url with another user and password. */
export function urlAs(url: string, user: string, password: string): string {
  const u = new URL(url);
  u.username = user;
  u.password = password;
  return u.toString();
}

export interface TestDatabase {
  url: string;
  sql: Sql;
  drop(): Promise<void>;
}

export function adminUrl(): string {
  return inject('adminDatabaseUrl');
}

export async function createTestDatabase(opts: { migrate?: boolean; max?: number } = {}): Promise<TestDatabase> {
  const admin = postgres(adminUrl(), { max: 1, onnotice: () => {} });
  const name = `sb_test_${randomBytes(6).toString('hex')}`;
  await admin.unsafe(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(adminUrl());
  u.pathname = `/${name}`;
  let url = u.toString();
  let sql = connect(url, { max: opts.max ?? 10 });
  if (process.env.TEST_DB_ROLE === 'app') {
    const a = postgres(url, { max: 1, onnotice: () => {} });
    await ensureLoginRole(a, TEST_APP_ROLE, TEST_APP_PASSWORD);
    if (opts.migrate !== false) await migrate(a, undefined, { appRole: TEST_APP_ROLE });
    await a.end();
    await sql.end();
    url = urlAs(url, TEST_APP_ROLE, TEST_APP_PASSWORD);
    sql = connect(url, { max: opts.max ?? 10 });
    const [me] = await sql<{ u: string; su: boolean }[]>`SELECT current_user AS u, rolsuper AS su FROM pg_roles WHERE rolname = current_user`;
    if (me?.u !== TEST_APP_ROLE || me.su) throw new Error('TEST_DB_ROLE=app: not connected as the runtime role');
  } else if (opts.migrate !== false) await migrate(sql);
  return {
    url, sql,
    drop: async () => {
      await sql.end({ timeout: 2 });
      const a = postgres(adminUrl(), { max: 1, onnotice: () => {} });
      await a.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}
