// `switchboard audit verify|list`, `switchboard purge` and the audited `token revoke`, run in process
// against a test database (DATABASE_URL), output captured.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { runCli } from '../../src/cli/commands.js';
import { appendAudit, sealAll } from '../../src/audit/index.js';
import { sampleEvent, seedChain, tamperer } from './support.js';

let db: TestDatabase;
const saved = { ...process.env };

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  Object.assign(process.env, { DATABASE_URL: db.url, ...env });
  try {
    const code = await runCli(args, { stdout: (s) => { out += s; }, stderr: (s) => { err += s; } });
    return { code, out, err };
  } finally {
    for (const k of Object.keys(env)) delete process.env[k];
  }
}

beforeAll(async () => { db = await createTestDatabase({ max: 3 }); await seedChain(db.sql, 25); });
afterAll(async () => { process.env = saved; await db.drop(); });

describe('switchboard audit', () => {
  it('verify prints the rows checked and the head, exit 0', async () => {
    const r = await cli(['audit', 'verify']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^checked 25 rows from seq 0/m);
    expect(r.out).toMatch(/^head seq 25 hash [0-9a-f]{64}$/m);
    expect(r.out).toContain('chain ok');
  });

  it('verify exits 1 naming the first broken link', async () => {
    // committed tampering this time (the CLI reads through its own connection), undone after
    const admin = tamperer(db);
    await admin.begin(async (tx) => { await tx`SET LOCAL session_replication_role = replica`; await tx`UPDATE audit_event SET actor = actor || '!' WHERE seq = 12`; });
    const r = await cli(['audit', 'verify', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toMatchObject({ ok: false, break: { seq: '12', reason: 'hash_mismatch' } });
    await admin.begin(async (tx) => { await tx`SET LOCAL session_replication_role = replica`; await tx`UPDATE audit_event SET actor = left(actor, -1) WHERE seq = 12`; });
    await admin.end({ timeout: 2 });
    expect((await cli(['audit', 'verify'])).code).toBe(0);
  });

  it('list filters by patient, actor and time, newest first', async () => {
    const r = await cli(['audit', 'list', '--patient', 'p-0', '--json']);
    expect(r.code).toBe(0);
    const rows = r.out.trim().split('\n').map((l) => JSON.parse(l) as { seq: string; patient: string });
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((x) => x.patient === 'p-0')).toBe(true);
    expect(rows.map((x) => Number(x.seq))).toEqual([...rows.map((x) => Number(x.seq))].sort((a, b) => b - a));
    const since = await cli(['audit', 'list', '--since', '2025-01-01T00:10:00Z', '--actor', 'dr-0']);
    expect(since.out.trim().split('\n').every((l) => l.split('\t')[5] === 'dr-0' && l.split('\t')[1]! >= '2025-01-01T00:10')).toBe(true);
    expect((await cli(['audit', 'list', '--since', 'yesterday'])).code).toBe(2);
    expect((await cli(['audit', 'list', '--patient', 'Robert Smith'])).code).toBe(2);
    expect((await cli(['audit', 'nope'])).code).toBe(2);
  });

  it('token revoke is recorded', async () => {
    const r = await cli(['token', 'revoke', '--jti', 'jti-123', '--issuer', 'https://issuer.example']);
    expect(r.code).toBe(0);
    const list = await cli(['audit', 'list', '--actor', 'cli', '--json']);
    expect(list.out).toContain('"type":"token.revoked"');
  });
});

describe('switchboard purge', () => {
  it('refuses to run with no retention set, then purges down to a checkpoint and verify still passes', async () => {
    expect((await cli(['purge'])).code).toBe(2);
    await db.sql.begin((tx) => appendAudit(tx, [{ ...sampleEvent(1), at: new Date() }]));
    await sealAll(db.sql);
    // the seeded rows are from January 2025: 30 days keeps only the recent ones
    const r = await cli(['purge'], { AUDIT_RETENTION_DAYS: '30' });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/purged: 0 message bodies, 0 rejected, 0 FHIR resources, 25 audit rows \(checkpoint seq 25 hash [0-9a-f]{64}\)/);
    const v = await cli(['audit', 'verify', '--json']);
    expect(JSON.parse(v.out)).toMatchObject({ ok: true, from: { seq: '25' }, pending: 0 });
  });
});
