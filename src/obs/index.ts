
export { createLogger } from './log.js';
export type { Logger } from './log.js';
export { createMetrics } from './metrics.js';
export type { Metrics } from './metrics.js';
export { EVENT_LOOP_DELAY_METRIC, EVENT_LOOP_RESOLUTION_MS, registerEventLoopDelay } from './event-loop.js';
export type { DelayHistogram, EventLoopDelay } from './event-loop.js';
