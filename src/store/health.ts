// Is the store reachable now? One flag, fed by a background ping with a deadline and by the
// connection failures callers see, so that while the database is away every caller fails at once
// (AE/CE, 503 with Retry-After) instead of each waiting for a connect timeout — or forever, when the
// server is frozen (SIGSTOP, a stalled VM, a dropped network path: nothing answers and nothing fails).
//
// The ping runs on its own one-connection pool: it measures the server, not our pool, which a burst of
// legitimate work can fill. A ping outstanding past its deadline marks the store down; the first ping
// that answers marks it up again, and everything resumes without a restart.
//
// The ping is frequent only while it matters: while a guarded call waits on the store (a frozen store
// is then found within one interval plus the deadline) and while the store is down (its return is
// found within one interval). An idle gateway pings rarely: a refused connection is reported by the
// first call that meets it (reportFailure), and /readyz pings on demand.
import type { Logger } from '../obs/index.js';
import { connect, isUnavailable, STORE_DOWN, type ConnectOptions, type Sql } from './db.js';

export interface StoreHealthOptions {
  /** how often the store is pinged while calls wait on it or it is down, ms */
  intervalMs: number;
  /** how often while it is up and nothing waits on it, ms (default intervalMs) */
  idleIntervalMs?: number;
  /** a ping unanswered this long marks the store down, ms */
  timeoutMs: number;
  log: Logger;
  now?: () => number;
}

/** The error a call gets while the store is known down: isUnavailable() says yes to it. */
export class StoreDownError extends Error {
  override readonly name = 'StoreDownError';
  readonly code = STORE_DOWN;
  constructor() {
    super('message store unavailable');
  }
}

/** Connection failures that say the server is gone (not a slow or refused statement). */
const CONNECTION_LOST = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'CONNECTION_CLOSED', 'CONNECT_TIMEOUT', '57P01', '57P02', '57P03']);

/** A ping stuck this many deadlines long gets a fresh connection (a path that drops packets never fails). */
const STUCK_PINGS = 10;

export class StoreHealth {
  private up = true;
  private waiters: (() => void)[] = [];
  private upListeners: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** the pending timer is the short one (calls waiting, or the store down) */
  private timerShort = false;
  private started = false;
  /** guarded calls running now */
  private inflight = 0;
  private pingSql: Sql | undefined;
  private outstanding: { since: number; done: Promise<boolean> } | undefined;
  private readonly now: () => number;
  private downSince = 0;

  constructor(private readonly url: string, private readonly opts: StoreHealthOptions, private readonly connectOpts: ConnectOptions = {}) {
    this.now = opts.now ?? (() => performance.now());
  }

  get down(): boolean {
    return !this.up;
  }

  /** Starts the background ping. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.arm();
  }

  /** Runs `fn` whenever the store answers again after it was down (work that waited can go on). */
  onUp(fn: () => void): void {
    this.upListeners.push(fn);
  }

  async stop(): Promise<void> {
    this.started = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.pingSql?.end({ timeout: 0 }).catch(() => {});
    this.pingSql = undefined;
  }

  /**
   * Resolves whether the store answers within the deadline (readiness), updating the flag. Never
   * waits longer than timeoutMs: a ping already outstanding is shared, not queued behind.
   */
  async ping(): Promise<boolean> {
    if (!this.outstanding) {
      const since = this.now();
      const done = this.sql()`SELECT 1`.then(() => true, (e: unknown) => {
        this.opts.log.warn('store_ping_failed', { errorCode: (e as { code?: string })?.code });
        return false;
      });
      const entry = { since, done };
      this.outstanding = entry;
      void done.then((ok) => {
        if (this.outstanding === entry) this.outstanding = undefined;
        if (ok) this.markUp(); else this.markDown('ping_failed');
      });
    }
    const entry = this.outstanding;
    const left = Math.max(0, this.opts.timeoutMs - (this.now() - entry.since));
    const ok = await Promise.race([entry.done, sleep(left).then(() => 'timeout' as const)]);
    if (ok === 'timeout') {
      this.markDown('ping_timeout');
      if (this.now() - entry.since > this.opts.timeoutMs * STUCK_PINGS) this.resetPing(entry);
      return false;
    }
    return ok;
  }

  /**
   * A caller saw this error: a lost connection is checked at once with a ping, which marks the store
   * down when it fails (a refused connect fails in a millisecond). One pooled connection left over
   * from before a restart fails once and must not take the store down while the server answers.
   */
  reportFailure(e: unknown): void {
    const code = (e as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && CONNECTION_LOST.has(code)) void this.ping();
  }

  /**
   * Runs a store call unless the store is known down, and gives up on it when the store goes down
   * while it runs (the call itself is left to finish or fail on its own). Either way the caller gets
   * a StoreDownError, which isUnavailable() recognises.
   */
  async guard<T>(call: () => Promise<T>): Promise<T> {
    if (!this.up) throw new StoreDownError();
    if (this.inflight++ === 0 && !this.timerShort) this.arm();
    let running: Promise<T>;
    try {
      running = call();
    } catch (e) {
      this.inflight--;
      throw e;
    }
    let onDown: (() => void) | undefined;
    const wentDown = new Promise<never>((_, reject) => {
      onDown = () => reject(new StoreDownError());
      this.waiters.push(onDown);
    });
    wentDown.catch(() => {}); // settled only when it wins the race below
    try {
      return await Promise.race([running, wentDown]);
    } catch (e) {
      if (isUnavailable(e)) this.reportFailure(e);
      throw e;
    } finally {
      this.inflight--;
      this.waiters = this.waiters.filter((w) => w !== onDown);
    }
  }

  /** (Re)sets the ping timer: short while calls wait or the store is down, long otherwise. */
  private arm(): void {
    if (!this.started) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerShort = this.inflight > 0 || !this.up;
    const ms = this.timerShort ? this.opts.intervalMs : (this.opts.idleIntervalMs ?? this.opts.intervalMs);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // the short timer pings only when a call still waits (or the store is down): calls that all
      // answered within the interval have said the store is up
      if (!this.timerShort || this.inflight > 0 || !this.up) void this.ping();
      this.arm();
    }, ms).unref();
  }

  private markDown(reason: string): void {
    if (!this.up) return;
    this.up = false;
    this.downSince = this.now();
    this.opts.log.error('store_down', { code: reason });
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
    if (!this.timerShort) this.arm();
  }

  private markUp(): void {
    if (this.up) return;
    this.up = true;
    this.opts.log.info('store_up', { ms: Math.round(this.now() - this.downSince) });
    for (const fn of this.upListeners) {
      try { fn(); } catch (e) { this.opts.log.error('store_up_listener_failed', { errorName: (e as Error)?.name }); }
    }
  }

  private sql(): Sql {
    // connecting never takes longer than a ping may
    this.pingSql ??= connect(this.url, { ...this.connectOpts, max: 1, name: 'switchboard-health', connectTimeoutMs: this.opts.timeoutMs });
    return this.pingSql;
  }

  private resetPing(entry: { since: number }): void {
    if (this.outstanding !== entry) return;
    this.outstanding = undefined;
    const old = this.pingSql;
    this.pingSql = undefined;
    void old?.end({ timeout: 0 }).catch(() => {});
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());
