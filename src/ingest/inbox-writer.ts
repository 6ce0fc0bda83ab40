// Group commit for the inbox. Messages arriving from many connections while a commit is in flight
// are written together in the next single-statement transaction, and each caller is answered only
// after the statement that holds its row has committed. At low load a batch is one message and costs
// one round trip (no added delay); under load one fsync covers many messages.
import type { Sql } from '../store/index.js';

export interface InboxRow {
  source: 'mllp' | 'http' | 'calls' | 'fhir';
  senderApp: string;
  senderFacility: string;
  controlId: string;
  messageType: string;
  version: string | null;
  charset: string | null;
  raw: Buffer;
  peer: string | null;
  ackMode: 'original' | 'enhanced' | 'none';
  /** The answer to send once committed; stored so a duplicate gets the very same bytes. */
  ack: Buffer | null;
}

export interface AcceptResult {
  id: string;
  duplicate: boolean;
  /** The stored ACK: this message's own, or the original's for a duplicate. */
  ack: Buffer | null;
}

interface Pending {
  row: InboxRow;
  key: string;
  resolve: (r: AcceptResult) => void;
  reject: (e: unknown) => void;
}

export interface InboxWriterOptions {
  maxBatch: number;
  /**
   * Transactions in flight at once (default 1): while one commits, the next batch forms. Measured on
   * 2 cores at 16 connections: 1 -> ~7 messages per commit and the highest rate; 2 -> ~4; 4 -> ~2.4.
   */
  maxInFlight?: number;
  /** Called after each committed batch with its size (metrics). */
  onBatch?: (size: number) => void;
  /** Called after a batch stored new rows: wakes this process's workers at once. */
  onInserted?: () => void;
  /** Least interval between NOTIFYs to other replicas, ms (default 100). */
  notifyEveryMs?: number;
}

const keyOf = (r: Pick<InboxRow, 'senderApp' | 'senderFacility' | 'controlId'>) => `${r.senderApp}\u0000${r.senderFacility}\u0000${r.controlId}`;

export class InboxWriter {
  private queue: Pending[] = [];
  private inFlight = 0;
  private lastNotify = 0;

  constructor(private readonly sql: Sql, private readonly opts: InboxWriterOptions) {}

  /** Resolves once the row is committed (or found already stored); rejects when the store failed. */
  accept(row: InboxRow): Promise<AcceptResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ row, key: keyOf(row), resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    const max = this.opts.maxInFlight ?? 1;
    while (this.inFlight < max && this.queue.length) {
      const batch = this.queue.splice(0, this.opts.maxBatch);
      this.inFlight++;
      void this.commit(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async commit(batch: Pending[]): Promise<void> {
    try {
      const results = await this.write(batch);
      // within one batch, the second of two identical keys is a duplicate of the first
      const seen = new Set<string>();
      for (const p of batch) {
        const r = results.get(p.key)!;
        p.resolve(seen.has(p.key) ? { ...r, duplicate: true } : r);
        seen.add(p.key);
      }
      this.opts.onBatch?.(batch.length);
    } catch (e) {
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
    const sql = this.sql;
    const inserted = await this.insert(rows, this.shouldNotify());
    const out = new Map<string, AcceptResult>();
    for (const r of inserted) {
      const key = keyOf({ senderApp: r.sender_app, senderFacility: r.sender_facility, controlId: r.control_id });
      out.set(key, { id: r.id, duplicate: false, ack: unique.get(key)!.ack });
    }
    const resent = [...unique.entries()].filter(([k]) => !out.has(k)).map(([, r]) => r);
    if (resent.length) {
      const originals = await sql<{ id: string; sender_app: string; sender_facility: string; control_id: string; ack: Buffer | null }[]>`
        SELECT e.id::text, e.sender_app, e.sender_facility, e.control_id, e.ack FROM inbox e
        JOIN unnest(${resent.map((r) => r.senderApp)}::text[], ${resent.map((r) => r.senderFacility)}::text[], ${resent.map((r) => r.controlId)}::text[])
          AS k(sender_app, sender_facility, control_id) USING (sender_app, sender_facility, control_id)`;
      for (const e of originals) out.set(keyOf({ senderApp: e.sender_app, senderFacility: e.sender_facility, controlId: e.control_id }), { id: e.id, duplicate: true, ack: e.ack });
    }
    for (const k of unique.keys()) if (!out.has(k)) throw new Error('inbox row neither inserted nor found');
    if (inserted.length) this.opts.onInserted?.();
    return out;
  }

  /**
   * Workers in this process are woken directly (onInserted); other replicas through NOTIFY, sent at
   * most every notifyEveryMs: NOTIFY serialises commits on a global lock, and one wake-up per
   * interval is enough for workers that then drain the queue.
   */
  private shouldNotify(): boolean {
    const now = Date.now();
    if (now - this.lastNotify < (this.opts.notifyEveryMs ?? 100)) return false;
    this.lastNotify = now;
    return true;
  }

  /**
   * One multi-row VALUES statement for the whole batch (one statement text per batch size, each
   * prepared once per connection). Measured against unnest over base64 text arrays, its former
   * batch path: 8 rows 0.47 vs 0.55 ms, 16 rows 0.66 vs 0.72 ms per committed statement.
   */
  private insert(rows: InboxRow[], notify: boolean): Promise<InsertedRow[]> {
    const sql = this.sql;
    const woke = notify ? sql`, pg_notify(${INBOX_CHANNEL}, '')::text AS woke` : sql``;
    const values = rows.map((r) => ({
      source: r.source, sender_app: r.senderApp, sender_facility: r.senderFacility, control_id: r.controlId,
      message_type: r.messageType, version: r.version, charset: r.charset, raw: r.raw, peer: r.peer, ack_mode: r.ackMode, ack: r.ack,
    }));
    return sql<InsertedRow[]>`
      INSERT INTO inbox ${sql(values, INBOX_COLUMNS)}
      ON CONFLICT (sender_app, sender_facility, control_id) DO NOTHING
      RETURNING id::text, sender_app, sender_facility, control_id ${woke}`;
  }
}

const INBOX_COLUMNS = ['source', 'sender_app', 'sender_facility', 'control_id', 'message_type', 'version', 'charset', 'raw', 'peer', 'ack_mode', 'ack'] as const;

interface InsertedRow {
  id: string;
  sender_app: string;
  sender_facility: string;
  control_id: string;
}

/** The channel workers LISTEN on. */
export const INBOX_CHANNEL = 'switchboard_inbox';
