// The spoofed-sender attack: anyone who reaches the port can write MSH-3/MSH-4. An unauthenticated
// ADT^A08 from a made-up EVILAPP/EVILFAC gets AR with an ERR saying the sender is not allowed (no
// echo), is kept in `rejected`, and changes nothing; a real sender from the wrong place likewise.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readAck } from '../../src/hl7/index.js';
import { MllpClient } from '../../src/mllp/index.js';
import { SenderPolicy, sendersFileSchema } from '../../src/ingest/senders.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startMllpHarness, type MllpHarness } from '../support/harness.js';
import { spawnGateway } from '../support/process.js';
import { withControlId } from '../support/messages.js';
import { fixture, toWire } from '../support/fixtures.js';

let db: TestDatabase;
let gw: MllpHarness;

beforeAll(async () => {
  db = await createTestDatabase();
  gw = await startMllpHarness(db.sql, {
    senders: SenderPolicy.fromFile(sendersFileSchema.parse({
      senders: [
        { application: 'ADT', facility: 'GENHOSP', from: ['127.0.0.1/32'] },
        { application: 'LAB', facility: 'NORTHLAB', from: ['10.1.2.0/24'] },
      ],
    })),
  });
});
afterAll(async () => {
  await gw.close();
  await db.drop();
});

const counts = async () => (await db.sql<{ inbox: number; rejected: number }[]>`
  SELECT (SELECT count(*)::int FROM inbox) AS inbox, (SELECT count(*)::int FROM rejected) AS rejected`)[0]!;

async function send(msg: Buffer): Promise<string> {
  const c = new MllpClient({ port: gw.port });
  await c.connect();
  try {
    return (await c.send(msg)).toString('latin1');
  } finally {
    c.close();
  }
}

describe('sender allow-list over MLLP', () => {
  it('an ADT^A08 from a made-up EVILAPP/EVILFAC gets AR, saying the sender is not allowed, and changes nothing', async () => {
    const before = await counts();
    const ack = await send(toWire(fixture('spine/adt-a08-spoofed.hl7')));
    expect(readAck(ack)).toMatchObject({ code: 'AR', controlId: 'EVIL0001' });
    const err = ack.split('\r').find((s) => s.startsWith('ERR|'))!;
    expect(err).toMatch(/sender not allowed/);
    expect(err).not.toMatch(/EVIL|IMPOSTOR/);
    const after = await counts();
    expect(after.inbox).toBe(before.inbox);
    expect(after.rejected).toBe(before.rejected + 1);
    const [kept] = await db.sql<{ error_code: string; control_id: string }[]>`SELECT error_code, control_id FROM rejected ORDER BY id DESC LIMIT 1`;
    expect(kept).toEqual({ error_code: 'ERR_SENDER_NOT_ALLOWED', control_id: 'EVIL0001' });
    expect(await db.sql`SELECT 1 FROM inbox WHERE sender_app = 'EVILAPP'`).toHaveLength(0);
  });

  it('a listed sender from an address it may not send from gets AR too', async () => {
    const before = await counts();
    expect(readAck(await send(withControlId('spine/oru-r01.hl7', 'LAB-WRONG-PLACE'))).code).toBe('AR');
    expect((await counts()).inbox).toBe(before.inbox);
  });

  it('a listed sender from its address is stored (AA)', async () => {
    expect(readAck(await send(withControlId('spine/adt-a01.hl7', 'ADT-RIGHT-PLACE'))).code).toBe('AA');
    expect(await db.sql`SELECT 1 FROM inbox WHERE control_id = 'ADT-RIGHT-PLACE'`).toHaveLength(1);
  });
});

describe('sender allow-list in the gateway (POST /hl7 and MLLP)', () => {
  it('refuses a sender the file does not let send from here, over HTTP as over MLLP, and takes the one it does', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-senders-'));
    const file = path.join(dir, 'senders.json');
    writeFileSync(file, JSON.stringify({ senders: [{ application: 'ADT', facility: 'GENHOSP', from: ['127.0.0.1'] }, { application: 'LAB', facility: 'NORTHLAB', from: ['10.1.2.0/24'] }] }));
    const p = await spawnGateway({ DATABASE_URL: db.url, DATA_DIR: dir, SENDERS_FILE: file, DEV_NO_AUTH: '1', WORKER_CONCURRENCY: '1' });
    try {
      const post = (body: Buffer) => fetch(`http://127.0.0.1:${p.httpPort}/hl7`, { method: 'POST', body });
      const spoofed = await post(toWire(fixture('spine/adt-a08-spoofed.hl7')));
      expect(spoofed.status).toBe(400);
      expect(spoofed.headers.get('x-hl7-ack-code')).toBe('AR');
      expect(await spoofed.text()).toMatch(/sender not allowed/);
      expect((await post(withControlId('spine/oru-r01.hl7', 'HTTP-LAB-WRONG'))).headers.get('x-hl7-ack-code')).toBe('AR');
      expect((await post(withControlId('spine/adt-a01.hl7', 'HTTP-ADT-OK'))).headers.get('x-hl7-ack-code')).toBe('AA');
      const c = new MllpClient({ port: p.mllpPort });
      await c.connect();
      expect(readAck((await c.send(toWire(fixture('spine/adt-a08-spoofed.hl7')))).toString('latin1')).code).toBe('AR');
      c.close();
      expect(await db.sql`SELECT 1 FROM inbox WHERE control_id IN ('HTTP-LAB-WRONG', 'EVIL0001')`).toHaveLength(0);
      expect(await db.sql`SELECT 1 FROM inbox WHERE control_id = 'HTTP-ADT-OK'`).toHaveLength(1);
      expect(p.log.some((l) => l.includes('senders_loaded'))).toBe(true);
    } finally {
      p.child.kill('SIGTERM');
      await p.exited;
    }
  });

  it('without a senders file it warns at start and takes loopback senders only', async () => {
    const p = await spawnGateway({ DATABASE_URL: db.url, DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'sb-senders-')), WORKER_CONCURRENCY: '1' });
    try {
      expect(p.log.some((l) => l.includes('no_sender_allow_list_only_loopback_senders_are_accepted'))).toBe(true);
      const c = new MllpClient({ port: p.mllpPort });
      await c.connect();
      expect(readAck((await c.send(withControlId('spine/adt-a01.hl7', 'LOOPBACK-OK'))).toString('latin1')).code).toBe('AA');
      c.close();
    } finally {
      p.child.kill('SIGTERM');
      await p.exited;
    }
  });

  it('a bad senders file stops the gateway at start, non-zero, naming the file and the path of the problem', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-senders-'));
    const file = path.join(dir, 'senders.yaml');
    writeFileSync(file, 'senders:\n  - application: LAB\n    facility: NORTHLAB\n    from: ["10.1.2.0/99"]\n');
    const bin = fileURLToPath(new URL('../../bin/switchboard.js', import.meta.url));
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(process.execPath, [bin, 'serve'], { env: { ...process.env, DATABASE_URL: db.url, DATA_DIR: dir, SENDERS_FILE: file, PORT: '0', MLLP_PORT: '0' }, timeout: 30_000 },
        (err, _out, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stderr }));
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toContain('senders.0.from.0');
  });
});
