// src/pipeline: processing behind the ACK — claims stored inbox rows, maps them (inline or in worker
// threads with a time budget), routes the ones that need a human and saves each batch in one
// transaction that marks its rows processed (README "Processing (the pipeline)").
export { InboxWorker } from './worker.js';
export type { StageTimes, WorkerOptions } from './worker.js';
export { MapPool } from './map-pool.js';
export type { RowMapper } from './map-pool.js';
export { ProcessingThread, processingShares } from './processing-thread.js';
export type { ProcessingSetup, ProcessingThreadOptions } from './processing-thread.js';
export { SharedLane } from './shared-lane.js';
export type { Lane } from './shared-lane.js';
export type { WorkerMetrics } from './worker.js';
