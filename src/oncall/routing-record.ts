/**
 * What the worker stores in `inbox.routing` for each routed message: the decision, the chain and
 * the explanation, with the schedule version it was made from, so "why did Dr X get paged at
 * 02:00" is answerable later even after the schedule changed. Ids, names and contacts only.
 */
import { toOncallJson, type OncallJson, type RouteDecision } from '../routing/index.js';
import { formatInstant } from '../time/index.js';

export interface RoutingRecord {
  readonly scheduleVersion: number;
  readonly rule: string;
  readonly recipient:
    | { readonly kind: 'provider'; readonly practitioner: string; readonly as: 'ordering' | 'attending' }
    | { readonly kind: 'role'; readonly role: string; readonly coveringFor?: string };
  readonly policy: string;
  readonly decidedAt: string;
  readonly oncall: OncallJson;
  readonly explanation: string;
}

export const toRoutingRecord = (d: RouteDecision, scheduleVersion: number): RoutingRecord => ({
  scheduleVersion,
  rule: d.rule,
  recipient:
    d.recipient.kind === 'provider'
      ? { kind: 'provider', practitioner: d.recipient.practitioner.id, as: d.recipient.as }
      : { kind: 'role', role: d.recipient.role, ...(d.recipient.coveringFor === undefined ? {} : { coveringFor: d.recipient.coveringFor.id }) },
  policy: d.oncall.policy,
  decidedAt: formatInstant(d.oncall.at, d.oncall.timeZone),
  oncall: toOncallJson(d.oncall),
  explanation: d.explanation,
});
