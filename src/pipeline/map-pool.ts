/**
 * Mapping off the thread that answers MLLP and HTTP: a few worker threads, each mapping one row at a
 * time, with a time budget per row. Threads start when rows wait for them and end when idle (each
 * holds ~35 MB resident from a source checkout: measured by test/hostile's peak resident set). A row over its budget is failed with ERR_MAPPING_TIME_BUDGET
 * (final: a retry would take as long) and its thread is terminated and replaced; a thread that runs
 * out of memory fails its row with ERR_MAPPING_MEMORY_LIMIT and is replaced likewise. Other rows
 * keep flowing on the other threads meanwhile.
 *
 * Started by src/threads (as the schedule jobs' thread is): from a source checkout (tsx) the
 * thread first registers tsx in itself, then imports map-thread.ts; compiled, map-thread.js is
 * started directly.
 */
import type { Worker } from 'node:worker_threads';
import { startModuleThread } from '../threads/index.js';
import type { SiteConfig } from '../mapping/index.js';
import type { Logger } from '../obs/index.js';
import type { MappedRow, RowToMap } from './map-row.js';

export interface MapPoolOptions {
  config: SiteConfig;
  idKey: Uint8Array;
  /** threads mapping at once */
  threads: number;
  /** time budget of one row once a thread runs it, ms (MAP_TIME_BUDGET_MS) */
  budgetMs: number;
  /** heap of one thread, MiB */
  maxMemoryMb?: number;
  /** CPU priority (nice, 1-19) the threads lower themselves to; 0 or absent: as their parent (src/threads/priority.ts) */
  nice?: number;
  /** a thread idle this long ends (threads start when needed), ms; default 0: as soon as no row waits (a large message's heap goes with its thread) */
  idleMs?: number;
  log: Logger;
}

/** The interface the worker maps through: this pool, or inline mapping (tests, the CLI). */
export interface RowMapper {
  map(row: RowToMap, opts?: { urgent?: boolean }): Promise<MappedRow>;
  close(): Promise<void>;
}

interface Task {
  readonly id: number;
  readonly row: RowToMap;
  readonly resolve: (m: MappedRow) => void;
  readonly reject: (e: Error) => void;
  readonly urgent: boolean;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  running: (Task & { timer: NodeJS.Timeout }) | undefined;
  idle: NodeJS.Timeout | undefined;
}

const failed = (code: string, reason: string): MappedRow => ({ outcome: { kind: 'failed', code, reason }, ack: null });

export class MapPool implements RowMapper {
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed = false;
  private started = 0;
  /** consecutive threads that died before they were ready: the code cannot start, nothing can map */
  private startFailures = 0;

  /** Threads start when rows wait for one, up to `threads`, and end after `idleMs` without work. */
  constructor(private readonly o: MapPoolOptions) {}

  /** `urgent`: ahead of every routine row waiting (a critical result must not queue behind a batch). */
  map(row: RowToMap, opts: { urgent?: boolean } = {}): Promise<MappedRow> {
    if (this.closed) return Promise.reject(new Error('the mapping pool is closed'));
    return new Promise<MappedRow>((resolve, reject) => {
      const task = { id: this.nextId++, row, resolve, reject, urgent: opts.urgent === true };
      if (task.urgent) this.queue.splice(this.queue.findIndex((t) => !t.urgent) >>> 0, 0, task);
      else this.queue.push(task);
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.queue.splice(0)) t.reject(new Error('the mapping pool is closed'));
    await Promise.all(this.slots.splice(0).map(async (s) => {
      clearTimeout(s.idle);
      if (s.running) { clearTimeout(s.running.timer); s.running.reject(new Error('the mapping pool is closed')); }
      await s.worker.terminate();
    }));
  }

  /** Threads started so far (each one replaced after a time-out or a crash adds one). */
  get threadsStarted(): number {
    return this.started;
  }

  /** Threads alive now. */
  get threadsRunning(): number {
    return this.slots.length;
  }

  private spawn(): Slot {
    this.started++;
    // a small young generation: a thread's resident set is mostly its semi-spaces and the loaded code
    const resourceLimits = { maxOldGenerationSizeMb: this.o.maxMemoryMb ?? 512, maxYoungGenerationSizeMb: 8 };
    const workerData = { config: this.o.config, idKey: this.o.idKey, nice: this.o.nice ?? 0 };
    const worker = startModuleThread(import.meta.url, 'map-thread', { resourceLimits, workerData });
    worker.unref();
    const slot: Slot = { worker, ready: false, running: undefined, idle: undefined };
    worker.on('message', (m: { ready?: boolean; id?: number; mapped?: MappedRow; failed?: boolean }) => {
      if (m.ready === true) {
        slot.ready = true;
        this.startFailures = 0;
        this.pump();
        return;
      }
      const task = slot.running;
      if (task === undefined || task.id !== m.id) return;
      slot.running = undefined;
      clearTimeout(task.timer);
      task.resolve(m.mapped ?? failed('ERR_MAPPING_INTERNAL', 'mapping failed'));
      this.pump();
    });
    worker.on('error', (e: Error & { code?: string }) => {
      const task = slot.running;
      slot.running = undefined;
      if (task !== undefined) {
        clearTimeout(task.timer);
        task.resolve(e.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? failed('ERR_MAPPING_MEMORY_LIMIT', `mapping the message needed more than ${this.o.maxMemoryMb ?? 512} MiB: stopped`)
          : failed('ERR_MAPPING_THREAD_FAILED', 'the mapping thread failed while mapping the message'));
      }
      if (!slot.ready) this.startFailures++;
      this.o.log.error('mapping_thread_failed', { errorCode: e.code, errorName: e.name });
      this.replace(slot);
    });
    worker.on('exit', () => {
      if (this.slots.includes(slot) && !this.closed) this.replace(slot);
    });
    this.slots.push(slot);
    return slot;
  }

  /** A dead, stopped or idle thread leaves; the next waiting row starts a fresh one. If threads cannot start at all, waiting rows are refused. */
  private replace(slot: Slot): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    this.slots.splice(i, 1);
    clearTimeout(slot.idle);
    void slot.worker.terminate();
    if (this.closed) return;
    if (this.startFailures >= 3) {
      this.startFailures = 0; // the next map() tries again
      for (const t of this.queue.splice(0)) t.reject(new Error('mapping threads fail to start'));
      return;
    }
    this.pump();
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) break;
      if (!slot.ready || slot.running !== undefined) continue;
      const task = this.queue.shift()!;
      clearTimeout(slot.idle);
      slot.idle = undefined;
      const timer = setTimeout(() => this.timedOut(slot), this.o.budgetMs);
      slot.running = { ...task, timer };
      slot.worker.postMessage({ id: task.id, row: task.row });
    }
    // rows still waiting: one more thread, up to the limit (a starting thread pumps when ready)
    const starting = this.slots.filter((s) => !s.ready).length;
    if (this.queue.length > starting && this.slots.length < Math.max(1, this.o.threads) && !this.closed) this.spawn();
    // threads without work end after a while: their memory goes back while nothing needs mapping
    for (const slot of this.slots) {
      if (slot.ready && slot.running === undefined && slot.idle === undefined) {
        slot.idle = setTimeout(() => this.replace(slot), this.o.idleMs ?? 0);
        slot.idle.unref();
      }
    }
  }

  private timedOut(slot: Slot): void {
    const task = slot.running;
    if (task === undefined) return;
    slot.running = undefined;
    this.o.log.warn('mapping_time_budget_exceeded', { budgetMs: this.o.budgetMs });
    task.resolve(failed('ERR_MAPPING_TIME_BUDGET', `mapping the message took longer than ${this.o.budgetMs} ms (MAP_TIME_BUDGET_MS): stopped`));
    this.replace(slot);
  }
}
