// How long the event loop was kept from running, as the gateway's own metric: one thread answers
// MLLP, HTTP and /healthz, so any work that holds it (a parse, a map, a JSON.parse of a huge body)
// delays every answer by as much. Node's monitorEventLoopDelay samples the loop with a timer; every
// scrape reads the samples since the previous scrape and starts over, so the gauges are the worst
// and the 99th-percentile delay of the last scrape interval (prom-client's nodejs_eventloop_lag_*
// defaults do the same under their own names, with the timer's resolution included).
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Gauge, type Registry } from 'prom-client';

/**
 * Sampling timer of the monitor, ms. Each sample is the time between two ticks of this timer, so a
 * stall shows as itself plus up to one resolution; 10 ms costs nothing measurable and resolves the
 * 100 ms goal tenfold.
 */
export const EVENT_LOOP_RESOLUTION_MS = 10;

export const EVENT_LOOP_DELAY_METRIC = 'switchboard_event_loop_delay_seconds';

/** What the gauges read from: Node's IntervalHistogram, or a RecordableHistogram (perf_hooks.createHistogram) in tests. */
export type DelayHistogram = Pick<IntervalHistogram, 'count' | 'max' | 'percentile' | 'reset'>;

export interface EventLoopDelay {
  /** Stops the sampling timer (gateway shutdown). */
  stop(): void;
}

/**
 * Registers `switchboard_event_loop_delay_seconds{stat="max"|"p99"|"p50"}` on the registry: the
 * delay past the sampling resolution since the previous scrape (0 when no sample was taken). The
 * histogram is reset at each scrape, so two scrapers each see the interval since the other's scrape.
 */
export function registerEventLoopDelay(registry: Registry, opts: { histogram?: DelayHistogram; resolutionMs?: number } = {}): EventLoopDelay {
  const resolutionMs = opts.resolutionMs ?? EVENT_LOOP_RESOLUTION_MS;
  let monitor: IntervalHistogram | undefined;
  let histogram = opts.histogram;
  if (!histogram) {
    monitor = monitorEventLoopDelay({ resolution: resolutionMs });
    monitor.enable();
    histogram = monitor;
  }
  const h = histogram;
  // a sample is tick-to-tick time: the resolution itself is not delay
  const delay = (ns: number) => Math.max(0, ns / 1e6 - resolutionMs) / 1000;
  new Gauge({
    name: EVENT_LOOP_DELAY_METRIC,
    help: `Event loop delay since the previous scrape, seconds (past the ${resolutionMs} ms sampling resolution): max, p99, p50`,
    labelNames: ['stat'],
    registers: [registry],
    collect() {
      const empty = h.count === 0;
      this.set({ stat: 'max' }, empty ? 0 : delay(h.max));
      this.set({ stat: 'p99' }, empty ? 0 : delay(h.percentile(99)));
      this.set({ stat: 'p50' }, empty ? 0 : delay(h.percentile(50)));
      h.reset();
    },
  });
  return { stop: () => monitor?.disable() };
}
