// A load generator in its own thread (as a real sender is its own process): n MLLP connections,
// each sending one message after another, or paced to `rate` messages/s in total. Posts latencies.
import { parentPort, workerData } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { MllpClient } from '../src/mllp/index.js';

interface Job { port: number; connections: number; seconds: number; tag: string; rate?: number }
const job = workerData as Job;
const template = readFileSync(new URL('../fixtures/spine/oru-r01.hl7', import.meta.url), 'latin1').replace(/\n/g, '\r');

const clients = await Promise.all(Array.from({ length: job.connections }, async () => { const c = new MllpClient({ port: job.port }); await c.connect(); return c; }));
const lat: number[] = [];
const t0 = performance.now();
const until = t0 + job.seconds * 1000;
let seq = 0;
let refused = 0;
await Promise.all(clients.map(async (c, k) => {
  let next = t0 + (job.rate ? (k * 1000) / job.rate : 0);
  while (performance.now() < until) {
    if (job.rate) {
      const wait = next - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      next += (job.connections * 1000) / job.rate;
      if (performance.now() >= until) break;
    }
    const msg = Buffer.from(template.replace('|CTRL0001|', `|${job.tag}-${seq++}|`), 'latin1');
    const s = performance.now();
    const ack = await c.send(msg);
    lat.push(performance.now() - s);
    if (ack.indexOf('MSA|AA|') < 0) refused++;
  }
}));
for (const c of clients) c.close();
parentPort!.postMessage({ lat, seconds: (performance.now() - t0) / 1000, refused });
