// A fresh database per benchmark run on the machine's PostgreSQL (TEST_DATABASE_URL, else the local one).
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';

export const adminUrl = (): string => process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export async function freshDatabase(admin: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const a = postgres(admin, { max: 1, onnotice: () => {} });
  const name = `sb_bench_${randomBytes(4).toString('hex')}`;
  await a.unsafe(`CREATE DATABASE ${name}`);
  await a.end();
  const u = new URL(admin);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const d = postgres(admin, { max: 1, onnotice: () => {} });
      await d.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await d.end();
    },
  };
}
