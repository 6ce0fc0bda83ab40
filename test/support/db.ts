// Each test file gets its own database, created fresh and migrated, dropped at the end.
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import postgres from 'postgres';
import { connect, type Sql } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';

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
  const url = u.toString();
  const sql = connect(url, { max: opts.max ?? 10 });
  if (opts.migrate !== false) await migrate(sql);
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
