/**
 * The routine processing workers in a worker thread of their own (the "processing thread"), so
 * intake (MLLP framing, ACKs, the inbox's group commit), HTTP and delivery on the main thread never
 * wait behind a batch being mapped, routed and saved (~4 ms of CPU per message in synchronous
 * chunks of a batch, plus its garbage). The thread has its own connection pool, schedule service
 * and mapping pool; the critical lane stays on the main thread beside the delivery scheduler it
 * pokes, and shares its state with the thread's routine workers through shared memory (shared-lane.ts).
 *
 * Messages: the main thread pokes the thread after intake stored rows (at most one poke in flight:
 * a shared flag the thread clears when it reads it) and when the store is back; the thread posts
 * back delivery pokes, application ACKs to send (the sockets live here), counter increments
 * (tallied, a batch at a time) and log lines (allow-listed again by this side's logger).
 *
 * A thread that dies is logged, counted and started again after a backoff; the rows it had
 * claimed come back when their claims expire (WORKER_CLAIM_MS), as a dead process's rows do.
 */
import type { Worker } from 'node:worker_threads';
import { Counter, Gauge } from 'prom-client';
import { lowerTask, startModuleThread } from '../threads/index.js';
import type { ConnectOptions, PriorityRange, Sql } from '../store/index.js';
import type { SiteConfig } from '../mapping/index.js';
import type { KeyMaterial, KeySourceSettings } from '../crypto/index.js';
import type { ScheduleLimits } from '../oncall/index.js';
import type { HoldDefaults } from '../delivery/index.js';
import type { Logger, Metrics } from '../obs/index.js';
import { SharedLane, takesAll } from './shared-lane.js';
import type { StageTimes } from './worker.js';

/** What the thread is started with (a structured clone: plain data, typed arrays, shared buffers). */
export interface ProcessingSetup {
  /** the store's runtime connection (the embedded server's app role), its pool size and timeouts */
  db: { url: string; max: number; name: string; timeouts: ConnectOptions };
  workers: {
    concurrency: number; batch: number; gatherMs: number; claimMs: number; pollMs: number; maxAttempts: number; appName: string;
    /** MAP_INLINE_MAX_BYTES: larger messages go to the thread's mapping pool (MAP_THREADS, MAP_TIME_BUDGET_MS) */
    inlineMaxBytes: number; mapThreads: number; mapBudgetMs: number;
    /** PROCESSING_NICE: the CPU priority the thread and its mapping threads lower themselves to (0: unchanged) */
    nice: number;
    /** PROCESSING_YOUNG_MB: the thread's young generation, MiB (default 16) */
    youngMb?: number;
  };
  siteConfig: SiteConfig;
  idKey: Uint8Array;
  /** the PHI keyring's material (never logged); `keySource`: where it is read again after `keys rotate` (a key file) */
  keys: KeyMaterial;
  keySource?: KeySourceSettings;
  /** AUDIT_HMAC_KEY (hex), to seal the audit events the workers append */
  auditKeyHex?: string;
  scheduleLimits: ScheduleLimits;
  /** false: no routing (a map-only pipeline) */
  route: boolean;
  /** delivery's start of day and stale limit: routine runs start held for their digest (InboxWorker `hold`) */
  hold?: HoldDefaults;
}

/** The thread's workerData: the setup and the shared cells. */
export interface ProcessingWorkerData extends ProcessingSetup {
  /** the critical lane's state (shared-lane.ts); null: no lane in this process, every row is claimed */
  lane: SharedArrayBuffer | null;
  /** Int32 [0]: 1 while a poke is posted and not yet read */
  pokes: SharedArrayBuffer;
  /** post each round's stage times (benchmarks) */
  stages: boolean;
}

/** A log line's fields (obs LogFields): allow-listed again by the main thread's logger. */
type LogFields = Record<string, string | number | boolean | undefined>;

/** Messages the thread posts. */
export type FromThread =
  | { t: 'ready' }
  | { t: 'stopped' }
  | { t: 'delivery'; urgent?: boolean }
  | { t: 'appAck'; inboxId: string; bytes: Uint8Array }
  | { t: 'counts'; processed: [type: string, outcome: string, n: number][]; routed: [outcome: string, n: number][] }
  | { t: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; event: string; fields?: LogFields }
  | { t: 'stages'; s: StageTimes };

/** Messages the main thread posts. */
export type ToThread = { t: 'poke' } | { t: 'stop' };

export interface ProcessingThreadOptions {
  setup: ProcessingSetup;
  log: Logger;
  metrics: Pick<Metrics, 'processed' | 'routed' | 'registry'>;
  /** the main thread's critical lane state, written by the lane (its `onLaneState`) */
  lane?: SharedLane;
  appAcks?: { deliver(inboxId: string, bytes: Buffer): boolean };
  delivery?: { poke(what?: { urgent: boolean }): void };
  onStages?: (s: StageTimes) => void;
  /**
   * The database runs on this machine (the embedded server): its server processes serving the
   * thread's connections (`setup.db.name`) are lowered to `setup.workers.nice` too, looked up on
   * `sql` every few seconds (connections come and go with the pool's idle timeout).
   */
  lowerBackends?: Sql;
  /** restart backoff, ms: the first wait, doubled per failure in a row, up to `maxMs` */
  restart?: { baseMs: number; maxMs: number };
  /** which of the gateway's processing threads this is (PROCESSING_THREADS): its metrics' `thread` label, from 0 */
  index?: number;
}

/** A thread that ran this long before it died starts its backoff afresh. */
const STABLE_MS = 60_000;
/** A graceful stop that takes longer (a round stuck on the store) ends the thread, ms. */
const STOP_TIMEOUT_MS = 30_000;
/** How often the thread's server processes are looked up to lower their priority, ms. */
const BACKENDS_EVERY_MS = 5_000;
/** Heap of the thread, MiB: the workers' batches and the schedule, like the main thread's share of them. */
const THREAD_HEAP_MB = 1024;
/** Young generation of the thread by default, MiB (V8's default lets a busy thread's semi-spaces grow to 3 x 16). */
const THREAD_YOUNG_MB = 16;
const RESTARTS = 'switchboard_processing_thread_restarts_total';
const UP = 'switchboard_processing_thread_up';

/**
 * The routine workers of each processing thread (PROCESSING_THREADS): `workers` shared as evenly as
 * can be, the first threads taking the remainder; never more threads than workers or than `cores`.
 */
export function processingShares(workers: number, threads: number, cores: number): number[] {
  const n = Math.max(1, Math.min(threads, workers, cores));
  return Array.from({ length: n }, (_, i) => Math.floor(workers / n) + (i < workers % n ? 1 : 0));
}

export class ProcessingThread {
  private worker: Worker | undefined;
  private readonly pokes = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  private stopping = false;
  private startedAt = 0;
  private failuresInARow = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private backendsTimer: NodeJS.Timeout | undefined;
  /** server processes already lowered */
  private readonly lowered = new Set<number>();
  private readonly restarts: Counter<'thread'>;
  private readonly up: Gauge<'thread'>;
  /** the metrics' `thread` label and the log lines' `thread` field: the one index, as each wants it */
  private readonly label: { thread: string };
  private readonly index: number;

  constructor(private readonly o: ProcessingThreadOptions) {
    // one metric per registry, a series per thread: the gateway's threads share the registry
    const registry = o.metrics.registry;
    const registers = [registry];
    this.index = o.index ?? 0;
    this.label = { thread: String(this.index) };
    this.restarts = (registry.getSingleMetric(RESTARTS) as Counter<'thread'> | undefined)
      ?? new Counter({ name: RESTARTS, help: 'Times a processing thread died and was started again', labelNames: ['thread'], registers });
    this.up = (registry.getSingleMetric(UP) as Gauge<'thread'> | undefined)
      ?? new Gauge({ name: UP, help: '1 while a processing thread runs its workers, 0 while it is down or restarting', labelNames: ['thread'], registers });
    this.up.set(this.label, 0);
    this.restarts.inc(this.label, 0);
  }

  /** Starts the thread; resolves when its workers run, rejects when it fails before that (a start that cannot work fails the gateway's start). */
  async start(): Promise<void> {
    await this.spawn();
    const sql = this.o.lowerBackends;
    if (sql && this.o.setup.workers.nice > 0) {
      const sweep = () => { void this.lowerServerProcesses(sql).finally(() => { if (!this.stopping) this.backendsTimer = setTimeout(sweep, BACKENDS_EVERY_MS).unref(); }); };
      sweep();
    }
  }

  /** Lowers the priority of the server processes of the thread's connections not lowered yet. */
  private async lowerServerProcesses(sql: Sql): Promise<void> {
    try {
      const rows = await sql<{ pid: number }[]>`SELECT pid FROM pg_stat_activity WHERE application_name = ${this.o.setup.db.name} AND pid <> pg_backend_pid()`;
      const now = new Set(rows.map((r) => r.pid));
      for (const pid of this.lowered) if (!now.has(pid)) this.lowered.delete(pid);
      for (const pid of now) if (!this.lowered.has(pid) && lowerTask(pid, this.o.setup.workers.nice)) this.lowered.add(pid);
    } catch {
      // the store away: the next sweep looks again
    }
  }

  /** Failures in a row (0 when running well): a thread that keeps dying shows here and in the metrics. */
  get failing(): number {
    return this.failuresInARow;
  }

  /** The running thread's heap limits, MiB (undefined while it is down). */
  get heapLimits(): { youngMb: number; oldMb: number } | undefined {
    const r = this.worker?.resourceLimits;
    return r?.maxYoungGenerationSizeMb === undefined || r.maxOldGenerationSizeMb === undefined ? undefined : { youngMb: r.maxYoungGenerationSizeMb, oldMb: r.maxOldGenerationSizeMb };
  }

  /** The thread runs (started, not yet exited). */
  get running(): boolean {
    return this.worker !== undefined;
  }

  /** Ends the thread at once, as a crash would: its claimed rows come back when their claims expire, and it is started again after the backoff. */
  async kill(): Promise<void> {
    await this.worker?.terminate();
  }

  /**
   * Rows were stored (with their priorities), or the store is back: the workers look now, unless the
   * main thread's idle lane takes every stored row itself (takesAll). At most one poke is in flight.
   */
  poke(priorities?: PriorityRange): void {
    if (!this.worker || this.stopping) return;
    if (this.o.lane && takesAll(this.o.lane, priorities)) return;
    if (Atomics.compareExchange(this.pokes, 0, 0, 1) !== 0) return;
    this.worker.postMessage({ t: 'poke' } satisfies ToThread);
  }

  /** Stops the workers (each finishes its round), closes the thread's pool; resolves when the thread has exited. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    clearTimeout(this.backendsTimer);
    const w = this.worker;
    if (!w) return;
    const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
    w.postMessage({ t: 'stop' } satisfies ToThread);
    const timer = setTimeout(() => {
      this.o.log.warn('processing_thread_stop_timeout', { ms: STOP_TIMEOUT_MS });
      void w.terminate();
    }, STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  private spawn(): Promise<void> {
    const data: ProcessingWorkerData = { ...this.o.setup, lane: this.o.lane?.buffer ?? null, pokes: this.pokes.buffer as SharedArrayBuffer, stages: this.o.onStages !== undefined };
    Atomics.store(this.pokes, 0, 0);
    const w = startModuleThread(import.meta.url, 'processing-entry', { workerData: data, resourceLimits: { maxOldGenerationSizeMb: THREAD_HEAP_MB, maxYoungGenerationSizeMb: this.o.setup.workers.youngMb ?? THREAD_YOUNG_MB } });
    this.worker = w;
    this.startedAt = performance.now();
    let ready = false;
    return new Promise<void>((resolve, reject) => {
      w.on('message', (m: FromThread) => {
        if (m.t === 'ready') {
          ready = true;
          this.up.set(this.label, 1);
          this.o.log.info('processing_thread_started', { thread: this.index, worker: this.o.setup.workers.concurrency });
          resolve();
          return;
        }
        this.handle(m);
      });
      let failure: { errorName?: string; errorCode?: string } = {};
      w.on('error', (e: Error & { code?: string }) => { failure = { errorName: e.name, errorCode: e.code }; });
      w.on('exit', (code) => {
        if (this.worker === w) this.worker = undefined;
        this.up.set(this.label, 0);
        if (this.stopping) { resolve(); return; }
        this.o.log.error('processing_thread_died', { thread: this.index, code, ...failure });
        if (!ready) { reject(new Error(`the processing thread ended before it was ready (exit code ${code})`)); }
        this.restartLater();
      });
    });
  }

  /** A thread that died is started again: at once after a long run, then after a doubling wait. */
  private restartLater(): void {
    if (performance.now() - this.startedAt > STABLE_MS) this.failuresInARow = 0;
    this.failuresInARow++;
    this.restarts.inc(this.label);
    const { baseMs, maxMs } = this.o.restart ?? { baseMs: 500, maxMs: 30_000 };
    const wait = Math.min(maxMs, baseMs * 2 ** (this.failuresInARow - 1));
    this.o.log.warn('processing_thread_restarting', { thread: this.index, ms: wait, attempts: this.failuresInARow });
    this.restartTimer = setTimeout(() => {
      if (this.stopping) return;
      this.spawn().catch(() => { /* logged and rescheduled by its exit */ });
    }, wait);
    this.restartTimer.unref();
  }

  private handle(m: FromThread): void {
    switch (m.t) {
      case 'delivery':
        this.o.delivery?.poke(m.urgent === undefined ? undefined : { urgent: m.urgent });
        return;
      case 'appAck': {
        const sent = this.o.appAcks?.deliver(m.inboxId, Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength)) ?? false;
        this.o.log.info(sent ? 'app_ack_sent' : 'app_ack_stored_only', { inboxId: m.inboxId });
        return;
      }
      case 'counts':
        for (const [type, outcome, n] of m.processed) this.o.metrics.processed.inc({ type, outcome }, n);
        for (const [outcome, n] of m.routed) this.o.metrics.routed.inc({ outcome }, n);
        return;
      case 'log':
        this.o.log[m.level](m.event, m.fields);
        return;
      case 'stages':
        this.o.onStages?.(m.s);
        return;
      case 'stopped':
        return;
    }
  }
}
