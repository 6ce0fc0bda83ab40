// An intake + MLLP listener on an ephemeral port over a test database, without HTTP or workers.
import { MllpListener } from '../../src/mllp/index.js';
import { Hl7Intake } from '../../src/ingest/hl7-intake.js';
import { InboxWriter } from '../../src/ingest/inbox-writer.js';
import { createMetrics, type Metrics } from '../../src/obs/metrics.js';
import { silentLogger } from '../../src/obs/log.js';
import type { Sql } from '../../src/store/db.js';
import type { AppAckRouter } from '../../src/ingest/app-ack.js';
import type { SenderPolicy } from '../../src/ingest/senders.js';
import { InboxWorker } from '../../src/pipeline/worker.js';
import type { SiteConfig } from '../../src/mapping/index.js';
import { createTestDatabase, type TestDatabase } from './db.js';

export interface MllpHarness {
  port: number;
  intake: Hl7Intake;
  metrics: Metrics;
  listener: MllpListener;
  close(): Promise<void>;
}

export async function startMllpHarness(sql: Sql, opts: { maxFrameBytes?: number; frameTimeoutMs?: number; idleTimeoutMs?: number; appAcks?: AppAckRouter; senders?: SenderPolicy; maxConnections?: number; maxConnectionsPerAddress?: number } = {}): Promise<MllpHarness> {
  const metrics = createMetrics();
  const writer = new InboxWriter(sql, { maxBatch: 256 });
  const intake = new Hl7Intake({ sql, writer, metrics, log: silentLogger, appName: 'SWITCHBOARD', ...(opts.appAcks ? { appAcks: opts.appAcks } : {}), ...(opts.senders ? { senders: opts.senders } : {}) });
  const maxFrameBytes = opts.maxFrameBytes ?? 1024 * 1024;
  const listener = new MllpListener({
    host: '127.0.0.1', port: 0, maxFrameBytes, idleTimeoutMs: opts.idleTimeoutMs ?? 60_000, frameTimeoutMs: opts.frameTimeoutMs ?? 10_000, maxConnections: opts.maxConnections ?? 100, log: silentLogger,
    ...(opts.maxConnectionsPerAddress ? { maxConnectionsPerAddress: opts.maxConnectionsPerAddress } : {}),
  }, intake.mllpHandlers(maxFrameBytes));
  const port = await listener.listen();
  return { port, intake, metrics, listener, close: () => listener.close(2000) };
}

/** A test database with the MLLP harness and a map-only worker on it: the pipeline without HTTP. */
export interface PipelineHarness {
  db: TestDatabase;
  mllp: MllpHarness;
  worker: InboxWorker;
  /** Processes until the inbox has nothing left to claim. */
  drain(): Promise<void>;
  close(): Promise<void>;
}

export async function startPipeline(opts: { config: SiteConfig; maxAttempts: number }): Promise<PipelineHarness> {
  const db = await createTestDatabase();
  const mllp = await startMllpHarness(db.sql);
  const worker = new InboxWorker({ sql: db.sql, config: opts.config, log: silentLogger, metrics: createMetrics(), claimMs: 60_000, pollMs: 50, maxAttempts: opts.maxAttempts, appName: 'SWITCHBOARD', schedules: null });
  return {
    db, mllp, worker,
    drain: async () => { while ((await worker.processBatch()) > 0) { /* until empty */ } },
    close: async () => { await mllp.close(); await db.drop(); },
  };
}
