// The critical lane's state as the routine workers read it (worker.ts `claim()`): whether the lane
// runs (and from which priority it claims), whether it is in a round, and its batch. In one thread the
// lane InboxWorker itself is read; a routine worker in the processing thread reads the same three
// numbers from shared memory, written by the lane on the main thread whenever they change. A read
// sees the lane's state of a moment ago at worst, as a read of another replica's rows would: the
// claim statements, not this state, keep two workers off one row.

import type { PriorityRange } from '../store/index.js';

/** What a routine worker reads of its process's critical lane. */
export interface Lane {
  /** the least urgent priority the lane claims while it runs; undefined: not running */
  readonly urgentFrom: number | undefined;
  /** in a round (claiming, mapping or saving a batch) */
  readonly busy: boolean;
  /** rows the lane claims per round */
  readonly batch: number;
}

/** Int32 slots of the shared buffer. */
const URGENT_FROM = 0; // 0: the lane does not run (a lane's minPriority is 1 or more)
const BUSY = 1;
const BATCH = 2;
const SLOTS = 3;

/** A lane's state in a SharedArrayBuffer: written by the lane's thread (`publish`), read by any thread. */
export class SharedLane implements Lane {
  readonly buffer: SharedArrayBuffer;
  private readonly cells: Int32Array;

  /** A new buffer (the lane's side), or a view of one received from the other thread. */
  constructor(buffer: SharedArrayBuffer = new SharedArrayBuffer(SLOTS * Int32Array.BYTES_PER_ELEMENT)) {
    this.buffer = buffer;
    this.cells = new Int32Array(buffer);
  }

  get urgentFrom(): number | undefined {
    const v = Atomics.load(this.cells, URGENT_FROM);
    return v > 0 ? v : undefined;
  }

  get busy(): boolean {
    return Atomics.load(this.cells, BUSY) === 1;
  }

  get batch(): number {
    return Atomics.load(this.cells, BATCH);
  }

  /** The lane's state now (called by the lane whenever it changes). */
  publish(lane: Lane): void {
    Atomics.store(this.cells, BATCH, lane.batch);
    Atomics.store(this.cells, BUSY, lane.busy ? 1 : 0);
    Atomics.store(this.cells, URGENT_FROM, lane.urgentFrom ?? 0);
  }
}

/**
 * Whether a critical lane takes every row of a stored batch with these priorities itself, in its next
 * round: it runs, is idle (a busy lane is helped by the routine workers, see WorkerOptions.lane),
 * takes the batch's least urgent row, and the batch is no larger than its claim (a burst of urgent
 * rows wakes the routine workers to help, and so does a batch of unknown size). Routine workers,
 * and the processing thread that hosts them, sleep through such a batch.
 */
export function takesAll(lane: Lane, priorities: PriorityRange | undefined): boolean {
  return priorities !== undefined && lane.urgentFrom !== undefined && !lane.busy && priorities.min >= lane.urgentFrom
    && priorities.rows !== undefined && priorities.rows <= lane.batch;
}
