// switchboard_event_loop_delay_seconds: the worst and the 99th-percentile delay since the previous
// scrape, past the sampling resolution. Fed from a RecordableHistogram, so no timing is involved.
import { createHistogram } from 'node:perf_hooks';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { EVENT_LOOP_DELAY_METRIC, registerEventLoopDelay } from '../../src/obs/index.js';

const MS = 1e6; // the histogram records nanoseconds

async function read(registry: Registry): Promise<Record<string, number>> {
  const m = await registry.getSingleMetric(EVENT_LOOP_DELAY_METRIC)!.get();
  return Object.fromEntries(m.values.map((v) => [String(v.labels.stat), v.value]));
}

describe(EVENT_LOOP_DELAY_METRIC, () => {
  it('reports max, p99 and p50 of the samples past the resolution, in seconds', async () => {
    const registry = new Registry();
    const h = createHistogram();
    registerEventLoopDelay(registry, { histogram: h, resolutionMs: 10 });
    for (let i = 0; i < 990; i++) h.record(11 * MS); // 1 ms late
    for (let i = 0; i < 10; i++) h.record(60 * MS); // 50 ms late: the top 1%
    h.record(260 * MS); // one stall of 250 ms
    const v = await read(registry);
    expect(v.max).toBeCloseTo(0.25, 2);
    expect(v.p99).toBeCloseTo(0.05, 2);
    expect(v.p50).toBeCloseTo(0.001, 3);
  });

  it('starts over at each scrape: a stall is reported once, then the next interval', async () => {
    const registry = new Registry();
    const h = createHistogram();
    registerEventLoopDelay(registry, { histogram: h, resolutionMs: 10 });
    h.record(510 * MS);
    expect((await read(registry)).max).toBeCloseTo(0.5, 2);
    h.record(12 * MS);
    expect((await read(registry)).max).toBeCloseTo(0.002, 3);
  });

  it('reads 0 for an interval without samples, and never a negative delay', async () => {
    const registry = new Registry();
    const h = createHistogram();
    registerEventLoopDelay(registry, { histogram: h, resolutionMs: 10 });
    expect(await read(registry)).toEqual({ max: 0, p99: 0, p50: 0 });
    h.record(9 * MS); // a tick a little early
    expect((await read(registry)).max).toBe(0);
  });

  it('is exposed in the Prometheus text format with the monitor of this process', async () => {
    const registry = new Registry();
    const loop = registerEventLoopDelay(registry);
    try {
      await new Promise((r) => setTimeout(r, 50));
      const text = await registry.metrics();
      expect(text).toMatch(new RegExp(`^${EVENT_LOOP_DELAY_METRIC}\\{stat="max"\\} \\d`, 'm'));
      expect(text).toMatch(new RegExp(`^${EVENT_LOOP_DELAY_METRIC}\\{stat="p99"\\} \\d`, 'm'));
    } finally {
      loop.stop();
    }
  });
});
