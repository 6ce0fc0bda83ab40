// A local webhook receiver (real HTTP on 127.0.0.1): records every request, answers with the status
// the test chooses (or drops the connection), and checks each Standard Webhooks signature.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Received {
  path: string;
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  status: number | 'dropped';
  at: number;
}

export interface Receiver {
  base: string;
  received: Received[];
  /** answered with 2xx: what the receiver accepted */
  accepted(path?: string): Received[];
  /** how to answer the next requests: a status, or 'drop' (close the socket) */
  answer: (path: string) => number | 'drop';
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const r: Receiver = {
    base: '',
    received,
    accepted: (path) => received.filter((x) => typeof x.status === 'number' && x.status < 300 && (path === undefined || x.path === path)),
    answer: () => 200,
    close: () => new Promise((res) => { server.closeAllConnections(); server.close(() => res()); }),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '';
      const a = r.answer(path);
      received.push({
        path, id: String(req.headers['webhook-id'] ?? ''), timestamp: String(req.headers['webhook-timestamp'] ?? ''),
        signature: String(req.headers['webhook-signature'] ?? ''), body: Buffer.concat(chunks).toString('utf8'), status: a === 'drop' ? 'dropped' : a, at: Date.now(),
      });
      if (a === 'drop') { req.socket.destroy(); return; }
      res.writeHead(a).end();
    });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  r.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return r;
}

/** Whether the request carries a valid v1 signature by `secret` (Standard Webhooks: HMAC-SHA256 of id.timestamp.body). */
export function signedBy(x: Pick<Received, 'id' | 'timestamp' | 'signature' | 'body'>, secret: string): boolean {
  const expected = new Webhook(secret).sign(x.id, new Date(Number(x.timestamp) * 1000), x.body);
  return x.signature.split(' ').includes(expected);
}
