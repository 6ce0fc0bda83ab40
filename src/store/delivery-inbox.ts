// The SQL of a provider's inbox: the messages addressed to one practitioner (a notification to
// them: an escalation step, a re-notification, a forward) or to a role they cover now, with their
// own receipts. Who covers which role is decided in src/delivery; this file only filters by it.
import type { Sql, TransactionSql } from './db.js';
import { openResource } from './phi.js';

type Queryable = Sql | TransactionSql;

export interface ProviderMessageRow {
  request_id: string;
  priority: string;
  state: string;
  step: number;
  role: string | null;
  created_at: Date;
  updated_at: Date;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  responded_at: Date | null;
  closed_at: Date | null;
  /** the CommunicationRequest's payload text (what, how much, which flag) */
  text: string | null;
  /** `Patient/<id>` */
  subject: string | null;
  /** this practitioner's receipts, over all their notifications of the message */
  notified_at: Date | null;
  delivered_at: Date | null;
  read_at: Date | null;
  /** addressed to them (a notification), rather than seen through a role they cover */
  addressed: boolean;
}

const OPEN_STATES = ['held', 'active', 'acknowledged', 'exhausted'];

/** Priority order: stat first (FHIR request-priority: routine < urgent < asap < stat). */
const RANK = "array_position(ARRAY['stat','asap','urgent','routine']::text[], r.priority)";

const select = (sql: Queryable, practitioner: string) => sql`
  SELECT r.request_id, r.priority, r.state, r.step, r.role, r.created_at, r.updated_at, r.acknowledged_at, r.acknowledged_by,
         r.responded_at, r.closed_at, f.id AS f_id, f.version_id AS f_version_id, f.last_updated AS f_last_updated, f.body AS f_body,
         f.resource AS f_resource, f.subject,
         m.notified_at, m.delivered_at, m.read_at, m.notified_at IS NOT NULL AS addressed
  FROM delivery_run r
  LEFT JOIN fhir_resource f ON f.resource_type = 'CommunicationRequest' AND f.id = r.request_id
  LEFT JOIN LATERAL (
    SELECT min(n.created_at) AS notified_at, min(n.delivered_at) AS delivered_at, max(n.read_at) AS read_at
    FROM delivery_notification n WHERE n.request_id = r.request_id AND n.recipient = ${practitioner}
  ) m ON true`;

/** The request's row as selected: its sealed body, opened here for the payload text (phi.ts). */
type SelectedRow = Omit<ProviderMessageRow, 'text'> & { f_id: string | null; f_version_id: number; f_last_updated: Date; f_body: Buffer | null; f_resource: unknown };

function withText(r: SelectedRow): ProviderMessageRow {
  const { f_id, f_version_id, f_last_updated, f_body, f_resource, ...row } = r;
  if (f_id === null) return { ...row, text: null };
  const cr = openResource({ resource_type: 'CommunicationRequest', id: f_id, version_id: f_version_id, last_updated: f_last_updated, body: f_body, resource: f_resource }) as { payload?: { contentString?: unknown }[] };
  const text = cr.payload?.[0]?.contentString;
  return { ...row, text: typeof text === 'string' ? text : null };
}

/** The messages a practitioner may see: addressed to them, or (open ones) to a role they cover now. Most urgent first, newest first. */
export async function listProviderMessages(sql: Queryable, o: { practitioner: string; roles: readonly string[]; open: boolean; limit: number }): Promise<ProviderMessageRow[]> {
  const rows = await sql<SelectedRow[]>`
    ${select(sql, o.practitioner)}
    WHERE (m.notified_at IS NOT NULL OR (r.role = ANY(${o.roles as string[]}) AND r.state = ANY(${OPEN_STATES})))
      AND (${!o.open} OR r.state = ANY(${OPEN_STATES}))
    ORDER BY ${sql.unsafe(RANK)}, r.created_at DESC, r.request_id
    LIMIT ${o.limit}`;
  return rows.map(withText);
}

/**
 * The patients (ids) of the messages a practitioner may see (same rule as the list, every message
 * addressed to them, open or not): what their FHIR reads are limited to.
 */
export async function listProviderPatients(sql: Queryable, o: { practitioner: string; roles: readonly string[] }): Promise<string[]> {
  // two index-served halves (delivery_notification_recipient; delivery_run_role, whose partial
  // predicate the literal state list matches), not one OR over every run
  const rows = await sql<{ subject: string }[]>`
    SELECT f.subject FROM delivery_notification n
    JOIN fhir_resource f ON f.resource_type = 'CommunicationRequest' AND f.id = n.request_id
    WHERE n.recipient = ${o.practitioner} AND f.subject LIKE 'Patient/%'
    UNION
    SELECT f.subject FROM delivery_run r
    JOIN fhir_resource f ON f.resource_type = 'CommunicationRequest' AND f.id = r.request_id
    WHERE r.role = ANY(${o.roles as string[]}) AND r.state IN ('held', 'active', 'acknowledged', 'exhausted') AND f.subject LIKE 'Patient/%'`;
  return rows.map((r) => r.subject.slice('Patient/'.length));
}

/** One message, when the practitioner may see it (same rule as the list); undefined otherwise. */
export async function getProviderMessage(sql: Queryable, o: { practitioner: string; roles: readonly string[]; requestId: string }): Promise<ProviderMessageRow | undefined> {
  const [r] = await sql<SelectedRow[]>`
    ${select(sql, o.practitioner)}
    WHERE r.request_id = ${o.requestId}
      AND (m.notified_at IS NOT NULL OR (r.role = ANY(${o.roles as string[]}) AND r.state = ANY(${OPEN_STATES})))`;
  return r && withText(r);
}
