// Prometheus metrics (prom-client). Labels are message types, sources, codes and outcomes — never
// identifiers or PHI. One registry per gateway instance so tests can run several side by side.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  received: Counter<'source' | 'type'>;
  accepted: Counter<'source' | 'type'>;
  rejected: Counter<'source' | 'type' | 'code'>;
  duplicates: Counter<'source' | 'type'>;
  controlIdReused: Counter<'source' | 'type'>;
  unavailable: Counter<'source'>;
  ackLatency: Histogram<'source'>;
  batchSize: Histogram;
  ingestCommit: Histogram;
  processed: Counter<'type' | 'outcome'>;
  routed: Counter<'outcome'>;
  queueDepth: Gauge<'state'>;
  mllpConnections: Gauge;
}

export function createMetrics(opts: { defaults?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (opts.defaults) collectDefaultMetrics({ register: registry });
  const r = [registry];
  return {
    registry,
    received: new Counter({ name: 'switchboard_messages_received_total', help: 'Messages received, by source and type', labelNames: ['source', 'type'], registers: r }),
    accepted: new Counter({ name: 'switchboard_messages_accepted_total', help: 'Messages stored and acknowledged positively', labelNames: ['source', 'type'], registers: r }),
    rejected: new Counter({ name: 'switchboard_messages_rejected_total', help: 'Messages refused (AE/AR or 4xx), by error code', labelNames: ['source', 'type', 'code'], registers: r }),
    duplicates: new Counter({ name: 'switchboard_messages_duplicate_total', help: 'Resent messages recognised as duplicates', labelNames: ['source', 'type'], registers: r }),
    controlIdReused: new Counter({ name: 'switchboard_messages_control_id_reused_total', help: 'Messages stored although an earlier one from the same sender has the same control id with other content', labelNames: ['source', 'type'], registers: r }),
    unavailable: new Counter({ name: 'switchboard_store_unavailable_total', help: 'Messages answered AE/CE because the store was unavailable', labelNames: ['source'], registers: r }),
    ackLatency: new Histogram({
      name: 'switchboard_ack_latency_seconds', help: 'From a complete message received to its ACK ready (after commit)', labelNames: ['source'], registers: r,
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    }),
    batchSize: new Histogram({ name: 'switchboard_ingest_batch_size', help: 'Messages committed per group-commit transaction', registers: r, buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256] }),
    ingestCommit: new Histogram({
      name: 'switchboard_ingest_commit_seconds', help: 'Group-commit statements of the inbox, from sent to committed (an ACK waits for its own, after any queue for a commit slot)', registers: r,
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    }),
    processed: new Counter({ name: 'switchboard_messages_processed_total', help: 'Inbox rows processed by the worker, by outcome', labelNames: ['type', 'outcome'], registers: r }),
    routed: new Counter({ name: 'switchboard_messages_routed_total', help: 'Messages needing a human, by routing outcome (routed, no_coverage, unrouted)', labelNames: ['outcome'], registers: r }),
    queueDepth: new Gauge({ name: 'switchboard_inbox_queue_depth', help: 'Inbox rows by state (sampled)', labelNames: ['state'], registers: r }),
    mllpConnections: new Gauge({ name: 'switchboard_mllp_connections', help: 'Open MLLP connections', registers: r }),
  };
}
