// Shared pieces of the delivery chaos tests: many active escalations on a test database, a webhook
// receiver counting what arrives per (message, step), and what the store says each step's lateness was.
import type { CommunicationRequest } from 'fhir/r4.js';
import { saveResources } from '../../src/fhir/index.js';
import { startEscalations, type EscalationStart } from '../../src/delivery/index.js';
import { saveSchedule } from '../../src/oncall/index.js';
import type { Sql } from '../../src/store/index.js';
import { SECRET } from '../delivery/support.js';
import type { Receiver } from '../delivery/receiver.js';

/** Role `ward` (one person always), backup dr-cole, fallback sup-dale; steps `wait` apart. */
export async function saveChaosSchedule(sql: Sql, base: string, wait: string): Promise<void> {
  const hook = (who: string) => ({ kind: 'webhook' as const, address: `${base}/${who}`, secret: SECRET });
  const saved = await saveSchedule(sql, {
    version: 1, timeZone: 'UTC',
    practitioners: [
      { id: 'dr-ames', name: 'Dr. Ames', channels: [hook('ames')] },
      { id: 'dr-cole', name: 'Dr. Cole', channels: [hook('cole')] },
      { id: 'sup-dale', name: 'Supervisor Dale', channels: [hook('dale')] },
    ],
    groups: [{ id: 'supervisors', members: ['sup-dale'] }],
    roles: [{ id: 'ward', name: 'Ward', escalationPolicy: 'chaos', layers: [{ id: 'all', practitioner: 'dr-ames' }], backups: [{ id: 'b', practitioner: 'dr-cole' }] }],
    escalationPolicies: [{ id: 'chaos', steps: [{ targets: [{ kind: 'role' }], wait }, { targets: [{ kind: 'backups' }], wait }], fallback: { targets: [{ kind: 'group', group: 'supervisors' }] } }],
    routing: { rules: [], default: { role: 'ward' } },
  }, { by: 'test', now: new Date(), fhirView: false });
  if (!saved.ok) throw new Error(JSON.stringify(saved.error));
}

/** Stores `n` active CommunicationRequests and starts their runs in one transaction (as the pipeline would). */
export async function startMany(sql: Sql, n: number, prefix: string): Promise<string[]> {
  const now = new Date();
  const ids = Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
  await sql.begin(async (tx) => {
    const crs: CommunicationRequest[] = ids.map((id) => ({ resourceType: 'CommunicationRequest', id, status: 'active', priority: 'stat', subject: { reference: 'Patient/p-1' } }));
    await saveResources(tx, crs, { now });
    const starts: EscalationStart[] = ids.map((id) => ({ requestId: id, inboxId: null, priority: 'stat', role: 'ward', policy: 'chaos', directTo: null, routedTo: null, receivedAt: now }));
    await startEscalations(tx, starts, now);
  });
  return ids;
}

/** What arrived, per (message, step): how many requests, and how many distinct webhook-ids. */
export function arrivals(r: Receiver): Map<string, { count: number; ids: Set<string> }> {
  const out = new Map<string, { count: number; ids: Set<string> }>();
  for (const x of r.received) {
    const b = JSON.parse(x.body) as { messageId: string; step: number };
    const key = `${b.messageId}#${b.step}`;
    const e = out.get(key) ?? { count: 0, ids: new Set<string>() };
    e.count++;
    e.ids.add(x.id);
    out.set(key, e);
  }
  return out;
}

export interface StepLateness {
  /** per step: fire time minus due time (the previous step's fire time plus the wait), ms */
  lateMs: Map<number, number[]>;
  /** notifications per (request, step): must all be 1 */
  counts: number[];
}

/** From the store: each step's lateness, and that each (request, step) was notified once. */
export async function stepLateness(sql: Sql, prefix: string, waitMs: number): Promise<StepLateness> {
  const rows = await sql<{ request_id: string; seq: number; created_at: Date; n: number }[]>`
    SELECT request_id, seq, min(created_at) AS created_at, count(*)::int AS n FROM delivery_notification
    WHERE request_id LIKE ${`${prefix}-%`} AND kind = 'step' GROUP BY request_id, seq ORDER BY request_id, seq`;
  const runs = await sql<{ request_id: string; created_at: Date }[]>`SELECT request_id, created_at FROM delivery_run WHERE request_id LIKE ${`${prefix}-%`}`;
  const started = new Map(runs.map((r) => [r.request_id, r.created_at.getTime()]));
  const fired = new Map(rows.map((r) => [`${r.request_id}#${r.seq}`, r.created_at.getTime()]));
  const lateMs = new Map<number, number[]>();
  for (const r of rows) {
    const due = r.seq === 1 ? started.get(r.request_id)! : fired.get(`${r.request_id}#${r.seq - 1}`)! + waitMs;
    const list = lateMs.get(r.seq) ?? [];
    list.push(r.created_at.getTime() - due);
    lateMs.set(r.seq, list);
  }
  return { lateMs, counts: rows.map((r) => r.n) };
}

export const max = (xs: readonly number[]): number => xs.reduce((a, b) => Math.max(a, b), -Infinity);

/** The q-quantile (nearest rank). */
export const pct = (xs: readonly number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? NaN;
};

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
