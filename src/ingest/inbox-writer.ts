// Group commit for the inbox. Messages arriving from many connections while a commit is in flight
// are written together in the next single-statement transaction, and each caller is answered only
// after the statement that holds its row has committed. At low load a batch is one message and costs
// one round trip (no added delay); under load one fsync covers many messages.
import { findInboxRowsByKey, insertInboxRows, type InboxRow, isUnavailable, type PriorityRange, type Sql } from '../store/index.js';

// the writer's callers describe a message with the store's row type
export type { InboxRow };

export interface AcceptResult {
  id: string;
  duplicate: boolean;
  /** The stored ACK: this message's own, or the original's for a duplicate. */
  ack: Buffer | null;
  /** Stored as a new message although an earlier one has the same sender and control id (other content). */
  controlIdReused: boolean;
}

interface Pending {
  row: InboxRow;
  key: string;
  /** the row's order group (README "Processing"): its sender, and its patient or none */
  sender: string;
  patient: string | null;
  resolve: (r: AcceptResult) => void;
  reject: (e: unknown) => void;
}

export interface InboxWriterOptions {
  maxBatch: number;
  /**
   * Transactions in flight at once (default 2): while they commit, the next batch forms. A row whose
   * order group (its sender and patient; a row without a patient: its whole sender) has a row in
   * flight, or queued ahead of it, waits for it: rows of one group commit, and get their ids, in the
   * order they were accepted (the members of an HL7 batch, say), as they did with one. With one,
   * a message arriving during a commit waits for it whole before its own starts: at 200 msg/s while a
   * backlog was processed that put the ACK p99 at 32 ms (the commit's own p99 was 12-24 ms on
   * cores busy with the backlog); with two it was 17-21 ms, and the ingest rate at 16 connections
   * stayed where it was (bench ingest and pipeline, README "Benchmarks").
   */
  maxInFlight?: number;
  /** Called after each committed batch with its size and how long its statements took from sent to committed, s (metrics). */
  onBatch?: (size: number, seconds: number) => void;
  /**
   * Called after a batch stored new rows, with the most and the least urgent intake priority among
   * them (0 routine .. 3 stat): wakes this process's workers at once (a critical lane only for rows
   * it takes; routine workers not for rows only an idle lane takes).
   */
  onInserted?: (priorities: PriorityRange) => void;
  /** Least interval between NOTIFYs to other replicas, ms (default 100). */
  notifyEveryMs?: number;
  /**
   * Longest the writer waits for one batch's statements, ms (default 10 s). Past it the batch's
   * callers are answered "unavailable" and the writer goes on with the next batch on another pooled
   * connection: a connection whose server vanished without a word (a dropped network path: no reset,
   * nothing fails until TCP gives up, many minutes later) must not hold every later message.
   */
  commitTimeoutMs?: number;
}

/**
 * A batch given up on after commitTimeoutMs: unavailable (isUnavailable), so the caller answers
 * AE/CE and the sender resends; a commit that did happen after all is then found as the original.
 */
export class CommitTimeoutError extends Error {
  override readonly name = 'CommitTimeoutError';
  readonly code = 'ETIMEDOUT';
  constructor() {
    super('message store did not answer in time');
  }
}

const keyOf = (r: Pick<InboxRow, 'senderApp' | 'senderFacility' | 'controlId' | 'contentHash'>) => `${r.senderApp}\u0000${r.senderFacility}\u0000${r.controlId}\u0000${r.contentHash.toString('hex')}`;

/** Rows of some batches, by order group: a later row of a group in it must not start beside them. */
class Groups {
  /** rows per sender and per (sender, patient); rows without a patient per sender */
  private readonly bySender = new Map<string, number>();
  private readonly byPatient = new Map<string, number>();
  private readonly patientless = new Map<string, number>();

  /** A row of this group must wait for these rows. */
  blocks(p: Pending): boolean {
    if (p.patient === null) return (this.bySender.get(p.sender) ?? 0) > 0;
    return (this.patientless.get(p.sender) ?? 0) > 0 || (this.byPatient.get(`${p.sender}\u0000${p.patient}`) ?? 0) > 0;
  }

  add(p: Pending, n = 1): void {
    const bump = (m: Map<string, number>, k: string) => {
      const v = (m.get(k) ?? 0) + n;
      if (v === 0) m.delete(k);
      else m.set(k, v);
    };
    bump(this.bySender, p.sender);
    if (p.patient === null) bump(this.patientless, p.sender);
    else bump(this.byPatient, `${p.sender}\u0000${p.patient}`);
  }

  remove(p: Pending): void {
    this.add(p, -1);
  }
}

export class InboxWriter {
  private queue: Pending[] = [];
  private inFlight = 0;
  private readonly flying = new Groups();
  private lastNotify = 0;

  constructor(private readonly sql: Sql, private readonly opts: InboxWriterOptions) {}

  /** Resolves once the row is committed (or found already stored); rejects when the store failed. */
  accept(row: InboxRow): Promise<AcceptResult> {
    return new Promise((resolve, reject) => {
      const sender = `${row.senderApp}\u0000${row.senderFacility}`;
      this.queue.push({ row, key: keyOf(row), sender, patient: row.orderPatient ?? null, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    const max = this.opts.maxInFlight ?? 2;
    while (this.inFlight < max && this.queue.length) {
      const batch = this.next();
      if (batch.length === 0) return; // every queued row waits for a batch in flight
      for (const p of batch) this.flying.add(p);
      this.inFlight++;
      let freed = false;
      const free = () => {
        if (freed) return;
        freed = true;
        clearTimeout(timer);
        for (const p of batch) this.flying.remove(p);
        this.inFlight--;
        this.pump();
      };
      // resolving or rejecting a caller a second time does nothing: whichever comes first answers
      const timer = setTimeout(() => {
        const e = new CommitTimeoutError();
        for (const p of batch) p.reject(e);
        free();
      }, this.opts.commitTimeoutMs ?? 10_000);
      timer.unref();
      void this.commit(batch).finally(free);
    }
  }

  /**
   * The next batch: up to maxBatch queued rows, in queue order, leaving those whose order group has a
   * row in flight or a row left queued ahead of them (they go in a later batch, after it).
   */
  private next(): Pending[] {
    if (this.inFlight === 0) return this.queue.splice(0, this.opts.maxBatch);
    const batch: Pending[] = [];
    const left: Pending[] = [];
    const waiting = new Groups();
    for (const p of this.queue) {
      if (batch.length < this.opts.maxBatch && !this.flying.blocks(p) && !waiting.blocks(p)) batch.push(p);
      else {
        left.push(p);
        waiting.add(p);
      }
    }
    this.queue = left;
    return batch;
  }

  private async commit(batch: Pending[]): Promise<void> {
    try {
      const started = performance.now();
      const results = await this.write(batch);
      const seconds = (performance.now() - started) / 1000;
      // within one batch, the second of two identical keys is a duplicate of the first
      const seen = new Set<string>();
      for (const p of batch) {
        const r = results.get(p.key)!;
        p.resolve(seen.has(p.key) ? { ...r, duplicate: true, controlIdReused: false } : r);
        seen.add(p.key);
      }
      this.opts.onBatch?.(batch.length, seconds);
    } catch (e) {
      // The store refused the statement for something in it, not for being down: one row it cannot
      // take must not fail the messages that shared its batch, so each row is written on its own
      // and only the row at fault is refused. (A store that is down fails them all: no retry storm.)
      if (batch.length > 1 && !isUnavailable(e)) {
        for (const p of batch) await this.commit([p]);
        return;
      }
      for (const p of batch) p.reject(e);
    }
  }

  /**
   * One statement inserts the new rows; rows already stored — resends — are read back in a second
   * statement only when there are any. ON CONFLICT waits for a concurrent insert of the same key to
   * commit, so the original is always visible to that second read.
   */
  private async write(batch: Pending[]): Promise<Map<string, AcceptResult>> {
    const unique = new Map<string, InboxRow>();
    for (const p of batch) if (!unique.has(p.key)) unique.set(p.key, p.row);
    const rows = [...unique.values()];
    // a loop, not Math.max(...): a batch may be as large as INGEST_BATCH_MAX says
    const priorities = { max: 0, min: 3, rows: rows.length };
    for (const r of rows) {
      priorities.max = Math.max(priorities.max, r.priority ?? 0);
      priorities.min = Math.min(priorities.min, r.priority ?? 0);
    }
    const inserted = await insertInboxRows(this.sql, rows, { notify: this.shouldNotify(priorities.max > 0), priorities });
    const out = new Map<string, AcceptResult>();
    for (const r of inserted) {
      const key = keyOf({ senderApp: r.sender_app, senderFacility: r.sender_facility, controlId: r.control_id, contentHash: r.content_hash });
      out.set(key, { id: r.id, duplicate: false, ack: unique.get(key)!.ack, controlIdReused: r.control_id_reused === true });
    }
    const resent = [...unique.entries()].filter(([k]) => !out.has(k)).map(([, r]) => r);
    if (resent.length) {
      const originals = await findInboxRowsByKey(this.sql, resent);
      for (const e of originals) out.set(keyOf({ senderApp: e.sender_app, senderFacility: e.sender_facility, controlId: e.control_id, contentHash: e.content_hash }), { id: e.id, duplicate: true, ack: e.ack, controlIdReused: false });
    }
    for (const k of unique.keys()) if (!out.has(k)) throw new Error('inbox row neither inserted nor found');
    if (inserted.length) this.opts.onInserted?.(priorities);
    return out;
  }

  /**
   * Workers in this process are woken directly (onInserted); other replicas through NOTIFY, sent at
   * most every notifyEveryMs: NOTIFY serialises commits on a global lock, and one wake-up per
   * interval is enough for workers that then drain the queue. A batch holding an urgent row always
   * notifies: another replica's critical lane must not wait for the interval.
   */
  private shouldNotify(urgent: boolean): boolean {
    const now = Date.now();
    if (!urgent && now - this.lastNotify < (this.opts.notifyEveryMs ?? 100)) return false;
    this.lastNotify = now;
    return true;
  }
}
