// Sealing: pending events (append.ts) become chain rows. One process at a time (an advisory lock)
// takes the oldest pending events, locks the chain head, gives each the next seq and its hashes
// (hash.ts) and stores them — one transaction per round of up to SEAL_BATCH events. Every gateway
// runs an AuditSealer, woken by the appends' NOTIFY; whichever holds the lock seals, the others skip the round.
import type { Logger } from '../obs/index.js';
import { performance } from 'node:perf_hooks';
import { listenAuditPending, readAuditHead, readPendingAudit, sealPendingAudit, trySealLock, type Sql } from '../store/index.js';
import { auditKey } from './append.js';
import { chainRecords, type AuditEventInput, type ChainKey } from './hash.js';

/** Events sealed in one transaction, at most: ~5k rows is a few hundred ms of hashing and one INSERT. */
export const SEAL_BATCH = 5_000;
/**
 * How often a sealer looks for pending events without being told of any: the safety net for an
 * append whose NOTIFY was not heard (a LISTEN connection down). Appends wake the sealer at once.
 */
export const SEAL_FALLBACK_MS = 30_000;
/** Wake-ups closer than this come together in one round: at most ~10 sealing transactions a second under load. */
export const SEAL_MIN_GAP_MS = 100;

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

/**
 * Runs sealAll when events are appended — the append's NOTIFY (store/audit.ts) reaches every process's
 * sealer as the append commits — and, as a safety net, every `fallbackMs` (SEAL_FALLBACK_MS). Wake-ups
 * closer than `minGapMs` come together in one round. Errors are logged (codes only) and retried at the
 * next wake-up or fallback round.
 */
export class AuditSealer {
  private timer: NodeJS.Timeout | undefined;
  private wakeTimer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private lastRoundAt = -Infinity;
  private stopped = true;
  private listening: Promise<{ unlisten(): Promise<void> } | undefined> = Promise.resolve(undefined);

  constructor(private readonly sql: Sql, private readonly opts: { log?: Logger; fallbackMs?: number; minGapMs?: number; key?: ChainKey } = {}) {}

  /** Listens for appends and starts the fallback rounds; the first round runs once the LISTEN is up. */
  start(): void {
    this.stopped = false;
    this.listening = listenAuditPending(this.sql, () => this.wake()).catch((e: unknown) => {
      // no LISTEN: the fallback rounds still seal, later
      this.opts.log?.warn('audit_seal_listen_failed', { errorCode: (e as { code?: string }).code, errorName: (e as Error).name });
      return undefined;
    });
    this.timer = setInterval(() => void this.round(), this.opts.fallbackMs ?? SEAL_FALLBACK_MS).unref();
  }

  /** Events were appended (or may have been, unheard): a round soon, at most one per `minGapMs`. */
  wake(): void {
    if (this.stopped || this.wakeTimer) return;
    const wait = Math.max(0, this.lastRoundAt + (this.opts.minGapMs ?? SEAL_MIN_GAP_MS) - performance.now());
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = undefined;
      void this.round();
    }, wait).unref();
  }

  /** A round now (after the one running, if any). */
  round(): Promise<unknown> {
    this.running = this.running.then(() => {
      this.lastRoundAt = performance.now();
      return sealAll(this.sql, this.opts.key ?? auditKey());
    }).catch((e: unknown) => {
      this.opts.log?.warn('audit_seal_failed', { errorCode: (e as { code?: string }).code, errorName: (e as Error).name });
    });
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    await (await this.listening)?.unlisten().catch(() => {});
    await this.round(); // what this process recorded is sealed before it goes, when it can be
  }
}
