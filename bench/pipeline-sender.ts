// The load generator of bench/pipeline.ts, a process of its own as a lab system is (its CPU is not
// counted as the gateway's): n HL7 messages of the traffic mix over `connections` MLLP connections,
// as fast as ACKs come back (or a fixed list of routine results for a burst), or paced at `rate`
// msg/s. The job comes as the first argument (JSON); the ACK latencies go back over the IPC channel.
import { MllpClient } from '../src/mllp/index.js';
import { oru, rng, trafficItem, type Traffic } from './pipeline-messages.js';

interface Job { port: number; connections: number; n: number; tag: string; traffic: Traffic; seed: number; burst?: boolean; /** msg/s; absent: as fast as ACKs come back */ rate?: number }
const job = JSON.parse(process.argv[2]!) as Job;
const rand = rng(job.seed);
const messages: Buffer[] = [];
for (let i = 0; i < job.n; i++) {
  if (job.burst) { messages.push(Buffer.from(oru(`${job.tag}-${i}`, `LAB${i % job.traffic.senders}`, `MRN${Math.floor(rand() * job.traffic.patients)}`, `B${job.tag}${i}`, false), 'latin1')); continue; }
  const item = trafficItem(i, job.tag, job.traffic, rand);
  if (item.kind === 'hl7') messages.push(item.bytes);
}
const clients = await Promise.all(Array.from({ length: job.connections }, async () => { const c = new MllpClient({ port: job.port }); await c.connect(); return c; }));
const lat: number[] = [];
let next = 0;
let refused = 0;
const t0 = performance.now();
await Promise.all(clients.map(async (c) => {
  for (let i = next++; i < messages.length; i = next++) {
    if (job.rate) {
      const due = t0 + (i * 1000) / job.rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const s = performance.now();
    const ack = await c.send(messages[i]!);
    lat.push(performance.now() - s);
    if (ack.indexOf('MSA|AA|') < 0) refused++;
  }
}));
for (const c of clients) c.close();
process.send!({ lat, seconds: (performance.now() - t0) / 1000, refused, sent: messages.length }, () => process.exit(0));
