// The audit trail of the web layer (README "Audit trail"): one place that records every PHI read and
// every state change made over HTTP — FHIR reads and searches (with the ids returned and their
// patients), the inbox and rejected views, the provider's /me/messages, timelines, schedule changes,
// dead-letter replays — once the response's status is known, whoever answered it (a handler, or the
// gate refusing with 403). Reads fail closed: a read whose audit row cannot be committed answers 503
// instead of the PHI. Changes already made keep their answer (their own rows are in the delivery
// transactions); the failure is logged with its code.
import { randomUUID } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import type { AuditAction, AuditEventInput, AuditWriter } from '../audit/index.js';
import type { Logger } from '../obs/index.js';
import { unavailable } from '../outcome/index.js';
import { readRequestHeads, type Sql, type StoreHealth } from '../store/index.js';
import type { HttpEnv } from './gate.js';

export interface AuditMiddlewareDeps {
  sql: Sql;
  writer: AuditWriter;
  log: Logger;
  /** the store's health flag: a frozen store fails the audit row at once (a read then answers 503) instead of holding the answer */
  health?: StoreHealth;
}

/** What a route's request is, for the trail: undefined = not recorded (health, metrics, schedules read, ...). */
interface Audited {
  type: string;
  action: AuditAction;
  entityType: string | null;
  entityIds: string[];
  /** how to find the patients: from the response body, from the message (CommunicationRequest) id, or none */
  patients: 'fhir' | 'messages' | 'message' | 'none';
}

const seg = (path: string): string[] => path.split('/').filter((s) => s !== '');
/** Ids we record are ids (FHIR id syntax or a number): request text that is not one is left out. */
const ID = /^[A-Za-z0-9\-.]{1,64}$/;
const ids = (...xs: (string | undefined)[]): string[] => xs.filter((x): x is string => x !== undefined && ID.test(x));

/** The route's audit class, from method and path (the route table's families). */
export function classify(method: string, path: string): Audited | undefined {
  const s = seg(path);
  const [a, b, c, d] = s;
  const get = method === 'GET' || method === 'HEAD';
  if (a === 'fhir' && get && b !== undefined && b !== 'metadata') {
    const type = ID.test(b) ? b : 'unknown';
    const audit = b === 'AuditEvent';
    if (c === undefined) return { type: audit ? 'audit.search' : 'phi.search', action: 'R', entityType: type, entityIds: [], patients: audit ? 'none' : 'fhir' };
    return { type: audit ? 'audit.read' : 'phi.read', action: 'R', entityType: type, entityIds: ids(c), patients: audit ? 'none' : 'fhir' };
  }
  if ((a === 'inbox' || a === 'rejected') && get) return { type: 'phi.read', action: 'R', entityType: a, entityIds: ids(b), patients: 'none' };
  if (a === 'inbox' && method === 'POST' && c === 'retry') return { type: 'inbox.retried', action: 'E', entityType: 'inbox', entityIds: ids(b), patients: 'none' };
  if (a === 'me' && b === 'messages') {
    if (get && c === undefined) return { type: 'phi.search', action: 'R', entityType: 'CommunicationRequest', entityIds: [], patients: 'messages' };
    if (get) return { type: 'phi.read', action: 'R', entityType: 'CommunicationRequest', entityIds: ids(c), patients: 'message' };
    if (method === 'POST' && d !== undefined) return { type: `message.${d}`, action: d === 'reply' || d === 'forward' ? 'C' : 'U', entityType: 'CommunicationRequest', entityIds: ids(c), patients: 'message' };
  }
  if (a === 'messages' && d === undefined && c === 'timeline' && get) return { type: 'phi.read', action: 'R', entityType: 'CommunicationRequest', entityIds: ids(b), patients: 'message' };
  if (a === 'schedule' && (method === 'PUT' || method === 'POST' || method === 'DELETE')) {
    return { type: 'schedule.changed', action: method === 'DELETE' ? 'D' : 'U', entityType: 'schedule', entityIds: s.slice(1).filter((x) => ID.test(x)).slice(0, 4), patients: 'none' };
  }
  if (a === 'delivery' && b === 'dead-letters' && method === 'POST' && d === 'replay') return { type: 'delivery.replay_requested', action: 'E', entityType: 'dead-letter', entityIds: ids(c), patients: 'none' };
  return undefined;
}

const patientOfRef = (ref: unknown): string | undefined => {
  if (typeof ref !== 'string' || !ref.startsWith('Patient/')) return undefined;
  const id = ref.slice('Patient/'.length);
  return ID.test(id) ? id : undefined;
};

interface Found { id: string; patient: string | undefined }

/** A FHIR resource's id and its patient: a Patient is its own; else subject or patient when they name a Patient. */
function fhirFound(r: unknown): Found | undefined {
  if (typeof r !== 'object' || r === null) return undefined;
  const res = r as { resourceType?: unknown; id?: unknown; subject?: { reference?: unknown }; patient?: { reference?: unknown } };
  if (typeof res.id !== 'string' || !ID.test(res.id)) return undefined;
  if (res.resourceType === 'Patient') return { id: res.id, patient: res.id };
  return { id: res.id, patient: patientOfRef(res.subject?.reference) ?? patientOfRef(res.patient?.reference) };
}

/** Largest response body read back for ids: a searchset page of 200 resources fits. */
const MAX_SCAN_BYTES = 4 * 1024 * 1024;

async function responseJson(c: Context): Promise<unknown> {
  const type = c.res.headers.get('content-type') ?? '';
  if (!/json/.test(type) || Number(c.res.headers.get('content-length') ?? 0) > MAX_SCAN_BYTES) return undefined;
  try {
    const text = await c.res.clone().text();
    return text.length > MAX_SCAN_BYTES ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Found resources grouped per patient (one audit row each, so a patient's accounting finds them). */
function byPatient(found: readonly Found[]): Map<string | null, string[]> {
  const m = new Map<string | null, string[]>();
  for (const f of found) {
    const k = f.patient ?? null;
    m.set(k, [...(m.get(k) ?? []), f.id]);
  }
  return m;
}

async function found(c: Context, what: Audited, sql: Sql): Promise<Found[]> {
  if (c.res.status >= 300) return what.entityIds.map((id) => ({ id, patient: undefined }));
  if (what.patients === 'fhir') {
    const body = await responseJson(c) as { resourceType?: string; entry?: { resource?: unknown; search?: { mode?: string } }[] } | undefined;
    if (body?.resourceType === 'Bundle' && Array.isArray(body.entry)) {
      return body.entry.filter((e) => e.search?.mode !== 'outcome').map((e) => fhirFound(e.resource)).filter((f): f is Found => f !== undefined);
    }
    const one = fhirFound(body);
    return one ? [one] : [];
  }
  if (what.patients === 'messages') {
    const body = await responseJson(c) as { messages?: { id?: unknown; subject?: unknown }[] } | undefined;
    return (body?.messages ?? []).filter((m) => typeof m.id === 'string' && ID.test(m.id)).map((m) => ({ id: m.id as string, patient: patientOfRef(m.subject) }));
  }
  if (what.patients === 'message') {
    const heads = await readRequestHeads(sql, what.entityIds);
    return what.entityIds.map((id) => ({ id, patient: patientOfRef(heads.get(id)?.subject) }));
  }
  if (what.entityIds.length === 0 && (what.entityType === 'inbox' || what.entityType === 'rejected')) {
    const body = await responseJson(c);
    if (Array.isArray(body)) return body.map((r: { id?: unknown }) => (typeof r?.id === 'string' || typeof r?.id === 'number' ? String(r.id) : '')).filter((id) => ID.test(id)).map((id) => ({ id, patient: undefined }));
  }
  return what.entityIds.map((id) => ({ id, patient: undefined }));
}

function socketAddress(c: Context): string | null {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? null;
}

const REQUEST_ID = /^[A-Za-z0-9\-_.]{1,64}$/;

export function auditTrail(d: AuditMiddlewareDeps): MiddlewareHandler<HttpEnv> {
  return async (c, next) => {
    const given = c.req.header('x-request-id');
    const requestId = given !== undefined && REQUEST_ID.test(given) ? given : randomUUID();
    await next();
    c.res.headers.set('x-request-id', requestId);
    const what = classify(c.req.method, c.req.path);
    // an unauthenticated request has nobody to record (and would let anyone fill the trail)
    const principal = c.get('auth') as HttpEnv['Variables']['auth'] | undefined;
    // a 404 and a 503 (the store down: answered at once, and nothing could be written) disclosed and changed nothing
    if (!what || !principal || c.res.status === 404 || c.res.status === 503) return;
    const status = c.res.status;
    const provider = principal.scopes.includes('provider');
    const base = {
      at: new Date(), actor: provider ? principal.subject : `${principal.issuer}|${principal.subject}`, actorKind: provider ? 'practitioner' as const : 'user' as const,
      action: what.action, type: what.type, entityType: what.entityType, outcome: status < 400 ? 'success' as const : 'failure' as const,
      outcomeCode: String(status), source: socketAddress(c), requestId,
    };
    let events: AuditEventInput[] = [];
    const record = async () => {
      const groups = byPatient(await found(c, what, d.sql));
      events = groups.size === 0 ? [{ ...base, entityIds: what.entityIds, patient: null }] : [...groups].map(([patient, entityIds]) => ({ ...base, entityIds, patient }));
      await Promise.all(events.map((e) => d.writer.append(e)));
    };
    try {
      await (d.health ? d.health.guard(record) : record());
    } catch (e) {
      d.log.error('audit_append_failed', { errorCode: (e as { code?: string }).code, errorName: (e as Error).name, requestId });
      // fail closed for reads: no PHI leaves without its audit row
      if (what.action === 'R' && status < 400) {
        // drop the PHI response (and its headers) before the error answer is made
        c.res = undefined as unknown as Response;
        throw unavailable('the audit trail is unavailable; try again', { code: 'ERR_AUDIT_UNAVAILABLE' });
      }
    }
  };
}
