// The database as text, for scans of what a dump of it would hold: pg_dump's data when the installed
// pg_dump can read the server (an older pg_dump refuses a newer server), else the text form of every
// row of every table, which is what pg_dump's COPY writes too (bytea as hex).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Sql } from '../../src/store/db.js';

/** pg_dump from PATH or PostgreSQL's usual install folders (the embedded package ships none). */
export function pgDumpBinary(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).concat(['/usr/lib/postgresql/18/bin', '/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin'])) {
    const p = path.join(dir, 'pg_dump');
    if (existsSync(p)) return p;
  }
  return undefined;
}

export async function dumpDatabase(url: string, sql: Sql): Promise<{ via: 'pg_dump' | 'rows'; text: string }> {
  const bin = pgDumpBinary();
  if (bin) {
    try {
      return { via: 'pg_dump', text: execFileSync(bin, ['--no-owner', '--data-only', url], { maxBuffer: 512 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] }).toString('latin1') };
    } catch { /* a server newer than the pg_dump: the rows' text below */ }
  }
  const tables = await sql<{ t: string }[]>`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`;
  const out: string[] = [];
  for (const { t } of tables) {
    out.push(`-- table ${t}`);
    for (const r of await sql.unsafe<{ row: string }[]>(`SELECT t::text AS row FROM public."${t}" t`)) out.push(r.row);
  }
  return { via: 'rows', text: out.join('\n') };
}
