// The delivery scheduler of one gateway process: every timer lives in PostgreSQL (delivery_run,
// delivery_attempt `due_at`); this loop only decides when to look. It sleeps until the earliest
// due timer (one indexed query), is woken early by LISTEN/NOTIFY when any process sets an earlier
// one, and looks at least every `pollMs` in case a notification was lost. Nothing is only in
// memory: a killed process loses no timer, and any replica fires what is due. The first step of an
// urgent run has its own lane beside the rounds (urgent.ts): its page does not wait for a round.
import { performance } from 'node:perf_hooks';
import type { CompiledSchedule } from '../routing/index.js';
import { claimDueAttempts, countAttempts, listenDeliveryWake, nextDeliveryDue, notifyDeliveryWake, type ClaimedAttempt, type NextDue, type TransactionSql } from '../store/index.js';
import { accountFired, fireDueDigests, fireDueRuns, fireIn, type FireDeps } from './fire.js';
import { sendClaimed, type SenderDeps } from './sender.js';
import { Wakeup } from '../threads/index.js';
import { URGENT_BATCH, URGENT_GRACE_MS, UrgentLane } from './urgent.js';

export interface SchedulerOptions {
  readonly fire: FireDeps;
  readonly send: SenderDeps;
  /** longest sleep without a notification, ms */
  readonly pollMs: number;
  /** timers fired per transaction */
  readonly batch: number;
  /** channel sends in flight at once */
  readonly sendConcurrency: number;
  /** the loop not completing a round, or a timer this far past due, makes the gateway not ready, ms */
  readonly stallMs: number;
}

export interface Readiness {
  readonly ok: boolean;
  readonly reason?: string;
}

/** How often the loop samples the outbox counts for /metrics, ms. */
const SAMPLE_MS = 10_000;
/**
 * A timer is due but the round could claim none (another process or the urgent lane holds it, or
 * it is a fresh urgent run left to the lanes): look again after this, ms, unless woken sooner (their
 * commit NOTIFYs) — rather than at once, over and over.
 */
const RECHECK_MS = 100;

/** What a poke says: `urgent` false — only runs the rounds fire were started (the urgent lane sleeps on). */
export interface Poke {
  readonly urgent: boolean;
}

const earliest = (...ds: (Date | null)[]): number | null => {
  const ms = ds.filter((d): d is Date => d !== null).map((d) => d.getTime());
  return ms.length === 0 ? null : Math.min(...ms);
};

export class DeliveryScheduler {
  private stopped = true;
  private readonly wakeup = new Wakeup();
  private loop: Promise<void> | undefined;
  private listening: { unlisten(): Promise<void> } | undefined;
  private inflight = new Set<Promise<void>>();
  private lastRoundAt = performance.now();
  /** the earliest timers the last round saw: readiness answers from these, never waiting on the store */
  private lastNext: NextDue | undefined;
  private lastSampleAt = 0;
  private readonly urgent: UrgentLane;

  constructor(private readonly o: SchedulerOptions) {
    this.urgent = new UrgentLane({
      fire: o.fire, leaseMs: o.send.settings.leaseMs, room: () => o.sendConcurrency - this.inflight.size,
      send: async (claimed) => this.startSends(claimed, await o.send.schedule()),
      fired: () => this.wakeup.poke(),
    });
  }

  async start(): Promise<void> {
    this.stopped = false;
    // 'run' and 'attempt' concern the rounds; 'urgent' (urgent runs started) and a reconnect, the lane too
    this.listening = await listenDeliveryWake(this.o.fire.sql, (what) => this.poke({ urgent: what === 'urgent' || what === 'listen' }));
    this.lastRoundAt = performance.now();
    this.urgent.start();
    this.loop = this.run();
  }

  /**
   * Something may be due sooner than the loop thought: look now. Without `what` (the store came
   * back, say) the urgent lane looks too.
   */
  poke(what?: Poke): void {
    this.wakeup.poke();
    if (what?.urgent !== false) this.urgent.poke();
  }

  /**
   * Fires the urgent first steps due now inside the caller's transaction — the one that started
   * their runs with `wakeUrgent: false` (startEscalations) — in a savepoint: the page is written and
   * its send claimed in the message's own commit, with no transaction, NOTIFY or wake-up of its own
   * between them. Returns what to do once that transaction has committed (start the sends).
   * What this leaves due — a failure here (rolled back to the savepoint: the message's save goes
   * on), or more due than one batch — gets the 'urgent' NOTIFY in the same transaction, so every
   * process's urgent lane (this one's too, through its LISTEN) fires it after the commit as it would
   * have. When the fire took every due urgent run there is nothing for a lane to find, and no lane
   * is woken.
   */
  async fireUrgentIn(tx: TransactionSql): Promise<() => void> {
    const handoff = { limit: Math.max(1, this.o.sendConcurrency - this.inflight.size), leaseMs: this.o.send.settings.leaseMs };
    let fired: Awaited<ReturnType<typeof fireIn>>;
    try {
      fired = await tx.savepoint((sp) => fireIn(sp, this.o.fire, URGENT_BATCH, handoff, { kind: 'urgent' }));
    } catch (e) {
      this.o.fire.log?.error('delivery_urgent_failed', { errorCode: (e as { code?: string }).code, errorName: (e as Error).name });
      await notifyDeliveryWake(tx, 'urgent');
      return () => {};
    }
    // the claim takes the newest due first, this transaction's among them: fewer than a batch is all of them
    if (fired === null || fired.runs.length >= URGENT_BATCH) await notifyDeliveryWake(tx, 'urgent');
    return () => {
      const r = accountFired(this.o.fire, fired);
      if (r.claimed.length === 0) return;
      this.o.send.schedule().then((c) => this.startSends(r.claimed, c), (e: unknown) => {
        // the claimed sends' leases expire and the rounds send them
        this.o.fire.log?.error('delivery_urgent_failed', { errorCode: (e as { code?: string }).code, errorName: (e as Error).name });
      });
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeup.poke();
    await this.urgent.stop();
    await this.loop;
    await Promise.allSettled([...this.inflight]);
    await this.listening?.unlisten().catch(() => {});
  }

  /**
   * One round: fire what is due (timers, then digests), start due sends. Returns the work done and
   * the earliest timer left. Tests with an injected clock call `drain` instead of running the loop.
   */
  private async round(): Promise<{ work: number; next: NextDue }> {
    const now = this.o.fire.clock();
    let next = await nextDeliveryDue(this.o.fire.sql);
    let work = 0;
    // timers first, all that are due, before new sends take the database's time: a burst of steps due
    // together (a shift of pages) fires in consecutive batches, and its pages queue behind it in order
    if (next.run !== null && next.run.getTime() <= now) {
      for (;;) {
        // the pages a step fires now are claimed in its transaction and sent at its commit
        const handoff = { limit: this.o.sendConcurrency - this.inflight.size, leaseMs: this.o.send.settings.leaseMs };
        const r = await fireDueRuns(this.o.fire, this.o.batch, handoff, { kind: 'timers', leaveFreshUrgentMs: URGENT_GRACE_MS });
        if (r.claimed.length > 0) this.startSends(r.claimed, await this.o.send.schedule());
        work += r.fired;
        if (r.fired < this.o.batch || this.stopped) break;
      }
    }
    if (next.digest !== null && next.digest.getTime() <= now) work += (await fireDueDigests(this.o.fire)).fired;
    const room = this.o.sendConcurrency - this.inflight.size;
    if (next.attempt !== null && next.attempt.getTime() <= now && room > 0) {
      const claimed = await claimDueAttempts(this.o.send.sql, new Date(now), room, this.o.send.settings.leaseMs);
      if (claimed.length > 0) this.startSends(claimed, await this.o.send.schedule());
      work += claimed.length;
    }
    if (work > 0) next = await nextDeliveryDue(this.o.fire.sql);
    this.lastNext = next;
    const overdue = earliest(next.run, next.digest, next.attempt);
    this.o.fire.metrics?.overdue.set(overdue === null ? 0 : Math.max(0, (this.o.fire.clock() - overdue) / 1000));
    if (performance.now() - this.lastSampleAt > SAMPLE_MS) {
      this.lastSampleAt = performance.now();
      const counts = await countAttempts(this.o.fire.sql);
      this.o.fire.metrics?.deadLetters.set(counts.dead);
      this.o.fire.metrics?.outboxPending.set(counts.pending);
    }
    return { work, next };
  }

  private startSends(claimed: readonly ClaimedAttempt[], compiled: CompiledSchedule | undefined): void {
    for (const a of claimed) {
      const p: Promise<void> = sendClaimed(this.o.send, a, compiled).finally(() => {
        this.inflight.delete(p);
        this.poke({ urgent: false }); // room for a send: the rounds' business (the lane is always given one)
      });
      this.inflight.add(p);
    }
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let sleepMs = this.o.pollMs;
      this.wakeup.begin();
      try {
        const { work, next } = await this.round();
        const at = earliest(next.run, next.digest, this.inflight.size < this.o.sendConcurrency ? next.attempt : null);
        if (work > 0) sleepMs = 0;
        else if (at !== null) {
          const wait = at - this.o.fire.clock();
          sleepMs = Math.min(this.o.pollMs, wait > 0 ? wait : RECHECK_MS);
        }
      } catch (e) {
        this.o.fire.log?.error('delivery_round_failed', { errorCode: (e as { code?: string }).code, errorName: (e as Error).name });
      }
      this.lastRoundAt = performance.now();
      if (!this.stopped && sleepMs > 0) await this.wakeup.sleep(sleepMs);
    }
  }

  /** Fires and sends everything due at the clock's `now`, waiting for the sends; for tests and the CLI. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const urgent = await this.urgent.drain();
      const { work: rounds } = await this.round();
      const work = urgent + rounds;
      await Promise.allSettled([...this.inflight]);
      total += work;
      if (work === 0) return total;
    }
  }

  /**
   * Not ready when this process's loop or urgent lane is stuck, or a timer is overdue (no process fires them).
   * Answered from what the loop last saw (at most `pollMs` old), so a frozen store never makes
   * /readyz wait: the loop that cannot finish a round shows as stalled instead. Without a running
   * loop (tests, the CLI) it looks at the store.
   */
  async readiness(): Promise<Readiness> {
    const age = performance.now() - this.lastRoundAt;
    this.o.fire.metrics?.heartbeatAge.set(this.stopped ? 0 : age / 1000);
    if (!this.stopped && age > this.o.stallMs) return { ok: false, reason: `delivery scheduler stalled: no round for ${Math.round(age / 1000)} s` };
    const lane = this.urgent.busyMs();
    if (!this.stopped && lane > this.o.stallMs) return { ok: false, reason: `delivery urgent lane stalled: one look running for ${Math.round(lane / 1000)} s` };
    const next = this.stopped || this.lastNext === undefined ? await nextDeliveryDue(this.o.fire.sql) : this.lastNext;
    const due = earliest(next.run, next.digest, next.attempt);
    const late = due === null ? 0 : this.o.fire.clock() - due;
    this.o.fire.metrics?.overdue.set(Math.max(0, late / 1000));
    if (late > this.o.stallMs) return { ok: false, reason: `delivery timers overdue by ${Math.round(late / 1000)} s` };
    return { ok: true };
  }
}
