// src/http: the web layer. Composes every domain's routes into one Hono app, owns authentication,
// scope checks and the one mapping from errors to HTTP status.
export { createApp } from './app.js';
export type { AppDeps } from './app.js';
