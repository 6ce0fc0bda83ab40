// src/http: the web layer. Composes every domain's routes into one Hono app, owns authentication,
// scope checks (one route table and its gate), the one mapping from errors to HTTP status, and the
// OpenAPI document made from the route table (GET /openapi.json).
export { createApp } from './app.js';
export type { AppDeps } from './app.js';
export type { HttpEnv } from './gate.js';
export { MAX_JSON_DEPTH, matchRoute, routeTable } from './routes.js';
export type { OperationScope, RouteAccess, RouteRule } from './routes.js';
