// The API while the store is away: 503 with Retry-After (not 500), and at once — a store known down
// is not asked, and one that does not answer (frozen: nothing fails) is given up on within the ping
// deadline, not waited for. Error mapping: any store-unavailable error is a 503.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/index.js';
import { createOnError } from '../../src/http/error-response.js';
import { Hl7Intake } from '../../src/ingest/hl7-intake.js';
import { InboxWriter } from '../../src/ingest/inbox-writer.js';
import { createMetrics } from '../../src/obs/metrics.js';
import { silentLogger } from '../../src/obs/log.js';
import { connect, type Sql } from '../../src/store/db.js';
import { StoreHealth } from '../../src/store/health.js';
import { withControlId } from '../support/messages.js';
import { Hono } from 'hono';
import { ScheduleService } from '../../src/oncall/index.js';

/** A "database" that accepts connections and never says a word: a frozen server, as the client sees it. */
let frozen: net.Server;
const held: net.Socket[] = [];
let url = '';
let sql: Sql;
let health: StoreHealth;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  frozen = net.createServer((s) => { held.push(s); s.on('error', () => {}); });
  await new Promise<void>((r) => frozen.listen(0, '127.0.0.1', r));
  url = `postgres://postgres@127.0.0.1:${(frozen.address() as net.AddressInfo).port}/none`;
  sql = connect(url, { max: 2, connectTimeoutMs: 30_000 });
  health = new StoreHealth(url, { intervalMs: 100, timeoutMs: 300, log: silentLogger });
  const metrics = createMetrics();
  const writer = new InboxWriter(sql, { maxBatch: 8 });
  const intake = new Hl7Intake({ sql, writer, metrics, log: silentLogger, appName: 'SWITCHBOARD', health });
  app = createApp({ sql, intake, writer, metrics, log: silentLogger, verifier: null, maxHl7Bytes: 65536, schedules: new ScheduleService({ sql }), publicBaseUrl: 'http://localhost', hsts: false, health });
});
afterAll(async () => {
  await health.stop();
  await sql.end({ timeout: 0 });
  held.forEach((s) => s.destroy());
  await new Promise((r) => frozen.close(r));
});

const timed = async (path: string, init?: RequestInit) => {
  const t0 = performance.now();
  const res = await app.request(path, init);
  return { res, ms: performance.now() - t0 };
};

describe('the API while the store is frozen', () => {
  it('/readyz says 503 within the ping deadline', async () => {
    const { res, ms } = await timed('/readyz');
    expect(res.status).toBe(503);
    expect(ms).toBeLessThan(2000); // the connect timeout is 30 s: this is the ping deadline at work
  });

  it('a request that waits on the store is answered 503 with Retry-After once the store is down, later ones at once', async () => {
    health.start();
    const first = await timed('/inbox');
    expect(first.res.status).toBe(503);
    expect(first.res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(first.ms).toBeLessThan(2000);
    expect(health.down).toBe(true);
    const call = await timed('/calls', { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': 'k1' }, body: '{}' });
    expect(call.res.status).toBe(503);
    const hl7 = await timed('/hl7', { method: 'POST', body: withControlId('spine/adt-a01.hl7', 'FROZEN1') });
    expect(hl7.res.status).toBe(503);
    expect(hl7.res.headers.get('x-hl7-ack-code')).toBe('AE');
  });
});

describe('error mapping', () => {
  it.each(['ECONNREFUSED', 'CONNECTION_CLOSED', 'CONNECT_TIMEOUT', '57P01', '08006', '57014', 'ERR_STORE_DOWN'])('a store error %s is a 503 with Retry-After, not a 500', async (code) => {
    const h = new Hono();
    h.onError(createOnError(silentLogger));
    h.get('/x', () => { throw Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432 (request text never shown)'), { code }); });
    const res = await h.request('/x');
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.text()).not.toContain('10.0.0.5');
  });
});
