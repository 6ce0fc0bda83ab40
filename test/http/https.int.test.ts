// HTTPS built in: with HTTP_TLS_CERT/HTTP_TLS_KEY the gateway serves its API over TLS (certificates made
// by openssl for the test; skipped without it), sends HSTS, and builds FHIR links on PUBLIC_BASE_URL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import https from 'node:https';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { startGateway, type Gateway } from '../../src/gateway.js';
import { silentLogger } from '../../src/obs/log.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

const hasOpenssl = (() => { try { execFileSync('openssl', ['version']); return true; } catch { return false; } })();
const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-https-'));
const f = (n: string) => path.join(dir, n);

let db: TestDatabase;
let gw: Gateway | undefined;

function get(url: string, opts: https.RequestOptions = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const mod = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    mod.get(url, opts, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    }).on('error', reject);
  });
}

describe.skipIf(!hasOpenssl)('the HTTP API over TLS', () => {
  beforeAll(async () => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('key.pem'), '-out', f('cert.pem'), '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
    db = await createTestDatabase();
    const config = loadConfig({
      DATABASE_URL: db.url, DATA_DIR: dir, PORT: '0', HOST: '127.0.0.1', MLLP_PORT: '0', MLLP_HOST: '127.0.0.1',
      HTTP_TLS_CERT: f('cert.pem'), HTTP_TLS_KEY: f('key.pem'), PUBLIC_BASE_URL: 'https://sb.example', WORKER_CONCURRENCY: '1',
    });
    gw = await startGateway(config, silentLogger, { worker: false });
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  it('answers over HTTPS with HSTS, and FHIR links on the public base URL', async () => {
    const ca = readFileSync(f('cert.pem'));
    const health = await get(`https://127.0.0.1:${gw!.httpPort}/healthz`, { ca });
    expect(health.status).toBe(200);
    expect(health.headers['strict-transport-security']).toMatch(/^max-age=31536000/);
    const meta = await get(`https://127.0.0.1:${gw!.httpPort}/fhir/metadata`, { ca });
    expect(JSON.parse(meta.body)).toMatchObject({ resourceType: 'CapabilityStatement', implementation: { url: 'https://sb.example/fhir' } });
  });

  it('refuses a client that does not trust the certificate, and plain HTTP', async () => {
    await expect(get(`https://127.0.0.1:${gw!.httpPort}/healthz`)).rejects.toThrow();
    await expect(get(`http://127.0.0.1:${gw!.httpPort}/healthz`)).rejects.toThrow();
  });
});
