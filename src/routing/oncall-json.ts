import type { PractitionerRef } from './assignment.js';
import { formatInstant } from '../time/index.js';
import type { OncallResult } from './oncall.js';

/**
 * The exact shape printed by `switchboard oncall ROLE [--at ISO-8601] --json` and `GET /oncall`.
 * `at` is ISO 8601 in the schedule's zone with its offset, so it is both exact and local.
 */
export interface OncallJson {
  readonly role: string;
  readonly at: string;
  readonly primary: PractitionerRef | null;
  readonly backups: readonly PractitionerRef[];
  readonly escalation: readonly { readonly step: number; readonly targets: readonly PractitionerRef[]; readonly waitMinutes: number }[];
}

const ref = (p: PractitionerRef): PractitionerRef => ({ id: p.id, name: p.name });

export const toOncallJson = (r: OncallResult): OncallJson => ({
  role: r.role.id,
  at: formatInstant(r.at, r.timeZone),
  primary: r.primary === null ? null : ref(r.primary.practitioner),
  backups: r.backups.map((b) => ref(b.practitioner)),
  escalation: r.escalation.map((s) => ({ step: s.step, targets: s.targets.map(ref), waitMinutes: s.waitMinutes })),
});
