/**
 * Schedule jobs (tasks.ts) off the thread that answers MLLP and HTTP: one worker thread, started
 * on first use and kept, running one job at a time (the machine has few cores, and ingest comes
 * first), with a time budget per job and a memory cap. A job that passes its budget is stopped by
 * terminating the worker (the next job starts a fresh one) and refused with
 * ERR_SCHEDULE_TIME_LIMIT; one that runs out of memory is refused with ERR_SCHEDULE_MEMORY_LIMIT.
 *
 * A small document is checked in the calling thread instead (see SMALL_*): its check takes
 * milliseconds, and waiting for the worker — started on first use, seconds from a source checkout
 * under load — would hold up the first routing decision after a restart for nothing.
 *
 * From a source checkout the code runs through tsx, whose module hooks are registered per thread
 * and do not reach a worker: the worker is then started from a few lines that register tsx in that
 * thread first and import worker.ts. Compiled (dist/), worker.js is started directly. (piscina was
 * considered: it loads its task file with require()/import() itself, leaving no place to register
 * tsx in the thread, so the source checkout could not run it.)
 */
import type { Worker } from 'node:worker_threads';
import { startModuleThread } from '../../threads/index.js';
import { err, type Result } from '../../routing/index.js';
import { storeError, type ScheduleStoreError } from '../errors.js';
import { runJob, type Checked, type CheckInput, type Job, type JobResult, type MergedCalendar, type MergeInput } from './tasks.js';

/** What the store and the routes ask of the jobs, in the worker or (InlineJobs) in this thread. */
export interface ScheduleJobs {
  check(input: CheckInput): Promise<Result<Checked, ScheduleStoreError>>;
  merge(input: MergeInput): Promise<Result<MergedCalendar, ScheduleStoreError>>;
  close(): Promise<void>;
}

/**
 * Runs the jobs in the calling thread, without a time budget: for the CLI (a one-shot process with
 * nothing else to answer) and tests. The size and occurrence limits still apply (they are in the tasks).
 */
export class InlineJobs implements ScheduleJobs {
  async check(input: CheckInput): Promise<Result<Checked, ScheduleStoreError>> {
    return runJob({ kind: 'check', input }) as Result<Checked, ScheduleStoreError>;
  }
  async merge(input: MergeInput): Promise<Result<MergedCalendar, ScheduleStoreError>> {
    return runJob({ kind: 'merge', input }) as Result<MergedCalendar, ScheduleStoreError>;
  }
  async close(): Promise<void> {}
}

export interface WorkerJobsOptions {
  /** Time budget of one job once it runs, ms. */
  readonly timeoutMs: number;
  /** Jobs that may wait behind the running one; more are refused with ERR_SCHEDULE_BUSY. */
  readonly maxQueue?: number;
  /** Heap of the worker, MiB: a hostile feed cannot take the gateway's memory. */
  readonly maxMemoryMb?: number;
}

/** Documents up to this many values (array elements and object members) are checked in the caller's thread. */
const SMALL_VALUES = 5_000;
/** Document text up to this many characters, likewise (a 64 KiB schedule checks in a few ms). */
const SMALL_TEXT_BYTES = 64 * 1024;

/** True when `value` holds at most `limit` values; stops counting past it (no recursion on outside data). */
const fewValues = (value: unknown, limit: number): boolean => {
  let n = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object') continue;
    const children = Array.isArray(v) ? v : Object.values(v);
    n += children.length;
    if (n > limit) return false;
    for (const c of children) if (c !== null && typeof c === 'object') stack.push(c);
  }
  return true;
};

const isSmall = (input: CheckInput): boolean =>
  input.source !== undefined ? input.source.text.length <= SMALL_TEXT_BYTES : fewValues(input.document, SMALL_VALUES);

interface Pending {
  readonly id: number;
  readonly job: Job;
  readonly resolve: (r: JobResult) => void;
  readonly reject: (e: Error) => void;
}

/** The worker: tsx registered in its own thread first when running from source. */
const startWorker = (maxMemoryMb: number): Worker => {
  // a small young generation: a thread's resident set is mostly its semi-spaces and the loaded code
  const resourceLimits = { maxOldGenerationSizeMb: maxMemoryMb, maxYoungGenerationSizeMb: 8 };
  return startModuleThread(import.meta.url, 'worker', { resourceLimits });
};

export class WorkerJobs implements ScheduleJobs {
  private worker: Worker | undefined;
  /** The worker has loaded its code: the time budget of a job starts when it is posted to a ready worker. */
  private ready = false;
  private running: (Pending & { timer: NodeJS.Timeout }) | undefined;
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;
  private readonly maxQueue: number;
  private readonly maxMemoryMb: number;

  constructor(private readonly opts: WorkerJobsOptions) {
    this.maxQueue = opts.maxQueue ?? 4;
    this.maxMemoryMb = opts.maxMemoryMb ?? 512;
  }

  check(input: CheckInput): Promise<Result<Checked, ScheduleStoreError>> {
    if (isSmall(input)) return Promise.resolve(runJob({ kind: 'check', input }) as Result<Checked, ScheduleStoreError>);
    return this.submit({ kind: 'check', input }) as Promise<Result<Checked, ScheduleStoreError>>;
  }

  merge(input: MergeInput): Promise<Result<MergedCalendar, ScheduleStoreError>> {
    return this.submit({ kind: 'merge', input }) as Promise<Result<MergedCalendar, ScheduleStoreError>>;
  }

  async close(): Promise<void> {
    this.closed = true;
    const w = this.worker;
    this.worker = undefined;
    this.fail(this.running, 'ERR_SCHEDULE_BUSY', 'the gateway is stopping');
    this.running = undefined;
    for (const p of this.queue.splice(0)) this.finish(p, err(storeError('ERR_SCHEDULE_BUSY', 'the gateway is stopping')));
    if (w !== undefined) await w.terminate();
  }

  private submit(job: Job): Promise<JobResult> {
    if (this.closed) return Promise.resolve(err(storeError('ERR_SCHEDULE_BUSY', 'the gateway is stopping')));
    if (this.queue.length >= this.maxQueue) return Promise.resolve(err(storeError('ERR_SCHEDULE_BUSY', 'too many schedule changes are being checked: try again shortly')));
    return new Promise<JobResult>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, job, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    if (this.running !== undefined || this.closed || this.queue.length === 0) return;
    const worker = this.ensureWorker();
    if (!this.ready) return; // pumped again when the worker says it is ready
    const next = this.queue.shift();
    if (next === undefined) return;
    const timer = setTimeout(() => this.timedOut(), this.opts.timeoutMs);
    this.running = { ...next, timer };
    worker.postMessage({ id: next.id, job: next.job });
  }

  private ensureWorker(): Worker {
    if (this.worker !== undefined) return this.worker;
    const w = startWorker(this.maxMemoryMb);
    this.ready = false;
    w.unref(); // an idle job thread never keeps the process alive
    w.on('message', (m: { id?: number; ready?: boolean; result?: JobResult; failed?: boolean }) => {
      if (m.ready === true) {
        if (this.worker === w) this.ready = true;
        this.pump();
        return;
      }
      const job = this.running;
      if (job === undefined || job.id !== m.id) return;
      this.running = undefined;
      clearTimeout(job.timer);
      if (m.result !== undefined) this.finish(job, m.result);
      else job.reject(new Error('schedule job failed'));
      this.pump();
    });
    w.on('error', (e: Error & { code?: string }) => {
      // ERR_WORKER_OUT_OF_MEMORY: the heap cap was reached; anything else is a bug or a broken start
      if (this.worker !== w) return;
      this.worker = undefined;
      if (!this.ready) {
        // the thread did not start: nothing can run, say so to everyone waiting
        for (const p of this.queue.splice(0)) p.reject(new Error('schedule job thread failed to start'));
        return;
      }
      const job = this.running;
      this.running = undefined;
      if (job !== undefined) {
        clearTimeout(job.timer);
        if (e.code === 'ERR_WORKER_OUT_OF_MEMORY') this.finish(job, err(storeError('ERR_SCHEDULE_MEMORY_LIMIT', `checking the schedule needed more than ${this.maxMemoryMb} MiB: refused`)));
        else job.reject(new Error('schedule job thread failed'));
      }
      this.pump();
    });
    w.on('exit', () => {
      if (this.worker === w) this.worker = undefined;
    });
    this.worker = w;
    return w;
  }

  private timedOut(): void {
    const job = this.running;
    const w = this.worker;
    this.running = undefined;
    this.worker = undefined;
    if (w !== undefined) void w.terminate();
    this.fail(job, 'ERR_SCHEDULE_TIME_LIMIT', `checking the schedule took longer than ${this.opts.timeoutMs} ms (SCHEDULE_JOB_TIMEOUT_MS): stopped and refused`);
    this.pump();
  }

  private fail(job: (Pending & { timer: NodeJS.Timeout }) | undefined, code: 'ERR_SCHEDULE_TIME_LIMIT' | 'ERR_SCHEDULE_BUSY', message: string): void {
    if (job === undefined) return;
    clearTimeout(job.timer);
    this.finish(job, err(storeError(code, message)));
  }

  private finish(p: Pending, r: JobResult): void {
    p.resolve(r);
  }
}
