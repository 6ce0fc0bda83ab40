
export { createLogger } from './log.js';
export type { Logger } from './log.js';
export { createMetrics } from './metrics.js';
export type { Metrics } from './metrics.js';
