// Group commit for the inbox. Messages arriving from many connections while a commit is in flight
// are written together in the next single-statement transaction, and each caller is answered only
// after the statement that holds its row has committed. At low load a batch is one message and costs
// one round trip (no added delay); under load one fsync covers many messages.
import type { Sql } from '../store/db.js';

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
  /** Transactions in flight at once; more messages wait and go together in the next one. */
  maxInFlight?: number;
  /** Called after each committed batch with its size (metrics). */
  onBatch?: (size: number) => void;
}

const keyOf = (r: Pick<InboxRow, 'senderApp' | 'senderFacility' | 'controlId'>) => `${r.senderApp}\u0000${r.senderFacility}\u0000${r.controlId}`;

export class InboxWriter {
  private queue: Pending[] = [];
  private inFlight = 0;

  constructor(private readonly sql: Sql, private readonly opts: InboxWriterOptions) {}

  /** Resolves once the row is committed (or found already stored); rejects when the store failed. */
  accept(row: InboxRow): Promise<AcceptResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ row, key: keyOf(row), resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    const max = this.opts.maxInFlight ?? 4;
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

  /** One statement: insert the new rows, read back the originals of duplicates, wake the workers. */
  private async write(batch: Pending[]): Promise<Map<string, AcceptResult>> {
    const unique = new Map<string, InboxRow>();
    for (const p of batch) if (!unique.has(p.key)) unique.set(p.key, p.row);
    const rows = [...unique.values()];
    const col = <T>(f: (r: InboxRow) => T) => rows.map(f);
    const b64 = (b: Buffer | null) => (b ? b.toString('base64') : null);
    const sql = this.sql;
    // bytea travels base64-encoded in text[] (postgres.js does not serialise bytea[] parameters)
    const found = await sql<{ id: string; sender_app: string; sender_facility: string; control_id: string; ack: Buffer | null; duplicate: boolean }[]>`
      WITH input AS (
        SELECT * FROM unnest(
          ${col((r) => r.source)}::text[], ${col((r) => r.senderApp)}::text[], ${col((r) => r.senderFacility)}::text[],
          ${col((r) => r.controlId)}::text[], ${col((r) => r.messageType)}::text[], ${col((r) => r.version)}::text[],
          ${col((r) => r.charset)}::text[], ${col((r) => b64(r.raw))}::text[], ${col((r) => r.peer)}::text[],
          ${col((r) => r.ackMode)}::text[], ${col((r) => b64(r.ack))}::text[]
        ) AS t(source, sender_app, sender_facility, control_id, message_type, version, charset, raw, peer, ack_mode, ack)
      ), ins AS (
        INSERT INTO inbox (source, sender_app, sender_facility, control_id, message_type, version, charset, raw, peer, ack_mode, ack)
        SELECT source, sender_app, sender_facility, control_id, message_type, version, charset, decode(raw, 'base64'), peer, ack_mode, decode(ack, 'base64')
        FROM input
        ON CONFLICT (sender_app, sender_facility, control_id) DO NOTHING
        RETURNING id, sender_app, sender_facility, control_id, ack
      ), woke AS (
        SELECT pg_notify('switchboard_inbox', '') FROM ins LIMIT 1
      )
      SELECT id::text, sender_app, sender_facility, control_id, ack, false AS duplicate FROM ins
      UNION ALL
      SELECT e.id::text, e.sender_app, e.sender_facility, e.control_id, e.ack, true FROM inbox e
        JOIN input i USING (sender_app, sender_facility, control_id)
      UNION ALL
      SELECT NULL, NULL, NULL, NULL, NULL, NULL FROM woke`;
    const out = new Map<string, AcceptResult>();
    for (const f of found) {
      if (f.id === null) continue;
      out.set(keyOf({ senderApp: f.sender_app, senderFacility: f.sender_facility, controlId: f.control_id }), { id: f.id, duplicate: f.duplicate, ack: f.ack });
    }
    // a conflicting row committed by another replica after our snapshot: neither inserted nor seen
    const missing = [...unique.entries()].filter(([k]) => !out.has(k));
    for (const [k, r] of missing) {
      const [e] = await sql<{ id: string; ack: Buffer | null }[]>`
        SELECT id::text, ack FROM inbox WHERE sender_app = ${r.senderApp} AND sender_facility = ${r.senderFacility} AND control_id = ${r.controlId}`;
      if (!e) throw new Error('inbox row neither inserted nor found');
      out.set(k, { id: e.id, duplicate: true, ack: e.ack });
    }
    return out;
  }
}
