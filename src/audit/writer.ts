// Group commit for audit events raised outside a transaction (the HTTP middleware): events from
// concurrent requests wait while one append is in flight and then go together in the next one — one
// transaction and one INSERT for the lot. Each append resolves after the commit that holds its row
// (unsealed: the sealer chains it moments later).
import type { Sql } from '../store/index.js';
import { appendAudit } from './append.js';
import type { AuditEventInput } from './hash.js';

interface Pending {
  event: AuditEventInput;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** Events in one append, at most: a few hundred rows keep the statement well under a millisecond per row. */
const MAX_BATCH = 500;
/** Events waiting, at most: past this a request is refused rather than memory growing while the store is slow. */
const MAX_QUEUED = 10_000;

export class AuditQueueFullError extends Error {
  readonly code = 'ERR_AUDIT_QUEUE_FULL';
}

export class AuditWriter {
  private queue: Pending[] = [];
  private flushing: Promise<void> | undefined;

  constructor(private readonly sql: Sql, private readonly opts: { onBatch?: (n: number) => void } = {}) {}

  /** Resolves when the event is committed to the chain; rejects when the append failed. */
  append(event: AuditEventInput): Promise<void> {
    if (this.queue.length >= MAX_QUEUED) return Promise.reject(new AuditQueueFullError('audit queue full'));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ event, resolve, reject });
      this.flushing ??= this.drain();
    });
  }

  /** Waits for everything queued so far. */
  async idle(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        try {
          await this.sql.begin((tx) => appendAudit(tx, batch.map((p) => p.event)));
          this.opts.onBatch?.(batch.length);
          for (const p of batch) p.resolve();
        } catch (e) {
          for (const p of batch) p.reject(e);
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }
}
