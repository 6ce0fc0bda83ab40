// The world around the gateway in bench/delivery.ts, in its own thread (as the lab system and the
// paging gateway are other machines): MLLP senders and a webhook receiver that checks every Standard
// Webhooks signature. Times are epoch ms with sub-ms precision (timeOrigin + performance.now), so the
// main thread can line them up with the store's clock_timestamp() marks.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { Webhook } from 'standardwebhooks';
import { MllpClient } from '../src/mllp/index.js';

export interface PeerSetup { secret: string }
export type PeerCommand =
  | { kind: 'load'; port: number; seconds: number; rate: number; connections: number; criticalEveryMs: number; tag: string }
  | { kind: 'hooks' }
  | { kind: 'stop' };
export interface Hook { path: string; messageId: string | null; at: number; valid: boolean }
export interface Critical { controlId: string; sentAt: number; ackMs: number; accepted: boolean }
export interface LoadResult { background: number[]; backgroundRefused: number; criticals: Critical[]; seconds: number }

const setup = workerData as PeerSetup;
const port = parentPort!;
const clock = (): number => performance.timeOrigin + performance.now();
const webhook = new Webhook(setup.secret);
const hooks: Hook[] = [];

// the paging gateway: answers 204 to a valid signature, 401 to anything else (Standard Webhooks verify)
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const at = clock();
    const body = Buffer.concat(chunks).toString('utf8');
    let valid = true;
    let messageId: string | null = null;
    try {
      const payload = webhook.verify(body, {
        'webhook-id': String(req.headers['webhook-id'] ?? ''),
        'webhook-timestamp': String(req.headers['webhook-timestamp'] ?? ''),
        'webhook-signature': String(req.headers['webhook-signature'] ?? ''),
      }) as { messageId?: string | null };
      messageId = payload.messageId ?? null;
    } catch {
      valid = false;
    }
    hooks.push({ path: req.url ?? '', messageId, at, valid });
    res.writeHead(valid ? 204 : 401).end();
  });
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));

const lab = readFileSync(new URL('../fixtures/spine/oru-r01.hl7', import.meta.url), 'latin1').replace(/\r?\n/g, '\r');
const adt = readFileSync(new URL('../fixtures/spine/adt-a01.hl7', import.meta.url), 'latin1').replace(/\r?\n/g, '\r');
// routine: the same panel with potassium high but not critical (H: a routine abnormal result, held for the digest)
const routineOru = lab.replace('|6.8|mmol/L^mmol/L^UCUM|3.5-5.1|HH|', '|5.4|mmol/L^mmol/L^UCUM|3.5-5.1|H|');
if (routineOru === lab) throw new Error('fixture changed: the routine ORU is not routine');
// each message its own control id, patient and, for a result, its own placer and filler order numbers
// (ORC-2/3, OBR-2/3; each lab order has its own): with the fixture's one order every result would
// update the same ServiceRequest, DiagnosticReport and Observations, and wait for the locks of the
// routine batch in flight
const withIds = (t: string, control: string, ctrlIn: string, mrn: string, n: number, tag: string) =>
  Buffer.from(t.replace(`|${ctrlIn}|`, `|${control}|`).replace(mrn, `${mrn.slice(0, 3)}${900000 + n}`)
    .replaceAll('|ORD777|', `|ORD${tag}${n}|`).replaceAll('|FIL888|', `|FIL${tag}${n}|`), 'latin1');
if (!lab.includes('|ORD777|FIL888|')) throw new Error('fixture changed: the ORU order numbers are not ORD777/FIL888');

async function load(c: Extract<PeerCommand, { kind: 'load' }>): Promise<LoadResult> {
  const connect = async () => { const m = new MllpClient({ port: c.port, timeoutMs: 30_000 }); await m.connect(); return m; };
  const background = await Promise.all(Array.from({ length: c.connections }, connect));
  const critical = await connect();
  const lat: number[] = [];
  const criticals: Critical[] = [];
  let refused = 0;
  let seq = 0;
  const t0 = performance.now();
  const until = t0 + c.seconds * 1000;
  const paced = background.map(async (m, k) => {
    let next = t0 + (k * 1000) / c.rate;
    for (;;) {
      const wait = next - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      next += (c.connections * 1000) / c.rate;
      if (performance.now() >= until) return;
      const n = seq++;
      const msg = n % 2 === 0 ? withIds(routineOru, `BG${c.tag}${n}`, 'CTRL0001', 'MRN100234', n, c.tag) : withIds(adt, `BG${c.tag}${n}`, 'ADT0001', 'MRN100235', n, c.tag);
      const s = performance.now();
      const ack = await m.send(msg);
      lat.push(performance.now() - s);
      if (ack.indexOf('MSA|AA|') < 0) refused++;
    }
  });
  const crit = (async () => {
    let next = t0 + c.criticalEveryMs / 2;
    for (let i = 0; ; i++) {
      const wait = next - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      next += c.criticalEveryMs;
      if (performance.now() >= until) return;
      const controlId = `CRIT${c.tag}${i}`;
      const msg = withIds(lab, controlId, 'CTRL0001', 'MRN100234', 50_000 + i, c.tag);
      const sentAt = clock();
      const ack = await critical.send(msg);
      criticals.push({ controlId, sentAt, ackMs: clock() - sentAt, accepted: ack.indexOf('MSA|AA|') >= 0 });
    }
  })();
  await Promise.all([...paced, crit]);
  const seconds = (performance.now() - t0) / 1000;
  for (const m of [...background, critical]) m.close();
  return { background: lat, backgroundRefused: refused, criticals, seconds };
}

port.on('message', (cmd: PeerCommand) => {
  if (cmd.kind === 'load') void load(cmd).then((r) => port.postMessage({ kind: 'load', result: r }), (e: unknown) => port.postMessage({ kind: 'error', message: String(e) }));
  else if (cmd.kind === 'hooks') port.postMessage({ kind: 'hooks', hooks: hooks.splice(0) });
  else server.close(() => port.postMessage({ kind: 'stopped' }));
});
port.postMessage({ kind: 'ready', receiver: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
