// Sealing: pending events (append.ts) become chain rows. One process at a time (an advisory lock)
// takes the oldest pending events, locks the chain head, gives each the next seq and its hashes
// (hash.ts) and stores them — one transaction per round of up to SEAL_BATCH events. Every gateway
// runs an AuditSealer; whichever holds the lock seals, the others skip the round.
import type { Logger } from '../obs/index.js';
import { readAuditHead, readPendingAudit, sealPendingAudit, trySealLock, type Sql } from '../store/index.js';
import { auditKey } from './append.js';
import { chainRecords, type AuditEventInput, type ChainKey } from './hash.js';

/** Events sealed in one transaction, at most: ~5k rows is a few hundred ms of hashing and one INSERT. */
export const SEAL_BATCH = 5_000;
/** How often an idle sealer looks for pending events: the longest an event stays unsealed when all is well. */
export const SEAL_INTERVAL_MS = 500;

const ACTIONS = new Set(['C', 'R', 'U', 'D', 'E']);
const KINDS = new Set(['user', 'practitioner', 'system', 'sender', 'cli']);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** A pending row back to an event; a row that is not one (written by hand) is sealed as what it is, marked. */
function fromPending(v: unknown): AuditEventInput {
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  const at = new Date(str(o.at) ?? 0);
  return {
    at: Number.isNaN(at.getTime()) ? new Date(0) : at,
    actor: str(o.actor) ?? 'unknown', actorKind: KINDS.has(str(o.actorKind) ?? '') ? (o.actorKind as AuditEventInput['actorKind']) : 'system',
    action: ACTIONS.has(str(o.action) ?? '') ? (o.action as AuditEventInput['action']) : 'E', type: str(o.type) ?? 'audit.malformed',
    entityType: str(o.entityType), entityIds: Array.isArray(o.entityIds) ? o.entityIds.filter((x): x is string => typeof x === 'string') : [],
    patient: str(o.patient), outcome: o.outcome === 'failure' ? 'failure' : 'success', outcomeCode: str(o.outcomeCode), source: str(o.source), requestId: str(o.requestId),
  };
}

/** One round: seals up to `limit` pending events. Returns how many (0 when another process holds the lock). */
export async function sealAudit(sql: Sql, key: ChainKey | undefined = auditKey(), limit = SEAL_BATCH): Promise<number> {
  return sql.begin(async (tx) => {
    if (!(await trySealLock(tx))) return 0;
    const pending = await readPendingAudit(tx, limit);
    if (pending.length === 0) return 0;
    // only the seal lock's holder moves the head; the database checks the rows continue it
    const head = await readAuditHead(tx);
    await sealPendingAudit(tx, pending.map((p) => p.id), chainRecords(head, pending.map((p) => fromPending(p.event)), key));
    return pending.length;
  }) as Promise<number>;
}

/** Seals until nothing is pending (or another process is sealing). */
export async function sealAll(sql: Sql, key: ChainKey | undefined = auditKey()): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await sealAudit(sql, key);
    total += n;
    if (n < SEAL_BATCH) return total;
  }
}

/** Runs sealAll every interval in this process; errors are logged (codes only) and retried next round. */
export class AuditSealer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();

  constructor(private readonly sql: Sql, private readonly opts: { log?: Logger; intervalMs?: number; key?: ChainKey } = {}) {}

  start(): void {
    this.timer = setInterval(() => this.round(), this.opts.intervalMs ?? SEAL_INTERVAL_MS).unref();
  }

  /** A round now (after the one running, if any). */
  round(): Promise<unknown> {
    this.running = this.running.then(() => sealAll(this.sql, this.opts.key ?? auditKey())).catch((e: unknown) => {
      this.opts.log?.warn('audit_seal_failed', { errorCode: (e as { code?: string }).code, errorName: (e as Error).name });
    });
    return this.running;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.round(); // what this process recorded is sealed before it goes, when it can be
  }
}
