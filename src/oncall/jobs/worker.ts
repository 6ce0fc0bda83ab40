// The worker thread's entry (started by pool.ts): runs one job per message and posts the result.
import { parentPort } from 'node:worker_threads';
import { runJob, type Job } from './tasks.js';

interface Request {
  readonly id: number;
  readonly job: Job;
}

const port = parentPort;
if (port !== null) {
  port.on('message', (m: Request) => {
    try {
      port.postMessage({ id: m.id, result: runJob(m.job) });
    } catch {
      // a bug, not the input's fault: the pool reports an internal error (no details leave the thread)
      port.postMessage({ id: m.id, failed: true });
    }
  });
  port.postMessage({ ready: true });
}
