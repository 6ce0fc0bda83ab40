// The HTTP surface (Hono): each domain's routes are a sub-app composed here with `app.route`; this
// layer owns what is common to all of them — security headers, the one route table with its
// authentication, scope and body checks (routes.ts, gate.ts), the one mapping from errors to
// statuses (error-response.ts), and the OpenAPI document made from the table (openapi.ts). Health,
// readiness, metrics and /openapi.json are served here.
import { Hono, type Context } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { pingStore, type Sql, type StoreHealth } from '../store/index.js';
import type { Logger, Metrics } from '../obs/index.js';
import { clientAddress, createIngestApp, ingestApi, queueDepth, type Hl7Intake, type InboxWriter } from '../ingest/index.js';
import { CALL_NOTE_MAX_BYTES } from '../calls/index.js';
import { createFhirApp } from '../fhir/index.js';
import { createOncallApp, oncallApi, type ScheduleService } from '../oncall/index.js';
import { createDeliveryApp, deliveryApi, patientsOf, type DeliveryService } from '../delivery/index.js';
import { createLocalSignInApp, createSignInApp, localSignInApi, signInApi, type LocalSignInDeps, type SignInDeps, type TokenVerifier } from '../auth/index.js';
import { FHIR_JSON, outcome } from '../outcome/index.js';
import { createOnError } from './error-response.js';
import { gate, type HttpEnv } from './gate.js';
import { buildOpenApiDocument } from './openapi.js';
import { routeTable } from './routes.js';
import { auditTrail } from './audit.js';
import type { AuditWriter } from '../audit/index.js';

export interface AppDeps {
  sql: Sql;
  intake: Hl7Intake;
  writer: InboxWriter;
  metrics: Metrics;
  log: Logger;
  verifier: TokenVerifier | null;
  maxHl7Bytes: number;
  schedules: ScheduleService;
  /** delivery: its routes (/me..., /messages/:id/timeline, /delivery/...) and the scheduler's readiness */
  delivery?: DeliveryService;
  /** Where clients reach this server (PUBLIC_BASE_URL, e.g. https://sb.example): FHIR links are built on it, never on a request's Host. */
  publicBaseUrl: string;
  /** Send Strict-Transport-Security: the API is served over HTTPS (built in, or a TLS proxy in front). */
  hsts: boolean;
  /** CapabilityStatement.date (default: when the app was created) */
  startedAt?: Date;
  version?: string;
  /** the store's health flag: while down, store-backed routes answer 503 at once (src/store/health.ts) */
  health?: StoreHealth;
  /** proxies whose X-Forwarded-For names the client of POST /hl7 (TRUST_PROXY); none by default */
  trustProxy?: readonly string[];
  /** OpenID Connect sign-in and session cookies (src/auth/session-app.ts); none: bearer tokens only */
  signIn?: SignInDeps & { cookieName: string };
  /** local accounts' sign-in (src/auth/local-app.ts), sharing signIn's sessions and cookie */
  localSignIn?: Omit<LocalSignInDeps, 'addressOf'>;
  /** the audit trail's writer: PHI reads and changes over HTTP are recorded (src/http/audit.ts) */
  audit?: AuditWriter;
}

/** HSTS for a year on every subdomain (RFC 6797 6.1), once HTTPS is how clients reach us. */
const HSTS = 'max-age=31536000; includeSubDomains';

/**
 * OWASP secure headers for a JSON API: nothing may be loaded or framed from a response (CSP
 * default-src 'none', frame-ancestors 'none', X-Frame-Options DENY), no type sniffing, no Referer, and
 * no caching of responses that carry PHI. `overwrite: false` lets a route that serves a page set its own.
 */
function securityHeaders(hsts: boolean) {
  return secureHeaders({
    contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] },
    xFrameOptions: 'DENY',
    referrerPolicy: 'no-referrer',
    xContentTypeOptions: 'nosniff',
    strictTransportSecurity: hsts ? HSTS : false,
    overwrite: false,
  });
}

export function createApp(d: AppDeps): Hono<HttpEnv> {
  const app = new Hono<HttpEnv>();
  app.use('*', securityHeaders(d.hsts));
  app.use('*', async (c, next) => {
    await next();
    if (!c.res.headers.has('cache-control')) c.res.headers.set('cache-control', 'no-store');
  });
  app.onError(createOnError(d.log));
  app.notFound((c) => c.json(outcome('not-found', 'no such route'), 404, { 'content-type': FHIR_JSON }));
  // outside the gate, so a refusal (403) is recorded too
  if (d.audit) app.use('*', auditTrail({ sql: d.sql, writer: d.audit, log: d.log, ...(d.health ? { health: d.health } : {}) }));
  const table = routeTable({ maxHl7Bytes: d.maxHl7Bytes, maxCallBytes: CALL_NOTE_MAX_BYTES });
  app.use('*', gate(table, d.verifier, d.signIn ? { cookieName: d.signIn.cookieName, manager: d.signIn.sessions } : undefined));
  // made once, at start: a row without a description stops the gateway here, not at a request
  const openapi = JSON.stringify(buildOpenApiDocument(table, [ingestApi, oncallApi, deliveryApi, signInApi, localSignInApi], { version: d.version ?? '0.0.0' }));

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/openapi.json', (c) => c.body(openapi, 200, { 'content-type': 'application/json' }));
  app.get('/readyz', async (c) => {
    // with a health flag the ping has a deadline: a frozen store is reported within it
    const ready = d.health ? await d.health.ping() : await pingStore(d.sql).then(() => true, () => false);
    if (!ready) return c.json({ status: 'unavailable', reason: 'store unreachable' }, 503);
    // a stalled delivery scheduler, or timers nobody fires, means pages would be late: not ready
    const delivery = await d.delivery?.readiness().catch(() => ({ ok: false, reason: 'delivery readiness unknown' }));
    if (delivery && !delivery.ok) return c.json({ status: 'unavailable', reason: delivery.reason }, 503);
    return c.json({ status: 'ready' });
  });
  app.get('/metrics', async (c) => {
    try {
      const depth = await queueDepth(d.sql);
      for (const [state, n] of Object.entries(depth)) d.metrics.queueDepth.set({ state }, n);
    } catch { /* store down: serve the rest */ }
    return c.text(await d.metrics.registry.metrics(), 200, { 'content-type': d.metrics.registry.contentType });
  });

  // POST /hl7 answers with an HL7 ACK (AE when the store is down), which the intake builds itself
  if (d.health) app.use('*', storeGate(d.health, ['/hl7']));

  app.route('/', createIngestApp({ sql: d.sql, intake: d.intake, writer: d.writer, metrics: d.metrics, trustProxy: d.trustProxy ?? [] }));
  app.route('/fhir', createFhirApp({
    sql: d.sql, baseUrl: `${d.publicBaseUrl.replace(/\/+$/, '')}/fhir`,
    ...(d.startedAt ? { startedAt: d.startedAt } : {}), ...(d.version ? { version: d.version } : {}),
    // a provider's FHIR reads: the patients of the messages delivery shows them
    ...(d.delivery ? { patientsOf: providerPatientsOf(d.delivery) } : {}),
  }));
  app.route('/', createOncallApp({ sql: d.sql, service: d.schedules, log: d.log }));
  if (d.delivery) app.route('/', createDeliveryApp(d.delivery));
  const trustProxy = d.trustProxy ?? [];
  const addressOf = (c: Context) => clientAddress(socketAddress(c), c.req.header('x-forwarded-for'), trustProxy);
  if (d.signIn) app.route('/', createSignInApp({ ...d.signIn, addressOf }));
  if (d.localSignIn) app.route('/', createLocalSignInApp({ ...d.localSignIn, addressOf }));
  return app;
}

/** The patients of the messages a practitioner sees now (src/delivery's rule, by the current schedule). */
function providerPatientsOf(svc: DeliveryService): (practitioner: string) => Promise<string[]> {
  return async (practitioner) => patientsOf({ sql: svc.o.sql, compiled: await svc.compiled(), practitioner, now: svc.clock() });
}

/** The TCP peer of a request served by @hono/node-server (none for in-process app.request without an env). */
function socketAddress(c: Context): string | null {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? null;
}

/**
 * While the store is known down, a route that needs it answers 503 at once; one running when the
 * store goes down answers 503 then, instead of waiting for a frozen database.
 */
function storeGate(health: StoreHealth, skip: readonly string[]) {
  return async (c: Context, next: () => Promise<void>) => {
    if (skip.includes(c.req.path)) return next();
    await health.guard(next);
  };
}
