// src/delivery: escalation runs, timers in PostgreSQL, channels (provider inbox with live updates,
// Web Push, signed webhooks), receipts and FHIR Communications.
export { escalationStarts, startEscalations, type HoldDefaults, type HoldSettings, type StartOptions, type Started } from './start.js';
export type { EscalationStart } from './start.js';
export { DeliveryService, DELIVERY_DEFAULTS } from './service.js';
export type { DeliveryConfig, DeliveryServiceOptions } from './service.js';
export type { Poke, Readiness } from './scheduler.js';
export type { Clock } from './fire.js';
export type { NotificationPayload } from './payload.js';
export { READ_EXTENSION, ACKNOWLEDGED_EXTENSION } from './communication.js';
export { acknowledge, forward, markFetched, markLiveDelivered, markRead, resolve, respond } from './receipts.js';
export type { ActionContext } from './receipts.js';
export { getDeadLetter, listDeadLetters, replayDeadLetter } from './dead-letters.js';
export type { DeadLetter } from './dead-letters.js';
export { createDeliveryApp, deliveryApi, REPLY_MAX_CHARS } from './http.js';
export type { DeliveryEnv } from './http.js';
export { PROVIDER_SCOPE, patientsOf, practitionerOf } from './inbox.js';
