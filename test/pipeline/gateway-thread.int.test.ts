// A gateway with PROCESSING_THREAD on: the routine workers run in their own thread on
// their own connections, messages end processed with their counters on the gateway's /metrics
// registry, and a graceful close leaves neither the thread nor one of its connections behind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readAck } from '../../src/hl7/index.js';
import { MllpClient } from '../../src/mllp/index.js';
import { loadConfig } from '../../src/config/index.js';
import { startGateway, type Gateway } from '../../src/gateway.js';
import { silentLogger } from '../../src/obs/log.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { ROOT } from '../support/fixtures.js';
import { withControlId, withMshField } from '../support/messages.js';
import { TEST_PHI_KEYS } from '../support/phi-keys.js';

let db: TestDatabase;
let gw: Gateway | undefined;

const processingConnections = async () =>
  (await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'switchboard-processing'`)[0]!.n;

async function until(what: string, check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

beforeAll(async () => {
  db = await createTestDatabase();
  const config = loadConfig({
    DATABASE_URL: db.url, DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'sb-thread-')), PORT: '0', HOST: '127.0.0.1', MLLP_PORT: '0', MLLP_HOST: '127.0.0.1',
    PHI_KEYS: TEST_PHI_KEYS, SCHEDULE_FILE: path.join(ROOT, 'fixtures/schedules/example.json'), WORKER_POLL_MS: '200', PROCESSING_THREAD: 'true', PROCESSING_THREADS: '2',
  });
  gw = await startGateway(config, silentLogger);
}, 120_000);
afterAll(async () => {
  await gw?.close();
  await db?.drop();
});

describe('a gateway with the processing thread', () => {
  it('processes routine messages in the thread, counted on the gateway registry', { timeout: 60_000 }, async () => {
    // two threads of one worker each (WORKER_CONCURRENCY 2), one where the machine has one core
    expect(gw!.processing).toHaveLength(Math.min(2, os.availableParallelism()));
    expect(gw!.processing.every((t) => t.running)).toBe(true);
    expect(await processingConnections()).toBeGreaterThan(0);
    const c = new MllpClient({ port: gw!.mllpPort });
    await c.connect();
    for (let i = 0; i < 10; i++) {
      const msg = withMshField(withControlId('spine/adt-a01.hl7', `GWT${i}`), 4, `FAC${i % 3}`);
      expect(readAck((await c.send(msg)).toString('latin1')).code).toBe('AA');
    }
    c.close();
    await until('every row processed', async () => (await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM inbox WHERE control_id LIKE 'GWT%' AND state = 'processed'`)[0]!.n === 10);
    const [saved] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM fhir_resource f JOIN inbox i ON i.id = f.inbox_id WHERE i.control_id LIKE 'GWT%' AND f.resource_type = 'Patient'`;
    expect(saved!.n).toBeGreaterThan(0);
    // the thread's counters arrive in batches, on the registry /metrics serves
    await until('the counters', async () => (await gw!.metrics.processed.get()).values.reduce((n, v) => n + v.value, 0) === 10);
    const exposed = await gw!.metrics.registry.metrics();
    gw!.processing.forEach((_, i) => expect(exposed).toMatch(new RegExp(`switchboard_processing_thread_up\\{thread="${i}"\\} 1`)));
    // every group commit that stored them is timed: one observation per committed batch, the batches holding the 10 messages
    const value = async (h: { get(): Promise<{ values: { metricName?: string; value: number }[] }> }, name: string) => (await h.get()).values.find((v) => v.metricName === name)!.value;
    const batches = await value(gw!.metrics.batchSize, 'switchboard_ingest_batch_size_count');
    expect(await value(gw!.metrics.batchSize, 'switchboard_ingest_batch_size_sum')).toBe(10);
    expect(await value(gw!.metrics.ingestCommit, 'switchboard_ingest_commit_seconds_count')).toBe(batches);
    expect(await value(gw!.metrics.ingestCommit, 'switchboard_ingest_commit_seconds_sum')).toBeGreaterThan(0);
    expect(exposed).toContain('switchboard_ingest_commit_seconds_bucket');
  });

  it('a graceful close stops the thread and closes its connections', { timeout: 60_000 }, async () => {
    const threads = gw!.processing;
    await gw!.close();
    gw = undefined;
    expect(threads.some((t) => t.running)).toBe(false);
    await until('its backends gone', async () => (await processingConnections()) === 0, 10_000);
  });
});
