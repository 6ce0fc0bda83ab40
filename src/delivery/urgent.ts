// The urgent lane of a process's delivery scheduler: the first step of an urgent run (stat, asap,
// urgent) — the page that must leave at once — is fired as soon as its run is committed, without
// waiting for the round under way (which may be writing a batch of routine timers in one long
// transaction), in short transactions of its own (one run each when they come one at a time), each
// page handed to the sender at the commit. It never polls: it is woken by a poke after a commit in
// this process that started urgent runs, by the 'urgent' NOTIFY of any process's such commit, and
// when the store or the LISTEN connection comes back. Exactly once as everywhere: runs are claimed
// FOR UPDATE SKIP LOCKED, so this lane, the rounds and other processes never fire one step twice;
// the rounds leave a freshly started urgent run to the lanes for URGENT_GRACE_MS and then take it
// like any other timer (no lane got to it: the process that started it died after the commit, or
// its store calls hang).
import { performance } from 'node:perf_hooks';
import type { ClaimedAttempt } from '../store/index.js';
import { Wakeup } from '../threads/index.js';
import { fireDueRuns, type FireDeps } from './fire.js';

/** How long the rounds leave a freshly started urgent run to the urgent lanes, ms (their fallback). */
export const URGENT_GRACE_MS = 1_000;

/**
 * Urgent first steps fired in one transaction, at most: one when they come one at a time (the
 * common case); when the lane has fallen behind (several due at once) they go out together rather
 * than each waiting for the commits of those before it. Never with routine timers.
 */
export const URGENT_BATCH = 4;

/** setTimeout's longest delay (~24.8 days): asleep until poked, with no timer firing meanwhile. */
const FOREVER_MS = 2 ** 31 - 1;

export interface UrgentLaneOptions {
  readonly fire: FireDeps;
  /** the lease of a claimed send, ms */
  readonly leaseMs: number;
  /** room left for sends in flight; an urgent page is always given one */
  readonly room: () => number;
  /** starts claimed sends after the commit (the scheduler's, shared with its rounds) */
  readonly send: (claimed: readonly ClaimedAttempt[]) => Promise<void>;
  /** called after the lane fired something (the rounds' next timer moved) */
  readonly fired: () => void;
}

export class UrgentLane {
  private stopped = true;
  private readonly wakeup = new Wakeup();
  private loop: Promise<void> | undefined;
  /** performance.now() when the look under way started; undefined while asleep */
  private busySince: number | undefined;

  constructor(private readonly o: UrgentLaneOptions) {}

  start(): void {
    this.stopped = false;
    this.loop = this.run();
  }

  /** An urgent run may be due: look now (a poke during a look makes it look again). */
  poke(): void {
    this.wakeup.poke();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeup.poke();
    await this.loop;
  }

  /**
   * Fires every urgent first step due at the clock's now, oldest first, in short transactions of
   * urgent runs only (URGENT_BATCH), starting each page's send at its commit. Returns how many it fired.
   */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const r = await fireDueRuns(this.o.fire, URGENT_BATCH, { limit: Math.max(1, this.o.room()), leaseMs: this.o.leaseMs }, { kind: 'urgent' });
      if (r.claimed.length > 0) await this.o.send(r.claimed);
      if (r.fired === 0) break;
      total += r.fired;
      this.o.fired();
    }
    return total;
  }

  /** How long the look under way has run, ms (0: asleep): a lane stuck in a store call shows in readiness. */
  busyMs(): number {
    return this.busySince === undefined ? 0 : performance.now() - this.busySince;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      this.wakeup.begin();
      this.busySince = performance.now();
      try {
        await this.drain();
      } catch (e) {
        // the rounds take what this lane could not fire once URGENT_GRACE_MS has passed
        this.o.fire.log?.error('delivery_urgent_failed', { errorCode: (e as { code?: string }).code, errorName: (e as Error).name });
      }
      this.busySince = undefined;
      if (!this.stopped) await this.wakeup.sleep(FOREVER_MS, { unref: true });
    }
  }
}
