// MLLP over TLS and mutual TLS, with certificates made for the test by openssl (skipped without it).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readAck } from '../../src/hl7/index.js';
import { MllpClient, MllpListener } from '../../src/mllp/index.js';
import { Hl7Intake } from '../../src/ingest/hl7-intake.js';
import { InboxWriter } from '../../src/ingest/inbox-writer.js';
import { createMetrics } from '../../src/obs/metrics.js';
import { silentLogger } from '../../src/obs/log.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { withControlId } from '../support/messages.js';

const hasOpenssl = (() => { try { execFileSync('openssl', ['version']); return true; } catch { return false; } })();
const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-tls-'));
const f = (n: string) => path.join(dir, n);
const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });

/** A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA. */
function makeCertificates(): void {
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=Test CA');
  writeFileSync(f('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  for (const who of ['server', 'client']) {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${who}.key`), '-out', f(`${who}.csr`), '-subj', `/CN=${who === 'server' ? 'localhost' : 'lab-feed-1'}`);
    ssl('x509', '-req', '-in', f(`${who}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f(`${who}.pem`), '-days', '2', ...(who === 'server' ? ['-extfile', f('san.ext')] : []));
  }
}

let db: TestDatabase;
const listeners: MllpListener[] = [];

async function listen(mutual: boolean): Promise<number> {
  const metrics = createMetrics();
  const writer = new InboxWriter(db.sql, { maxBatch: 16 });
  const intake = new Hl7Intake({ sql: db.sql, writer, metrics, log: silentLogger, appName: 'SWITCHBOARD' });
  const l = new MllpListener({
    host: '127.0.0.1', port: 0, maxFrameBytes: 1 << 20, idleTimeoutMs: 10_000, frameTimeoutMs: 5_000, maxConnections: 10, log: silentLogger,
    tls: { certFile: f('server.pem'), keyFile: f('server.key'), ...(mutual ? { caFile: f('ca.pem') } : {}) },
  }, intake.mllpHandlers(1 << 20));
  listeners.push(l);
  return l.listen();
}

describe.skipIf(!hasOpenssl)('MLLP over TLS', () => {
  beforeAll(async () => {
    makeCertificates();
    db = await createTestDatabase();
  });
  afterAll(async () => {
    for (const l of listeners) await l.close(1000);
    await db?.drop();
  });

  it('accepts a message over TLS from a client that trusts the server certificate', async () => {
    const port = await listen(false);
    const c = new MllpClient({ port, tls: { ca: readFileSync(f('ca.pem')), servername: 'localhost' } });
    await c.connect();
    expect(readAck((await c.send(withControlId('spine/adt-a01.hl7', 'TLS1'))).toString('latin1')).code).toBe('AA');
    c.close();
  });

  it('with mutual TLS, accepts a client certificate signed by the CA and refuses a client without one', async () => {
    const port = await listen(true);
    const good = new MllpClient({ port, tls: { ca: readFileSync(f('ca.pem')), servername: 'localhost', cert: readFileSync(f('client.pem')), key: readFileSync(f('client.key')) } });
    await good.connect();
    expect(readAck((await good.send(withControlId('spine/adt-a01.hl7', 'MTLS1'))).toString('latin1')).code).toBe('AA');
    good.close();

    const anonymous = new MllpClient({ port, timeoutMs: 3000, tls: { ca: readFileSync(f('ca.pem')), servername: 'localhost' } });
    // TLS 1.3 reports the refused client certificate after the handshake: the send fails either way
    await expect((async () => { await anonymous.connect(); return anonymous.send(withControlId('spine/adt-a01.hl7', 'MTLS2')); })()).rejects.toThrow();
    anonymous.close();
    const [row] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM inbox WHERE control_id = 'MTLS2'`;
    expect(row!.n).toBe(0);
  });
});
