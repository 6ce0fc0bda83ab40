// Delivery as the gateway composes it: settings, the shared schedule, the push channel (VAPID keys
// from the database), the scheduler loop and its readiness. One per gateway process; any number of
// processes share one database.
import type { Agent } from 'node:https';
import type { Registry } from 'prom-client';
import type { Logger } from '../obs/index.js';
import type { ScheduleService } from '../oncall/index.js';
import type { CompiledSchedule } from '../routing/index.js';
import type { Sql, TransactionSql } from '../store/index.js';
import type { DeliverySettings } from './decide.js';
import type { Clock, FireDeps } from './fire.js';
import { createDeliveryMetrics, type DeliveryMetrics } from './metrics.js';
import { openPushChannel, type PushChannel } from './push.js';
import { DeliveryScheduler, type Poke, type Readiness } from './scheduler.js';
import { LiveHub } from './live.js';
import { markLiveDelivered } from './receipts.js';
import type { SendSettings, SenderDeps } from './sender.js';

export interface DeliveryConfig extends DeliverySettings, SendSettings {
  readonly pollMs: number;
  readonly batch: number;
  readonly sendConcurrency: number;
  readonly stallMs: number;
  /** VAPID subject (mailto: or https:); null turns Web Push off */
  readonly vapidSubject: string | null;
}

/** Defaults, each overridable through the environment (src/config, README "Delivery"). */
export const DELIVERY_DEFAULTS: DeliveryConfig = {
  maxAgeMs: 24 * 3_600_000, // a day: a page about yesterday's result helps nobody, a visible expiry does
  startOfDay: '08:00',
  renotifyMax: 3,
  maxAttempts: 10, // ~4 min of backoff at 1 s doubling, capped at 60 s: the escalation has moved on by then
  baseMs: 1_000,
  maxMs: 60_000,
  webhookTimeoutMs: 5_000,
  leaseMs: 10_000, // the send timeout and 5 s to record it: a page claimed by a process that died goes out this much later
  publicBaseUrl: 'http://localhost:8080',
  pollMs: 5_000,
  batch: 200,
  sendConcurrency: 64,
  stallMs: 30_000,
  vapidSubject: 'mailto:operator@localhost',
};

export interface DeliveryServiceOptions {
  readonly sql: Sql;
  readonly schedules: ScheduleService;
  readonly config: DeliveryConfig;
  readonly clock?: Clock;
  readonly random?: () => number;
  readonly fetch?: typeof fetch;
  readonly log?: Logger;
  /** the gateway's metrics registry (delivery's metrics are added to it) */
  readonly registry?: Registry;
  /** sees every push and webhook body that leaves the gateway (tests scan them for PHI) */
  readonly onPayload?: (channel: string, body: string) => void;
  /** the HTTPS agent for push services (tests: one trusting a local push service) */
  readonly pushAgent?: Agent;
}

export class DeliveryService {
  readonly scheduler: DeliveryScheduler;
  readonly live: LiveHub;
  readonly metrics: DeliveryMetrics | undefined;
  readonly clock: Clock;

  private constructor(readonly o: DeliveryServiceOptions, readonly push: PushChannel | null) {
    this.clock = o.clock ?? Date.now;
    this.metrics = o.registry ? createDeliveryMetrics(o.registry) : undefined;
    const schedule = (): Promise<CompiledSchedule | undefined> => o.schedules.current().then((c) => c?.compiled);
    const fire: FireDeps = { sql: o.sql, clock: this.clock, schedule, settings: o.config, metrics: this.metrics, log: o.log };
    const send: SenderDeps = {
      sql: o.sql, clock: this.clock, schedule, settings: o.config, push,
      ...(o.random ? { random: o.random } : {}), ...(o.fetch ? { fetch: o.fetch } : {}), ...(o.onPayload ? { onPayload: o.onPayload } : {}),
      metrics: this.metrics, log: o.log,
    };
    this.live = new LiveHub(o.sql, (who, ids) => {
      markLiveDelivered(o.sql, who, ids, new Date(this.clock())).catch((e: unknown) => o.log?.warn('delivery_live_receipt_failed', { errorCode: (e as { code?: string }).code }));
    }, o.log, (n) => this.metrics?.liveConnections.set(n));
    this.scheduler = new DeliveryScheduler({ fire, send, pollMs: o.config.pollMs, batch: o.config.batch, sendConcurrency: o.config.sendConcurrency, stallMs: o.config.stallMs });
  }

  static async open(o: DeliveryServiceOptions): Promise<DeliveryService> {
    const now = new Date((o.clock ?? Date.now)());
    const push = o.config.vapidSubject === null ? null : await openPushChannel(o.sql, { subject: o.config.vapidSubject, timeoutMs: o.config.webhookTimeoutMs, agent: o.pushAgent }, now);
    return new DeliveryService(o, push);
  }

  /** The compiled current schedule (undefined: none stored). */
  async compiled(): Promise<CompiledSchedule | undefined> {
    return (await this.o.schedules.current())?.compiled;
  }

  async start(): Promise<void> {
    await this.live.start();
    await this.scheduler.start();
  }

  async stop(): Promise<void> {
    await this.scheduler.stop();
    await this.live.stop();
  }

  /**
   * Runs were started in this process: look now instead of waiting for the NOTIFY round trip.
   * `{ urgent: true }`: some are urgent (their first step goes out on the urgent lane, not after the
   * round under way); `{ urgent: false }`: none is; no argument: unknown, both look.
   */
  poke(what?: Poke): void {
    this.scheduler.poke(what);
  }

  /**
   * In the transaction that started urgent runs: fires their first steps there (DeliveryScheduler.fireUrgentIn);
   * call what it returns after the commit.
   */
  fireUrgentIn(tx: TransactionSql): Promise<() => void> {
    return this.scheduler.fireUrgentIn(tx);
  }

  readiness(): Promise<Readiness> {
    return this.scheduler.readiness();
  }
}
