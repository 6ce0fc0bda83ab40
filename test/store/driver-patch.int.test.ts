// postgres.js 3.4.9 can end the process when the server drops a connection (a write scheduled
// with setImmediate runs after the socket is gone: `Cannot read properties of null (reading
// 'write')`). patches/postgres+3.4.9.patch guards that path; this runs the deterministic reproduction
// in a child process, so an unpatched driver shows up as a dead child, not a dead test runner.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

const SCRIPT = fileURLToPath(new URL('../support/driver-write-after-close.mjs', import.meta.url));

let db: TestDatabase;
beforeAll(async () => { db = await createTestDatabase({ migrate: false }); });
afterAll(async () => { await db.drop(); });

describe('postgres.js driver patch', () => {
  it('a query on a connection whose backend was terminated rejects (CONNECTION_CLOSED) instead of ending the process', async () => {
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [SCRIPT, db.url], { timeout: 20_000 }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
    });
    expect(stderr).not.toMatch(/reading 'write'/);
    expect(code).toBe(0);
    const result = JSON.parse(stdout.trim()) as { first: string; second: string; pooled: string; after: string };
    expect(['CONNECTION_CLOSED', 'ECONNRESET']).toContain(result.first);
    expect(result.second).not.toBe('ok');
    expect(['CONNECTION_CLOSED', 'ok']).toContain(result.pooled);
    expect(result.after).toBe('ok');
  });
});
