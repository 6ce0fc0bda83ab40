// Live updates for providers' apps (Server-Sent Events), across replicas: every change that
// concerns a practitioner is a NOTIFY (ids and a kind, never content) written in the transaction
// that made it; each gateway LISTENs once and hands it to the SSE connections that practitioner
// has open on that gateway. A notification that reaches an open app counts as delivered.
import type { Logger } from '../obs/index.js';
import { listenLiveEvents, type LiveEvent, type Sql } from '../store/index.js';

export interface LiveSubscriber {
  readonly practitioner: string;
  send(e: LiveEvent): void;
  /** the gateway is shutting down: end the stream */
  close(): void;
}

/** Open SSE connections per practitioner, and in all, at most: an app opens one per device. */
export const MAX_LIVE_PER_PRACTITIONER = 8;
export const MAX_LIVE_CONNECTIONS = 2_000;

export class LiveHub {
  private readonly subs = new Map<string, Set<LiveSubscriber>>();
  private listening: { unlisten(): Promise<void> } | undefined;
  private count = 0;

  constructor(
    private readonly sql: Sql,
    /** notifications that reached an open app: the inbox channel's delivery receipt */
    private readonly onDelivered: (practitioner: string, notificationIds: string[]) => void,
    private readonly log?: Logger,
    private readonly onCount?: (n: number) => void,
  ) {}

  async start(): Promise<void> {
    // on every (re)connect events may have been missed: apps are told to refetch their list
    this.listening = await listenLiveEvents(this.sql, (e) => this.dispatch(e), () => this.broadcast({ p: '', m: '', k: 'resync' }));
  }

  async stop(): Promise<void> {
    for (const set of this.subs.values()) for (const s of set) s.close();
    await this.listening?.unlisten().catch(() => {});
    this.listening = undefined;
  }

  /** Adds a connection; false when the practitioner or the gateway has as many as allowed. */
  add(s: LiveSubscriber): boolean {
    const set = this.subs.get(s.practitioner) ?? new Set();
    if (set.size >= MAX_LIVE_PER_PRACTITIONER || this.count >= MAX_LIVE_CONNECTIONS) return false;
    set.add(s);
    this.subs.set(s.practitioner, set);
    this.count++;
    this.onCount?.(this.count);
    return true;
  }

  remove(s: LiveSubscriber): void {
    const set = this.subs.get(s.practitioner);
    if (set?.delete(s)) {
      this.count--;
      this.onCount?.(this.count);
    }
    if (set?.size === 0) this.subs.delete(s.practitioner);
  }

  private dispatch(e: LiveEvent): void {
    const set = this.subs.get(e.p);
    if (set === undefined || set.size === 0) return;
    for (const s of set) s.send(e);
    if (e.n !== undefined && (e.k === 'notified' || e.k === 'renotified' || e.k === 'forwarded')) this.onDelivered(e.p, [e.n]);
  }

  private broadcast(e: LiveEvent): void {
    for (const set of this.subs.values()) for (const s of set) s.send(e);
    this.log?.debug('live_resync', { count: this.count });
  }
}
