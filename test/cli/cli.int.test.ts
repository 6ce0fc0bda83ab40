// The `switchboard` command as a user runs it: a real process against a real database.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { spawnGateway, type GatewayProcess } from '../support/process.js';
import { TEST_PHI_KEYS } from '../support/phi-keys.js';

// each run starts a process that compiles the TypeScript: seconds apiece on a busy machine
vi.setConfig({ testTimeout: 120_000 });

const BIN = fileURLToPath(new URL('../../bin/switchboard.js', import.meta.url));
const FIX = fileURLToPath(new URL('../../fixtures/', import.meta.url));
let db: TestDatabase;
let gw: GatewayProcess;
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sb-cli-'));

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, DATABASE_URL: db.url, DATA_DIR: dataDir, PHI_KEYS: TEST_PHI_KEYS, ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  db = await createTestDatabase();
  gw = await spawnGateway({ DATABASE_URL: db.url, DATA_DIR: dataDir, WORKER_POLL_MS: '100' });
}, 60_000);
afterAll(async () => {
  gw.child.kill('SIGTERM');
  await gw.exited;
  await db.drop();
});

describe('switchboard CLI', () => {
  it('send prints the ACK and exits 0 for accepted messages', async () => {
    const r = await run(['send', path.join(FIX, 'spine/oru-r01.hl7'), path.join(FIX, 'spine/adt-a01.hl7'), '--port', String(gw.mllpPort)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('MSA|AA|CTRL0001');
    expect(r.stdout).toContain('MSA|AA|ADT0001');
  });

  it('send exits 1 when a message is refused', async () => {
    const r = await run(['send', path.join(FIX, 'spine/bad/unknown-type.hl7'), '--port', String(gw.mllpPort)]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('MSA|AR|BADTYPE1');
  });

  it('inbox list --json prints one JSON line per stored message', async () => {
    const r = await run(['inbox', 'list', '--json']);
    expect(r.code).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.map((x) => x.controlId)).toEqual(expect.arrayContaining(['CTRL0001', 'ADT0001']));
    expect(Object.keys(rows[0]!).sort()).toEqual(['controlId', 'id', 'receivedAt', 'sender', 'state', 'type']);
  });

  it('inbox rejected ID shows the refused bytes and the ACK that was sent', async () => {
    const list = await run(['inbox', 'rejected', '--json']);
    const first = JSON.parse(list.stdout.trim().split('\n')[0]!) as { id: string; errorCode: string };
    expect(first.errorCode).toBe('ERR_HL7_UNSUPPORTED_TYPE');
    const r = await run(['inbox', 'rejected', first.id]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('MSH|^~\\&|LAB|NORTHLAB|SWITCHBOARD|GENHOSP|20261104023000-0500||ZZZ^Z99|BADTYPE1');
    expect(r.stdout).toContain('MSA|AR|BADTYPE1');
    expect((await run(['inbox', 'rejected', '999999'])).code).toBe(1);
  });

  it('inbox list refuses an unknown state with exit 2', async () => {
    expect((await run(['inbox', 'list', '--state', 'bogus'])).code).toBe(2);
  });

  it('token prints a JWT the running gateway accepts', async () => {
    const r = await run(['token', '--scope', 'inbox.read']);
    expect(r.code).toBe(0);
    const token = r.stdout.trim();
    const ok = await fetch(`http://127.0.0.1:${gw.httpPort}/inbox`, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    const denied = await fetch(`http://127.0.0.1:${gw.httpPort}/rejected`, { method: 'GET', headers: { authorization: `Bearer ${token}` } });
    expect(denied.status).toBe(200);
    const forbidden = await fetch(`http://127.0.0.1:${gw.httpPort}/hl7`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: 'x' });
    expect(forbidden.status).toBe(403);
  });

  it('migrate says it is up to date on a migrated database', async () => {
    const r = await run(['migrate']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('up to date');
  });

  it('serve exits 1 with the reason when its port is taken, leaving nothing running', async () => {
    const r = await run(['serve'], { MLLP_PORT: String(gw.mllpPort), PORT: '0', HOST: '127.0.0.1', MLLP_HOST: '127.0.0.1' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('EADDRINUSE');
  });

  it('an unknown command prints the usage and exits 2', async () => {
    const r = await run(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('usage: switchboard');
  });

  it('map prints one Bundle per message of a file, one JSON document per line', async () => {
    const r = await run(['map', path.join(FIX, 'spine/two-messages.hl7')]);
    expect(r.code).toBe(0);
    const docs = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { resourceType: string; type: string });
    expect(docs.map((d) => [d.resourceType, d.type])).toEqual([['Bundle', 'transaction'], ['Bundle', 'transaction']]);
  });

  it('map exits 2 with the reason for a file that is not HL7', async () => {
    const r = await run(['map', path.join(FIX, 'spine/bad/no-msh.hl7')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/MSH/);
  });
});
