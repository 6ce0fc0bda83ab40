// A small MLLP client: one connection, one message at a time, each answered before the next is
// sent (what `switchboard send`, the benchmarks and the tests use). Bounded: a reply larger than
// maxFrameBytes or slower than timeoutMs fails the send instead of waiting forever.
import net from 'node:net';
import tls from 'node:tls';
import { frame, MllpFramer } from '../hl7/index.js';

export interface MllpClientOptions {
  host?: string;
  port: number;
  timeoutMs?: number;
  maxFrameBytes?: number;
  tls?: tls.ConnectionOptions;
}

export class MllpClient {
  private socket: net.Socket | undefined;
  private framer: MllpFramer;
  private waiting: { resolve: (b: Buffer) => void; reject: (e: Error) => void } | undefined;
  private replies: Buffer[] = [];

  constructor(private readonly opts: MllpClientOptions) {
    this.framer = new MllpFramer(opts.maxFrameBytes ?? 1024 * 1024);
  }

  async connect(): Promise<void> {
    const { host = '127.0.0.1', port } = this.opts;
    this.socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = this.opts.tls ? tls.connect({ host, port, ...this.opts.tls }, () => resolve(s)) : net.connect({ host, port }, () => resolve(s));
      s.once('error', reject);
    });
    this.socket.setNoDelay(true);
    this.socket.on('data', (d: Buffer) => {
      for (const ev of this.framer.push(d)) {
        const payload = ev.kind === 'frame' ? ev.payload : ev.head;
        if (this.waiting) { const w = this.waiting; this.waiting = undefined; w.resolve(payload); } else this.replies.push(payload);
      }
    });
    const fail = (e: Error) => { const w = this.waiting; this.waiting = undefined; w?.reject(e); };
    this.socket.on('error', fail);
    this.socket.on('close', () => fail(new Error('connection closed before the reply')));
  }

  /** Sends one payload and resolves with the reply's payload. */
  send(payload: Buffer | string): Promise<Buffer> {
    const s = this.socket;
    if (!s || s.destroyed) return Promise.reject(new Error('not connected'));
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => { this.waiting = undefined; reject(new Error('timed out waiting for the reply')); }, this.opts.timeoutMs ?? 30_000);
      const done = { resolve: (b: Buffer) => { clearTimeout(timer); resolve(b); }, reject: (e: Error) => { clearTimeout(timer); reject(e); } };
      this.replies = [];
      this.waiting = done;
      s.write(frame(payload));
    });
  }

  /** Writes raw bytes (for tests of broken framing). */
  writeRaw(bytes: Buffer): void {
    this.socket?.write(bytes);
  }

  /** Resolves with the next reply without sending anything (bounded by the client's timeout). */
  nextReply(): Promise<Buffer> {
    const early = this.replies.shift();
    if (early) return Promise.resolve(early);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.waiting = undefined; reject(new Error('timed out waiting for a reply')); }, this.opts.timeoutMs ?? 30_000);
      this.waiting = { resolve: (b) => { clearTimeout(timer); resolve(b); }, reject: (e) => { clearTimeout(timer); reject(e); } };
    });
  }

  close(): void {
    this.socket?.end();
    this.socket?.destroy();
  }
}

/**
 * Delivers one frame to a listener as its own message (an enhanced-mode application ACK to the
 * sender's ACK listener): connects, writes it, waits up to timeoutMs for the listener's reply if it
 * sends one (an ACK of an ACK is not required, HL7 v2 2.9.3), and closes. Resolves with the reply
 * (null when none came); rejects when the connection or the write failed.
 */
export function deliverFrame(opts: MllpClientOptions, payload: Buffer): Promise<Buffer | null> {
  const { host = '127.0.0.1', port, timeoutMs = 5_000 } = opts;
  return new Promise((resolve, reject) => {
    const framer = new MllpFramer(opts.maxFrameBytes ?? 1024 * 1024);
    let written = false;
    const s = opts.tls ? tls.connect({ host, port, ...opts.tls }) : net.connect({ host, port });
    const timer = setTimeout(() => finish(written ? null : new Error('connect timed out')), timeoutMs);
    const finish = (r: Buffer | null | Error) => {
      clearTimeout(timer);
      s.destroy();
      if (r instanceof Error) reject(r); else resolve(r);
    };
    s.once(opts.tls ? 'secureConnect' : 'connect', () => s.write(frame(payload), (e) => { if (e) finish(e); else written = true; }));
    s.on('data', (d: Buffer) => {
      const ev = framer.push(d)[0];
      if (ev) finish(ev.kind === 'frame' ? ev.payload : ev.head);
    });
    s.once('error', (e) => finish(written ? null : e));
    s.once('close', () => finish(written ? null : new Error('connection closed before the frame was written')));
  });
}
