// Checking the chain, pure: fed the rows in seq order from the checkpoint on, it finds the first
// broken link. A row edited fails its own hash; a row deleted leaves a gap in seq; a row inserted or
// two rows swapped break the next row's prev_hash (or the seq order). Truncating the tail leaves a
// valid shorter chain: only the head (stored, and better, recorded outside the database) shows it.
import { hashRecord, type AuditRecord, type ChainKey } from './hash.js';

export type BreakReason =
  | 'seq_gap' // the row's seq is not the one after the previous row's (a row deleted, inserted or moved)
  | 'prev_hash_mismatch' // the row does not follow the previous row (inserted, reordered, or the one before changed)
  | 'hash_mismatch' // the row's fields do not give its hash (edited)
  | 'unknown_key' // sealed with an HMAC key this check was not given
  | 'mac_downgrade' // a row without HMAC after one with it (a re-chain by someone without the key)
  | 'unkeyed_row' // a row without HMAC when HMAC is required
  | 'head_mismatch'; // the stored head is not the last row (the tail removed, or the head edited)

export interface ChainBreak {
  seq: string;
  reason: BreakReason;
}

export interface CheckOptions {
  /** HMAC keys rows may be sealed with (the current and earlier AUDIT_HMAC_KEYs) */
  keys: readonly ChainKey[];
  /** every row must be HMAC-sealed (use once AUDIT_HMAC_KEY was set from the start) */
  requireHmac?: boolean;
}

export class ChainChecker {
  private seq: bigint;
  private prev: string;
  private keyed = false;
  private readonly keys: Map<string, ChainKey>;
  checked = 0;

  constructor(from: { seq: string; hash: string }, private readonly opts: CheckOptions) {
    this.seq = BigInt(from.seq);
    this.prev = from.hash;
    this.keys = new Map(opts.keys.map((k) => [`hmac-sha256:${k.id}`, k]));
  }

  /** The first broken link among `rows` (the next ones in seq order), or undefined. */
  check(rows: readonly AuditRecord[]): ChainBreak | undefined {
    for (const r of rows) {
      const want = this.seq + 1n;
      if (BigInt(r.seq) !== want) return { seq: want.toString(), reason: 'seq_gap' };
      if (r.prevHash !== this.prev) return { seq: r.seq, reason: 'prev_hash_mismatch' };
      const keyed = r.mac !== 'sha256';
      const key = keyed ? this.keys.get(r.mac) : undefined;
      if (keyed && !key) return { seq: r.seq, reason: 'unknown_key' };
      if (!keyed && this.keyed) return { seq: r.seq, reason: 'mac_downgrade' };
      if (!keyed && this.opts.requireHmac) return { seq: r.seq, reason: 'unkeyed_row' };
      const { hash, ...rest } = r;
      if (hashRecord(rest, key) !== hash) return { seq: r.seq, reason: 'hash_mismatch' };
      this.keyed ||= keyed;
      this.seq = want;
      this.prev = r.hash;
      this.checked += 1;
    }
    return undefined;
  }

  /** After the last row: the stored head must be it. */
  end(head: { seq: string; hash: string }): ChainBreak | undefined {
    if (BigInt(head.seq) !== this.seq || head.hash !== this.prev) return { seq: (this.seq + 1n).toString(), reason: 'head_mismatch' };
    return undefined;
  }

  get last(): { seq: string; hash: string } {
    return { seq: this.seq.toString(), hash: this.prev };
  }
}
