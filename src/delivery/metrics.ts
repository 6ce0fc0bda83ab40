// Delivery's Prometheus metrics, on the gateway's registry. Labels are channels, outcomes, kinds and
// alert reasons — never ids or content.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface DeliveryMetrics {
  lateness: Histogram<'kind'>;
  steps: Counter;
  alerts: Counter<'reason'>;
  attempts: Counter<'channel' | 'outcome'>;
  deadLetters: Gauge;
  outboxPending: Gauge;
  overdue: Gauge;
  heartbeatAge: Gauge;
  liveConnections: Gauge;
}

export function createDeliveryMetrics(registry: Registry): DeliveryMetrics {
  const registers = [registry];
  return {
    lateness: new Histogram({
      name: 'switchboard_delivery_timer_lateness_seconds', help: 'Fire time minus due time of escalation timers (step, digest, renotify) and outbox sends',
      labelNames: ['kind'], registers, buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
    }),
    steps: new Counter({ name: 'switchboard_delivery_steps_fired_total', help: 'Escalation steps fired', registers }),
    alerts: new Counter({ name: 'switchboard_delivery_alerts_total', help: 'Escalations that could not page anyone as asked (nobody_oncall, no_chain, unacknowledged)', labelNames: ['reason'], registers }),
    attempts: new Counter({ name: 'switchboard_delivery_attempts_total', help: 'Channel sends by outcome (delivered, retry, dead, skipped)', labelNames: ['channel', 'outcome'], registers }),
    deadLetters: new Gauge({ name: 'switchboard_delivery_dead_letters', help: 'Outbox rows given up on, waiting for replay (sampled)', registers }),
    outboxPending: new Gauge({ name: 'switchboard_delivery_outbox_pending', help: 'Outbox rows scheduled or being sent (sampled)', registers }),
    overdue: new Gauge({ name: 'switchboard_delivery_timer_overdue_seconds', help: 'How far past due the oldest unfired timer is (0 when none is late; sampled)', registers }),
    heartbeatAge: new Gauge({ name: 'switchboard_delivery_scheduler_heartbeat_age_seconds', help: "Since this process's scheduler last completed a round", registers }),
    liveConnections: new Gauge({ name: 'switchboard_delivery_live_connections', help: 'Open Server-Sent Events connections of providers', registers }),
  };
}
