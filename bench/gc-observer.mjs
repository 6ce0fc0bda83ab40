// Loaded into a process with `--import` (e.g. GATEWAY_NODE_ARGS="--import ./bench/gc-observer.mjs"
// for the fuzz's gateway): records every garbage-collection pause and, at exit, writes the count, the
// longest pauses and their kinds to GC_OBSERVER_OUT (default /tmp/gc-observer-<pid>.json).
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { writeFileSync } from 'node:fs';

const KINDS = { [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major', [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor', [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental', [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb' };
const pauses = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) pauses.push([e.duration, KINDS[e.detail?.kind] ?? String(e.detail?.kind)]);
}).observe({ entryTypes: ['gc'] });
process.on('exit', () => {
  pauses.sort((a, b) => b[0] - a[0]);
  const total = pauses.reduce((s, p) => s + p[0], 0);
  const out = { count: pauses.length, totalMs: Math.round(total), over50: pauses.filter((p) => p[0] > 50).length, over20: pauses.filter((p) => p[0] > 20).length, worst: pauses.slice(0, 10).map(([ms, k]) => `${ms.toFixed(1)} ${k}`) };
  writeFileSync(process.env.GC_OBSERVER_OUT ?? `/tmp/gc-observer-${process.pid}.json`, JSON.stringify(out));
});
