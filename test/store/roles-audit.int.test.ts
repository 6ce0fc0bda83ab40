// The app role and the audit trail / PHI key table (migration 020, src/store/roles.ts): as the
// runtime role, rewriting or deleting audit rows and PHI key rows is refused with
// insufficient_privilege; what the gateway must still do — add events, seal them, purge old rows past
// the retention horizon, register and retire keys — works through the owner's narrow functions, each
// refusing what it is not for.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { appendAudit, purgeExpired, sealAll, verifyAuditChain } from '../../src/audit/index.js';
import { runCli } from '../../src/cli/commands.js';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { connect, type Sql } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';
import { readAuditHead, retireUnusedPhiKeys } from '../../src/store/index.js';
import { adminUrl, createTestDatabase, ensureLoginRole, urlAs, type TestDatabase } from '../support/db.js';
import { sampleEvent } from '../audit/support.js';

const APP = `sb_auditrole_app_${randomBytes(4).toString('hex')}`;
const PASSWORD = randomBytes(12).toString('hex');
const DENIED = '42501'; // insufficient_privilege
const BAD_ARGUMENT = '22023'; // invalid_parameter_value
let db: TestDatabase;
let ownerUrl: string;
let admin: postgres.Sql;
let app: Sql;

/** The SQLSTATE a statement fails with, or 'ok'. */
async function outcome(sql: Sql | postgres.Sql, statement: string): Promise<string> {
  try {
    await sql.unsafe(statement);
    return 'ok';
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}

beforeAll(async () => {
  db = await createTestDatabase({ migrate: false });
  // the owner's connection to this database (under TEST_DB_ROLE=app db.url is the suite's runtime role)
  const u = new URL(adminUrl());
  u.pathname = new URL(db.url).pathname;
  ownerUrl = u.toString();
  admin = postgres(ownerUrl, { max: 2, onnotice: () => {} });
  await ensureLoginRole(admin, APP, PASSWORD);
  await migrate(admin, undefined, { appRole: APP });
  app = connect(urlAs(ownerUrl, APP, PASSWORD), { max: 3 });
  // a year-old run of events, then a recent one, all sealed by the app role
  const old = Array.from({ length: 12 }, (_, i) => ({ ...sampleEvent(i), at: new Date(Date.parse('2024-01-01T00:00:00Z') + i * 1000) }));
  await app.begin((tx) => appendAudit(tx, old));
  await app.begin((tx) => appendAudit(tx, [{ ...sampleEvent(50), at: new Date() }]));
  await admin`INSERT INTO phi_key (id, kind, key_check) VALUES ('k-old', 'data', 'c1'), ('k-new', 'data', 'c2')`;
});

afterAll(async () => {
  await app?.end({ timeout: 2 });
  await admin?.end();
  await db.drop();
  const a = postgres(adminUrl(), { max: 1, onnotice: () => {} });
  await a.unsafe(`DROP ROLE IF EXISTS ${APP}`);
  await a.end();
});

describe('the app role cannot rewrite or delete the audit trail or the PHI keys', () => {
  it.each([
    ['DELETE FROM audit_event'], ['UPDATE audit_event SET actor = actor'], ['TRUNCATE audit_event'],
    ["INSERT INTO audit_event (seq, at, actor, actor_kind, action, type, outcome, mac, prev_hash, hash) VALUES (999, now(), 'x', 'user', 'R', 'x', 'success', 'sha256', 'x', 'x')"],
    ['DELETE FROM audit_pending'], ['UPDATE audit_pending SET event = event'], ['TRUNCATE audit_pending'],
    ['DELETE FROM audit_chain_head'], ["UPDATE audit_chain_head SET from_seq = 0, from_hash = 'x'"], ['TRUNCATE audit_chain_head'],
    ['SELECT 1 FROM audit_chain_head FOR UPDATE'],
    ['DELETE FROM phi_key'], ["UPDATE phi_key SET key_check = 'forged'"], ['UPDATE phi_key SET retired_at = now()'], ['TRUNCATE phi_key'],
  ])('%s: insufficient_privilege', async (statement) => {
    expect(await outcome(app, statement)).toBe(DENIED);
  });

  it('the grants themselves say so (not only the append-only trigger)', async () => {
    const rows = await app<{ t: string; p: string; has: boolean }[]>`
      SELECT t, p, has_table_privilege(current_user, t, p) AS has
        FROM unnest(ARRAY['audit_event', 'audit_pending', 'audit_chain_head', 'phi_key']) AS t, unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) AS p
       WHERE has_table_privilege(current_user, t, p)`;
    expect(rows.map((r) => `${r.t}:${r.p}`).sort()).toEqual(['audit_chain_head:SELECT', 'audit_event:SELECT', 'audit_pending:INSERT', 'audit_pending:SELECT', 'phi_key:INSERT', 'phi_key:SELECT']);
  });

  it('still reads and registers PHI keys (the running gateway)', async () => {
    expect(await outcome(app, "INSERT INTO phi_key (id, kind, key_check) VALUES ('k-app', 'data', 'c3') ON CONFLICT DO NOTHING")).toBe('ok');
    expect((await app`SELECT count(*)::int AS n FROM phi_key`)[0]!.n).toBe(3);
  });
});

describe('what the app role still does goes through the owner functions', () => {
  it('the functions are the owner\'s, SECURITY DEFINER, search_path pinned, not executable by PUBLIC', async () => {
    const fns = await admin<{ name: string; definer: boolean; config: string[]; owner: string; public_exec: boolean }[]>`
      SELECT p.proname AS name, p.prosecdef AS definer, p.proconfig AS config, pg_get_userbyid(p.proowner) AS owner,
             EXISTS (SELECT 1 FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE') AS public_exec
        FROM pg_proc p WHERE p.proname IN ('audit_seal_pending', 'audit_purge', 'phi_key_retire_unused') ORDER BY 1`;
    expect(fns.map((f) => f.name)).toEqual(['audit_purge', 'audit_seal_pending', 'phi_key_retire_unused']);
    for (const f of fns) {
      expect(f).toMatchObject({ definer: true, config: ['search_path=pg_catalog, public, pg_temp'], public_exec: false });
      expect(f.owner).not.toBe(APP);
    }
  });

  it('the sealer seals as the app role: one chain that verifies, nothing pending', async () => {
    expect(await sealAll(app)).toBe(13);
    expect((await app`SELECT count(*)::int AS n FROM audit_pending`)[0]!.n).toBe(0);
    expect(await verifyAuditChain(app, { keys: [] })).toMatchObject({ ok: true, checked: 13 });
  });

  it('audit_seal_pending refuses rows that do not continue the chain, and counts that differ from the pending rows', async () => {
    await app.begin((tx) => appendAudit(tx, [sampleEvent(60)]));
    const [p] = await app<{ id: string }[]>`SELECT id::text AS id FROM audit_pending`;
    const head = await readAuditHead(app);
    const row = { seq: String(BigInt(head.seq) + 1n), at: new Date().toISOString(), actor: 'x', actorKind: 'user', action: 'D', type: 'forged', entityType: null, entityIds: [], patient: null, outcome: 'success', outcomeCode: null, source: null, requestId: null, mac: 'sha256', prevHash: head.hash, hash: 'f'.repeat(64) };
    const seal = (ids: string[], rows: object[]) => outcome(app, `SELECT audit_seal_pending('{${ids.join(',')}}'::bigint[], '${JSON.stringify(rows)}'::jsonb)`);
    expect(await seal([p!.id], [{ ...row, prevHash: '0'.repeat(64) }])).toBe(BAD_ARGUMENT); // wrong prev_hash
    expect(await seal([p!.id], [{ ...row, seq: '1' }])).toBe(BAD_ARGUMENT); // rewinds the chain
    expect(await seal([p!.id, p!.id], [row, { ...row, seq: String(BigInt(row.seq) + 1n), prevHash: row.hash }])).toBe(BAD_ARGUMENT); // one pending row, two chain rows
    expect(await seal(['999999'], [row])).toBe(BAD_ARGUMENT); // no such pending row: nothing appended without its pending row
    expect(await seal([p!.id], [])).toBe(BAD_ARGUMENT); // delete a pending row without sealing it
    expect((await app`SELECT count(*)::int AS n FROM audit_pending`)[0]!.n).toBe(1);
    expect(await sealAll(app)).toBe(1);
    expect(await verifyAuditChain(app, { keys: [] })).toMatchObject({ ok: true, checked: 14 });
  });

  it('audit_seal_pending refuses while another transaction holds the seal lock', async () => {
    await app.begin((tx) => appendAudit(tx, [sampleEvent(61)]));
    await admin.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(7343312)`;
      expect(await sealAll(app)).toBe(0); // the sealer skips the round
      const [p] = await app<{ id: string }[]>`SELECT id::text AS id FROM audit_pending`;
      expect(await outcome(app, `SELECT audit_seal_pending('{${p!.id}}'::bigint[], '[{}]'::jsonb)`)).toBe('55P03');
    });
    expect(await sealAll(app)).toBe(1);
  });

  it('audit_purge refuses a cut-off younger than 30 days, and while another purge holds the lock', async () => {
    expect(await outcome(app, "SELECT * FROM audit_purge(now() - interval '29 days')")).toBe(BAD_ARGUMENT);
    expect(await outcome(app, 'SELECT * FROM audit_purge(NULL)')).toBe(BAD_ARGUMENT);
    await admin.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(7343311)`;
      expect(await outcome(app, "SELECT * FROM audit_purge(now() - interval '400 days')")).toBe('55P03');
    });
    expect((await readAuditHead(app)).fromSeq).toBe('0');
  });

  it('AUDIT_RETENTION_DAYS below the same minimum is refused at start, not at the hourly purge', () => {
    expect(() => loadConfig({ AUDIT_RETENTION_DAYS: '29' })).toThrow(ConfigError);
    expect(loadConfig({ AUDIT_RETENTION_DAYS: '30' })).toMatchObject({ AUDIT_RETENTION_DAYS: 30 });
  });

  it('the retention purge runs as the app role: old rows go down to a checkpoint dated today; the rest verifies', async () => {
    const r = await purgeExpired(app, { auditDays: 180 }, new Date(), { actor: 'system', actorKind: 'system' });
    expect(r).toMatchObject({ ran: true, auditRows: 12, checkpoint: { seq: '12' } });
    await sealAll(app);
    const head = await readAuditHead(app);
    expect(head.fromSeq).toBe('12');
    expect(head.purgedAt!.toISOString().slice(0, 10)).toBe(new Date().toISOString().slice(0, 10));
    expect(await verifyAuditChain(app, { keys: [] })).toMatchObject({ ok: true, from: { seq: '12' } });
  });

  it('keys rotate\'s retirement runs as the app role; the function checks the active key and the values itself', async () => {
    expect(await outcome(app, "SELECT phi_key_retire_unused('no-such-key')")).toBe(BAD_ARGUMENT);
    // a value still sealed under k-old keeps it from being retired, whatever the caller says
    await admin`INSERT INTO rejected (source, received_at, error_code, reason, raw) VALUES ('mllp', now(), 'ERR_X', 'bad', '\\x0053420105'::bytea || convert_to('k-old', 'SQL_ASCII') || '\\x00'::bytea)`;
    expect(await retireUnusedPhiKeys(app, 'k-new')).toEqual(['k-app']);
    await admin`DELETE FROM rejected`;
    expect(await retireUnusedPhiKeys(app, 'k-new')).toEqual(['k-old']);
  });
});

describe('switchboard db roles --print', () => {
  it('prints the limits on the audit tables and phi_key', async () => {
    const out: string[] = [];
    expect(await runCli(['db', 'roles', '--print', '--role', 'gw_runtime'], { stdout: (x) => out.push(x), stderr: () => {} })).toBe(0);
    const script = out.join('');
    expect(script).toContain('no UPDATE or DELETE');
    expect(script).toContain(`REVOKE UPDATE, DELETE ON "public"."audit_pending" FROM "gw_runtime"`);
    expect(script).toContain(`REVOKE INSERT, UPDATE, DELETE ON "public"."audit_event" FROM "gw_runtime"`);
    expect(script).toContain(`REVOKE INSERT, UPDATE, DELETE ON "public"."audit_chain_head" FROM "gw_runtime"`);
    expect(script).toContain(`REVOKE UPDATE, DELETE ON "public"."phi_key" FROM "gw_runtime"`);
    expect(script).toContain('REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES');
  });

  it('the printed script, run by an admin, leaves a role with exactly those grants', async () => {
    const role = `sb_auditrole_scr_${randomBytes(3).toString('hex')}`;
    try {
      const out: string[] = [];
      await runCli(['db', 'roles', '--print', '--role', role], { stdout: (x) => out.push(x), stderr: () => {} });
      const one = postgres(ownerUrl, { max: 1, onnotice: () => {} }); // the script has its own BEGIN/COMMIT
      try { await one.unsafe(out.join('')); } finally { await one.end(); }
      const [r] = await admin<{ del: boolean; upd: boolean; ins: boolean; sel: boolean }[]>`
        SELECT has_table_privilege(${role}, 'audit_event', 'DELETE') AS del, has_table_privilege(${role}, 'phi_key', 'UPDATE') AS upd,
               has_table_privilege(${role}, 'audit_pending', 'INSERT') AS ins, has_table_privilege(${role}, 'audit_event', 'SELECT') AS sel`;
      expect(r).toEqual({ del: false, upd: false, ins: true, sel: true });
    } finally {
      await admin.unsafe(`DROP OWNED BY ${role}`);
      await admin.unsafe(`DROP ROLE IF EXISTS ${role}`);
    }
  });
});
