// MLLP listener over TCP or TLS (mutual TLS when a CA is configured). Each connection's frames are
// handled one after another, in arrival order (an ADT feed's order matters), and every frame gets
// exactly one answer. Bounded everywhere: frame size, frames queued per connection, connections (in
// all and per address), idle time, and the time a started frame may take to finish.
//
// At a connection cap the oldest idle connection is closed to admit the new one (idle: no frame
// started, none waiting or being answered). Otherwise sockets that connect and say nothing — a
// misconfigured engine, a port scanner, an attacker — would hold every slot until their idle
// timeout and lock the real sender out. A busy connection is never closed for a newcomer.
import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import type { Logger } from '../obs/index.js';
import { frame, MllpFramer, type FrameEvent } from '../hl7/index.js';

export interface ConnectionInfo {
  id: number;
  peer: string;
  /** the peer's IP address */
  address: string | null;
  /** subject CN of the client certificate under mutual TLS */
  clientCert?: string;
  /** the client certificate's whole subject, `CN=...,O=...` (mutual TLS) */
  certSubject?: string;
  /** Writes one frame on this connection (an enhanced-mode application ACK); false when it is closed. */
  send(payload: Buffer): boolean;
}

export interface MllpHandlers {
  /** Handles one complete frame; returns the ACK payload (unframed), or null to send nothing. */
  message(payload: Buffer, conn: ConnectionInfo): Promise<Buffer | null>;
  /** Answers a frame that exceeded the size limit (head = its first bytes). */
  oversize(head: Buffer, size: number, conn: ConnectionInfo): Promise<Buffer | null>;
}

export interface MllpListenerOptions {
  host: string;
  port: number;
  maxFrameBytes: number;
  idleTimeoutMs: number;
  frameTimeoutMs: number;
  maxConnections: number;
  /** connections from one address at most (default: maxConnections) */
  maxConnectionsPerAddress?: number;
  tls?: { certFile: string; keyFile: string; caFile?: string };
  log: Logger;
  /** The listening socket failed after it was listening: the listener cannot go on. */
  onError?: (e: Error) => void;
}

/** Frames a connection may have waiting before we stop reading from it (backpressure). */
const MAX_QUEUED_FRAMES = 64;

/** What the connection caps need to know of a connection. */
interface Slot {
  address: string;
  /** last time a byte arrived or an answer left, ms (performance.now) */
  lastActive: number;
  /** a frame started, waiting or being answered */
  busy(): boolean;
}

export class MllpListener {
  private server: net.Server | undefined;
  private readonly sockets = new Map<net.Socket, Slot>();
  private readonly inflight = new Set<Promise<void>>();
  private nextId = 1;
  private closing = false;

  constructor(private readonly opts: MllpListenerOptions, private readonly handlers: MllpHandlers) {}

  get connectionCount(): number {
    return this.sockets.size;
  }

  async listen(): Promise<number> {
    const o = this.opts;
    const onSocket = (s: net.Socket) => this.accept(s);
    this.server = o.tls
      ? tls.createServer({
          cert: readFileSync(o.tls.certFile), key: readFileSync(o.tls.keyFile),
          ...(o.tls.caFile ? { ca: readFileSync(o.tls.caFile), requestCert: true, rejectUnauthorized: true } : {}),
          minVersion: 'TLSv1.2',
        }, onSocket)
      : net.createServer(onSocket);
    this.server.on('tlsClientError', () => o.log.warn('mllp_tls_handshake_failed'));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(o.port, o.host, () => resolve());
    });
    this.server.removeAllListeners('error');
    this.server.on('error', (e: NodeJS.ErrnoException) => {
      o.log.error('mllp_listener_failed', { errorCode: e.code, errorName: e.name });
      o.onError?.(e);
    });
    const port = (this.server.address() as net.AddressInfo).port;
    o.log.info('mllp_listening', { port, mode: o.tls ? (o.tls.caFile ? 'mtls' : 'tls') : 'plain' });
    return port;
  }

  /** Stops accepting, lets in-flight frames finish and answer (up to graceMs), then closes sockets. */
  async close(graceMs = 10_000): Promise<void> {
    this.closing = true;
    const closed = new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    const deadline = sleep(graceMs);
    await Promise.race([Promise.allSettled([...this.inflight]), deadline]);
    for (const s of this.sockets.keys()) s.end();
    await Promise.race([closed, sleep(1000)]);
    for (const s of this.sockets.keys()) s.destroy();
  }

  /**
   * Makes room for a connection from `address`: at the per-address cap, or the total cap, the
   * oldest idle connection (of that address, or of any) is closed. False when there is no room.
   */
  private admit(address: string): boolean {
    const o = this.opts;
    const perAddress = o.maxConnectionsPerAddress ?? o.maxConnections;
    const mine = [...this.sockets].filter(([, s]) => s.address === address);
    if (mine.length >= perAddress && !this.evictOldestIdle(mine, 'address')) return false;
    if (this.sockets.size >= o.maxConnections && !this.evictOldestIdle([...this.sockets], 'total')) return false;
    return true;
  }

  private evictOldestIdle(candidates: [net.Socket, Slot][], cap: 'address' | 'total'): boolean {
    let oldest: [net.Socket, Slot] | undefined;
    for (const c of candidates) if (!c[1].busy() && (!oldest || c[1].lastActive < oldest[1].lastActive)) oldest = c;
    if (!oldest) return false;
    this.opts.log.info('mllp_idle_evicted', { peer: oldest[1].address, code: cap });
    oldest[0].destroy();
    this.sockets.delete(oldest[0]);
    return true;
  }

  private accept(socket: net.Socket): void {
    const o = this.opts;
    if (this.closing) { socket.destroy(); return; }
    const address = socket.remoteAddress ?? '?';
    if (!this.admit(address)) {
      o.log.warn('mllp_connection_refused', { peer: address, connections: this.sockets.size });
      socket.destroy();
      return;
    }
    const conn: ConnectionInfo = {
      id: this.nextId++, peer: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`, address: socket.remoteAddress ?? null,
      send: (payload) => {
        if (socket.destroyed || !socket.writable) return false;
        socket.write(frame(payload));
        return true;
      },
    };
    if (socket instanceof tls.TLSSocket) {
      const subject = socket.getPeerCertificate()?.subject as Record<string, string | string[]> | undefined;
      const cn = subject?.CN;
      if (typeof cn === 'string') conn.clientCert = cn;
      const full = subject ? Object.entries(subject).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${k}=${x}`)).join(',') : '';
      if (full) conn.certSubject = full;
    }
    const framer = new MllpFramer(o.maxFrameBytes);
    const queue: FrameEvent[] = [];
    let running = false;
    const slot: Slot = { address, lastActive: performance.now(), busy: () => running || queue.length > 0 || framer.inFrame };
    this.sockets.set(socket, slot);
    socket.setNoDelay(true);
    socket.setTimeout(o.idleTimeoutMs, () => { o.log.info('mllp_idle_closed', { peer: conn.peer }); socket.destroy(); });
    let frameTimer: NodeJS.Timeout | undefined;

    const armFrameTimer = () => {
      if (framer.inFrame && !frameTimer) {
        frameTimer = setTimeout(() => { o.log.warn('mllp_slow_sender_closed', { peer: conn.peer }); socket.destroy(); }, o.frameTimeoutMs);
      } else if (!framer.inFrame && frameTimer) {
        clearTimeout(frameTimer);
        frameTimer = undefined;
      }
    };

    const drain = async () => {
      if (running) return;
      running = true;
      while (queue.length && !socket.destroyed) {
        const ev = queue.shift()!;
        const answer = await this.answer(ev, conn);
        if (answer && !socket.destroyed) socket.write(frame(answer));
        slot.lastActive = performance.now();
        if (socket.isPaused() && queue.length < MAX_QUEUED_FRAMES / 2) socket.resume();
      }
      running = false;
    };

    socket.on('data', (data: Buffer) => {
      slot.lastActive = performance.now();
      let events: FrameEvent[];
      try {
        events = framer.push(data);
      } catch {
        socket.destroy();
        return;
      }
      armFrameTimer();
      if (!events.length) return;
      queue.push(...events);
      if (queue.length >= MAX_QUEUED_FRAMES) socket.pause();
      const p = drain();
      this.inflight.add(p);
      void p.finally(() => this.inflight.delete(p));
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      if (frameTimer) clearTimeout(frameTimer);
      this.sockets.delete(socket);
    });
  }

  private async answer(ev: FrameEvent, conn: ConnectionInfo): Promise<Buffer | null> {
    try {
      return ev.kind === 'frame' ? await this.handlers.message(ev.payload, conn) : await this.handlers.oversize(ev.head, ev.size, conn);
    } catch (e) {
      // handlers answer every failure themselves; this is the last guard so a bug cannot kill the feed
      this.opts.log.error('mllp_handler_failed', { peer: conn.peer, errorName: (e as Error)?.name });
      return null;
    }
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());
