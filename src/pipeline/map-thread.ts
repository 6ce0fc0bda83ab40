// A mapping thread's entry (started by map-pool.ts): maps one row per message and posts the outcome.
import { parentPort, workerData } from 'node:worker_threads';
import type { SiteConfig } from '../mapping/index.js';
import { lowerThisThread } from '../threads/index.js';
import { mapInboxRow, type RowToMap } from './map-row.js';

interface Setup {
  readonly config: SiteConfig;
  readonly idKey: Uint8Array;
  /** CPU priority to take (the processing thread's mapping threads run as low as it does) */
  readonly nice: number;
}

const port = parentPort;
const setup = workerData as Setup;
if (port !== null) {
  lowerThisThread(setup.nice);
  port.on('message', (m: { id: number; row: RowToMap }) => {
    try {
      port.postMessage({ id: m.id, mapped: mapInboxRow(m.row, setup.config, setup.idKey) });
    } catch {
      // mapInboxRow never throws; posting may (a result that cannot be cloned): an internal failure
      port.postMessage({ id: m.id, failed: true });
    }
  });
  port.postMessage({ ready: true });
}
