// `switchboard inbox list|rejected` over 2,500 rows as a user runs it (a real process, a real
// database): numeric order across 9/10, 99/100 and 999/1000, paging with --after/--before and --all,
// a note on stderr when a limit cut the list; piping into `head` ends quietly; `token revoke`.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { inboxCommand } from '../../src/cli/inbox.js';
import { tokenCommand } from '../../src/cli/token.js';

// each run starts a process that compiles the TypeScript: seconds apiece on a busy machine
vi.setConfig({ testTimeout: 180_000 });

const BIN = fileURLToPath(new URL('../../bin/switchboard.js', import.meta.url));
const ROWS = 2_500;
let db: TestDatabase;
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sb-cli-list-'));

type Run = { code: number; stdout: string; stderr: string };
function exec(file: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { env: { ...process.env, DATABASE_URL: db.url, DATA_DIR: dataDir, LOG_LEVEL: 'warn' }, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}
const run = (...args: string[]) => exec(process.execPath, [BIN, ...args]);
const lines = (s: string): string[] => s.split('\n').filter(Boolean);
const firstColumn = (s: string): string[] => lines(s).map((l) => l.split('\t')[0]!);
const range = (from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => String(from + i));

beforeAll(async () => {
  db = await createTestDatabase();
  await db.sql`INSERT INTO inbox (source, control_id, message_type, raw) SELECT 'http', 'LIST' || g, 'ORU^R01', '\\x4d5348'::bytea FROM generate_series(1, ${ROWS}) g`;
  await db.sql`INSERT INTO rejected (source, error_code, reason, raw) SELECT 'mllp', 'ERR_TEST', 'test', '\\x00'::bytea FROM generate_series(1, ${ROWS}) g`;
}, 60_000);
afterAll(async () => {
  await db.drop();
});

describe('inbox list', () => {
  it('prints the first 100 in id order (columns) and says on stderr how to go on', async () => {
    const r = await run('inbox', 'list');
    expect(r.code).toBe(0);
    expect(firstColumn(r.stdout)).toEqual(range(1, 100));
    expect(r.stderr).toBe('more rows follow: continue with --after 100, or use --all\n');
  });

  it('--after continues across 999/1000', async () => {
    const r = await run('inbox', 'list', '--after', '998', '--limit', '4');
    expect(firstColumn(r.stdout)).toEqual(['999', '1000', '1001', '1002']);
  });

  it('--all prints every row once, in order, and nothing on stderr', async () => {
    const r = await run('inbox', 'list', '--all', '--json');
    expect(r.code).toBe(0);
    expect(lines(r.stdout).map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(range(1, ROWS));
    expect(r.stderr).toBe('');
  });

  it('the last page says nothing on stderr', async () => {
    const r = await run('inbox', 'list', '--after', '2490');
    expect(firstColumn(r.stdout)).toEqual(range(2491, 2500));
    expect(r.stderr).toBe('');
  });

  // argument errors are found before anything is opened: run in process (no child per case)
  it.each([['--limit', '1.5'], ['--limit', '0'], ['--limit', '1001'], ['--after', 'x'], ['--before', '5'], ['--bogus']])('refuses %s %s with exit 2', async (...args) => {
    const err: string[] = [];
    expect(await inboxCommand(['list', ...args.filter((a): a is string => typeof a === 'string')], { stdout: () => {}, stderr: (s) => err.push(s) })).toBe(2);
    expect(err.join('')).not.toBe('');
  });
});

describe('inbox rejected', () => {
  it('prints the newest first and pages with --before', async () => {
    const r = await run('inbox', 'rejected', '--limit', '3');
    expect(firstColumn(r.stdout)).toEqual(['2500', '2499', '2498']);
    expect(r.stderr).toContain('--before 2498');
    const next = await run('inbox', 'rejected', '--before', '1001', '--limit', '3');
    expect(firstColumn(next.stdout)).toEqual(['1000', '999', '998']);
  });

  it('--all prints every row, newest first', async () => {
    const r = await run('inbox', 'rejected', '--all');
    expect(firstColumn(r.stdout)).toEqual(range(1, ROWS).reverse());
  });
});

describe('a reader that stops early', () => {
  it('`inbox list --all | head -1` ends quietly: exit 0, no stack trace', async () => {
    const r = await exec('bash', ['-c', `set -o pipefail; "${process.execPath}" "${BIN}" inbox list --all | head -1`]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toHaveLength(1);
  });
});

describe('token', () => {
  it('--ttl above AUTH_MAX_TOKEN_LIFETIME_S is refused (exit 2)', async () => {
    const r = await run('token', '--ttl', '7200');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('AUTH_MAX_TOKEN_LIFETIME_S');
  });

  it('revoke TOKEN stores the revocation of its jti', async () => {
    const token = (await run('token', '--scope', 'inbox.read')).stdout.trim();
    const r = await run('token', 'revoke', token);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^jti [0-9a-f-]{36} of switchboard-local revoked\n$/);
    expect((await run('token', 'revoke', token)).stdout).toContain('was revoked already');
    const rows = await db.sql<{ kind: string; expires_at: Date | null }[]>`SELECT kind, expires_at FROM revoked_token`;
    expect(rows).toEqual([{ kind: 'jti', expires_at: expect.any(Date) }]);
  });

  it('--organization puts the claim in the token (it then reads that organisation\'s rows only); a bad one is refused', async () => {
    const token = (await run('token', '--scope', 'inbox.read', '--organization', 'north')).stdout.trim();
    expect(JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'))).toMatchObject({ organization: 'north', scope: 'inbox.read' });
    const io = { stdout: () => {}, stderr: () => {} };
    expect(await tokenCommand(['--organization', 'a b'], io)).toBe(2);
    expect(await tokenCommand(['--practitioner', 'dr-a', '--organization', 'north'], io)).toBe(2);
  });

  it('revoke needs exactly one of TOKEN, --jti, --kid', async () => {
    const io = { stdout: () => {}, stderr: () => {} };
    for (const args of [[], ['--jti', 'a', '--kid', 'b'], ['not-a-jwt'], ['a', 'b']]) expect(await tokenCommand(['revoke', ...args], io)).toBe(2);
  });
});
