// Shared pieces of the delivery tests: a small schedule whose webhook contacts point at a receiver
// the test chooses, an injected clock, a CommunicationRequest stored and its run started, and a
// delivery service over a test database.
import type { Agent } from 'node:https';
import type { CommunicationRequest } from 'fhir/r4.js';
import type { Registry } from 'prom-client';
import { saveResources } from '../../src/fhir/index.js';
import { DELIVERY_DEFAULTS, DeliveryService, startEscalations, type DeliveryConfig, type EscalationStart, type HoldSettings } from '../../src/delivery/index.js';
import { ScheduleService, saveSchedule } from '../../src/oncall/index.js';
import type { ScheduleInput } from '../../src/routing/index.js';
import type { Sql } from '../../src/store/index.js';
import { createMetrics } from '../../src/obs/metrics.js';

export const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/**
 * America/New_York. Role `ward`: a daily rotation handing off at 07:00 (dr-ames on even days from
 * 2025-03-01, dr-baker on odd), dr-cole always the backup. Policy `fast`: the role, then its backups,
 * each waiting 20 s, repeated once, then the supervisors; acknowledged messages expect a response
 * within a minute. Role `gap` has nobody (its rotation starts in 2030). Every contact is a webhook
 * to `${base}/<person>`, except dr-lane's ladder (push, then an SMS gateway, then a voice gateway).
 */
export function testSchedule(base: string): ScheduleInput {
  const hook = (who: string) => ({ kind: 'webhook' as const, address: `${base}/${who}`, secret: SECRET });
  return {
    version: 1,
    timeZone: 'America/New_York',
    practitioners: [
      { id: 'dr-ames', name: 'Dr. Ames', channels: [hook('ames')], startOfDay: '07:30' },
      { id: 'dr-baker', name: 'Dr. Baker', channels: [hook('baker')] },
      { id: 'dr-cole', name: 'Dr. Cole', channels: [hook('cole')] },
      { id: 'sup-dale', name: 'Supervisor Dale', channels: [hook('dale')] },
      { id: 'dr-lane', name: 'Dr. Lane', channels: [{ kind: 'push', address: 'app' }, hook('lane-sms'), hook('lane-voice'), { kind: 'pager', address: '5550100' }] },
    ],
    groups: [{ id: 'supervisors', members: ['sup-dale'] }],
    rotations: [
      { id: 'ward-daily', participants: ['dr-ames', 'dr-baker'], period: { unit: 'day', count: 1 }, handoffTime: '07:00', startDate: '2025-03-01' },
      { id: 'never', participants: ['dr-baker'], period: { unit: 'day', count: 1 }, handoffTime: '07:00', startDate: '2030-01-01' },
    ],
    roles: [
      { id: 'ward', name: 'Ward on call', escalationPolicy: 'fast', layers: [{ id: 'all', rotation: 'ward-daily' }], backups: [{ id: 'cole', practitioner: 'dr-cole' }] },
      { id: 'gap', name: 'Nobody covers', escalationPolicy: 'fast', layers: [{ id: 'none', rotation: 'never' }] },
      { id: 'ladder', name: 'Lane alone', escalationPolicy: 'laddered', layers: [{ id: 'lane', practitioner: 'dr-lane' }] },
      { id: 'rounds', name: 'Routine now', escalationPolicy: 'routine-now', layers: [{ id: 'all', rotation: 'ward-daily' }] },
    ],
    escalationPolicies: [
      {
        id: 'fast',
        steps: [{ targets: [{ kind: 'role' }], wait: 'PT20S' }, { targets: [{ kind: 'backups' }], wait: 'PT20S' }],
        repeat: 1,
        fallback: { targets: [{ kind: 'group', group: 'supervisors' }] },
        respondWithin: 'PT1M',
      },
      { id: 'laddered', steps: [{ targets: [{ kind: 'role' }], wait: 'PT10M', ladderWait: 'PT1M' }] },
      { id: 'routine-now', steps: [{ targets: [{ kind: 'role' }], waitMinutes: 5 }], routine: 'now' },
    ],
    routing: { rules: [], default: { role: 'ward' } },
  };
}

/** A clock the test moves. */
export class TestClock {
  constructor(public t: number) {}
  readonly now = (): number => this.t;
  set(iso: string): void { this.t = Date.parse(iso); }
  advance(ms: number): void { this.t += ms; }
}

export interface RecordedCall { url: string; headers: Record<string, string>; body: string }

/** A fetch that records each webhook and answers with `status(url)` (default 200). */
export function recordingFetch(status: (url: string, n: number) => number = () => 200): { fetch: typeof fetch; calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  const f = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    calls.push({ url, headers: Object.fromEntries(new Headers(init?.headers).entries()), body: String(init?.body ?? '') });
    return new Response(null, { status: status(url, calls.length) });
  }) as typeof fetch;
  return { fetch: f, calls };
}

export const TEST_CONFIG: DeliveryConfig = { ...DELIVERY_DEFAULTS, vapidSubject: 'mailto:test@example.org', publicBaseUrl: 'https://sb.example' };

export async function openDelivery(sql: Sql, opts: { base: string; clock: TestClock; fetch?: typeof fetch; config?: Partial<DeliveryConfig>; schedule?: ScheduleInput; onPayload?: (channel: string, body: string) => void; pushAgent?: Agent; registry?: Registry }) {
  const saved = await saveSchedule(sql, opts.schedule ?? testSchedule(opts.base), { by: 'test', now: new Date(opts.clock.t), fhirView: false });
  if (!saved.ok) throw new Error(`schedule: ${JSON.stringify(saved.error)}`);
  const schedules = new ScheduleService({ sql });
  const metrics = createMetrics();
  const service = await DeliveryService.open({
    sql, schedules, config: { ...TEST_CONFIG, ...opts.config }, clock: opts.clock.now, random: () => 0.5, registry: opts.registry ?? metrics.registry,
    ...(opts.fetch ? { fetch: opts.fetch } : {}), ...(opts.onPayload ? { onPayload: opts.onPayload } : {}), ...(opts.pushAgent ? { pushAgent: opts.pushAgent } : {}),
  });
  return { service, schedules, metrics };
}

let seq = 0;

/** Stores an active CommunicationRequest (as the pipeline would) and starts its run at the clock's now. */
export async function startRequest(sql: Sql, clock: TestClock, o: Partial<EscalationStart> & { status?: CommunicationRequest['status']; hold?: HoldSettings } = {}): Promise<string> {
  const id = o.requestId ?? `cr-${process.pid}-${++seq}`;
  const cr: CommunicationRequest = {
    resourceType: 'CommunicationRequest', id, status: o.status ?? 'active', priority: o.priority ?? 'stat',
    subject: { reference: 'Patient/p-1' }, payload: [{ contentString: 'Critical result: Potassium 6.8 mmol/L (HH)' }],
  };
  await sql.begin(async (tx) => {
    await saveResources(tx, [cr], { now: new Date(clock.t) });
    await startEscalations(tx, [{
      requestId: id, inboxId: null, priority: o.priority ?? 'stat', role: o.role === undefined ? 'ward' : o.role, policy: o.policy ?? 'fast',
      directTo: o.directTo ?? null, routedTo: o.routedTo ?? null, receivedAt: o.receivedAt ?? new Date(clock.t),
    }], new Date(clock.t), o.hold ? { hold: o.hold } : {});
  });
  return id;
}
