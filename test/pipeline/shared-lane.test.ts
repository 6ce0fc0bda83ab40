// The critical lane's state as the processing thread's routine workers read it: three shared cells
// written by the lane (whenever its state changes), read through any view of the same buffer.
import { describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { SharedLane, type Lane } from '../../src/pipeline/shared-lane.js';

describe('SharedLane', () => {
  it('reads as a lane that does not run until one publishes', () => {
    const lane = new SharedLane();
    expect({ urgentFrom: lane.urgentFrom, busy: lane.busy, batch: lane.batch }).toEqual({ urgentFrom: undefined, busy: false, batch: 0 });
  });

  it.each<[string, Lane]>([
    ['running, idle', { urgentFrom: 1, busy: false, batch: 4 }],
    ['running, in a round', { urgentFrom: 2, busy: true, batch: 8 }],
    ['stopped', { urgentFrom: undefined, busy: false, batch: 4 }],
  ])('a view of the same buffer reads what the lane published: %s', (_name, state) => {
    const writer = new SharedLane();
    writer.publish(state);
    const view = new SharedLane(writer.buffer);
    expect({ urgentFrom: view.urgentFrom, busy: view.busy, batch: view.batch }).toEqual(state);
  });

  it('another thread reads the state published here after the buffer crossed to it', async () => {
    const lane = new SharedLane();
    lane.publish({ urgentFrom: 1, busy: true, batch: 4 });
    // the cells' layout as shared-lane.ts writes them: urgentFrom, busy, batch
    const w = new Worker(`
      const { parentPort, workerData } = require('node:worker_threads');
      const cells = new Int32Array(workerData);
      parentPort.postMessage([Atomics.load(cells, 0), Atomics.load(cells, 1), Atomics.load(cells, 2)]);
    `, { eval: true, workerData: lane.buffer });
    const seen = await new Promise<number[]>((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });
    await w.terminate();
    expect(seen).toEqual([1, 1, 4]);
  });
});
