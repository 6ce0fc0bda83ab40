// `switchboard audit verify`: walks the chain from the checkpoint in pages (keyset on seq), checks
// every link (chain-check.ts) and the stored head, and reports the first break, the rows checked
// and the head hash — which an operator records outside the database (the anchor that shows a
// removed tail, or a chain re-sealed by someone holding the database but not the HMAC key).
import { countPendingAudit, listAuditPage, readAuditHead, type Sql, type TransactionSql } from '../store/index.js';
import { ChainChecker, type ChainBreak } from './chain-check.js';
import type { ChainKey } from './hash.js';

export interface VerifyOptions {
  keys: readonly ChainKey[];
  requireHmac?: boolean;
  /** rows read per query */
  pageSize?: number;
}

export interface VerifyReport {
  ok: boolean;
  /** rows checked */
  checked: number;
  /** where the check started: the purge checkpoint (0 and zeros when nothing was purged) */
  from: { seq: string; hash: string };
  /** the stored head: the last row's seq and hash */
  head: { seq: string; hash: string };
  break?: ChainBreak;
  /** events recorded but not sealed yet (the sealer chains them within a second when gateways run) */
  pending: number;
}

const PAGE = 5_000;

export async function verifyAuditChain(sql: Sql | TransactionSql, opts: VerifyOptions): Promise<VerifyReport> {
  // the head first: rows appended while we walk are past it and not checked this time
  const head = await readAuditHead(sql);
  const from = { seq: head.fromSeq, hash: head.fromHash };
  const checker = new ChainChecker(from, { keys: opts.keys, ...(opts.requireHmac ? { requireHmac: true } : {}) });
  const pending = await countPendingAudit(sql);
  const report = (b?: ChainBreak): VerifyReport => ({ ok: b === undefined, checked: checker.checked, from, head: { seq: head.seq, hash: head.hash }, pending, ...(b ? { break: b } : {}) });
  let after = from.seq;
  const end = BigInt(head.seq);
  while (BigInt(after) < end) {
    const page = await listAuditPage(sql, after, opts.pageSize ?? PAGE);
    const rows = page.filter((r) => BigInt(r.seq) <= end);
    if (rows.length === 0) break;
    const b = checker.check(rows);
    if (b) return report(b);
    after = rows.at(-1)!.seq;
    if (rows.length < page.length) break;
  }
  return report(checker.end({ seq: head.seq, hash: head.hash }));
}
