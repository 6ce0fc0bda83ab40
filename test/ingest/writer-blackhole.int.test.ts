// The server vanishes from under a group commit without a word (a network path that drops packets:
// no reset, no error, the statement simply never answers). The writer gives the batch up after its
// commit deadline — its senders get AE and resend — and the next batch goes on another pooled
// connection, instead of every later message waiting behind the lost one until TCP gives up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAck } from '../../src/hl7/index.js';
import { Hl7Intake, InboxWriter } from '../../src/ingest/index.js';
import { MllpClient, MllpListener } from '../../src/mllp/index.js';
import { createMetrics } from '../../src/obs/metrics.js';
import { silentLogger } from '../../src/obs/log.js';
import { connect, type Sql } from '../../src/store/db.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { withControlId } from '../support/messages.js';
import { PgProxy } from '../support/pg-proxy.js';

const COMMIT_TIMEOUT_MS = 500;
let db: TestDatabase;
let proxy: PgProxy;
let sql: Sql;
let listener: MllpListener;
let port = 0;

beforeAll(async () => {
  db = await createTestDatabase();
  proxy = await PgProxy.start(db.url);
  sql = connect(proxy.url(db.url), { max: 4 });
  const writer = new InboxWriter(sql, { maxBatch: 64, commitTimeoutMs: COMMIT_TIMEOUT_MS });
  const intake = new Hl7Intake({ sql, writer, metrics: createMetrics(), log: silentLogger, appName: 'SWITCHBOARD' });
  listener = new MllpListener({ host: '127.0.0.1', port: 0, maxFrameBytes: 1 << 20, idleTimeoutMs: 60_000, frameTimeoutMs: 10_000, maxConnections: 10, log: silentLogger }, intake.mllpHandlers(1 << 20));
  port = await listener.listen();
});
afterAll(async () => {
  await listener.close(500);
  await sql.end({ timeout: 0 });
  await proxy.close();
  await db.drop();
});

async function send(id: string): Promise<{ code: string; ms: number }> {
  const c = new MllpClient({ port, timeoutMs: 20_000 });
  await c.connect();
  const t0 = performance.now();
  try {
    return { code: readAck((await c.send(withControlId('spine/adt-a01.hl7', id))).toString('latin1')).code, ms: performance.now() - t0 };
  } finally {
    c.close();
  }
}

describe('a group commit whose server went silent', () => {
  it('is answered AE after the commit deadline, and later messages are stored on another connection', async () => {
    expect((await send('BH-1')).code).toBe('AA');
    proxy.mode = 'blackhole';
    const lost = await send('BH-2');
    expect(lost.code).toBe('AE');
    expect(lost.ms).toBeGreaterThanOrEqual(COMMIT_TIMEOUT_MS - 50);
    expect(lost.ms).toBeLessThan(COMMIT_TIMEOUT_MS + 5_000);
    // the path is back; the lost connection still holds its statement, and nothing waits behind it
    proxy.mode = 'pass';
    const next = await send('BH-3');
    expect(next.code).toBe('AA');
    // the resend of the lost message is stored (or found, had its commit gone through after all)
    expect((await send('BH-2')).code).toBe('AA');
    const rows = await db.sql<{ control_id: string }[]>`SELECT control_id FROM inbox ORDER BY id`;
    expect(rows.map((r) => r.control_id).sort()).toEqual(['BH-1', 'BH-2', 'BH-3']);
  }, 30_000);
});
