import type { Assignment } from './assignment.js';
import type { Provenance } from './coverage-source.js';
import { formatLocal } from '../time/index.js';

/**
 * Human-readable explanations stored with every routed message, e.g.
 * "rule 'critical-lab', role ob-oncall, Dr X on call via weekly rotation 'ob-weekly'
 *  (layer 'nights', shift 12, Mon 2025-03-10 19:00 – Tue 2025-03-11 07:00), override none".
 */

const periodWord = (days: number): string => (days === 7 ? 'weekly' : days === 1 ? 'daily' : days % 7 === 0 ? `${days / 7}-week` : `${days}-day`);

const when = (start: number, end: number, zone: string): string => {
  const s = Number.isFinite(start) ? formatLocal(start, zone) : '…';
  const e = Number.isFinite(end) ? formatLocal(end, zone) : '…';
  return `${s} – ${e}`;
};

const source = (p: Provenance): string =>
  p.kind === 'rotation'
    ? `${p.advance === 'per-window' ? 'per-window' : periodWord(p.periodDays)} rotation '${p.rotation}'`
    : p.kind === 'fixed'
      ? 'fixed assignment'
      : `scheduled shift #${p.index}`;

export const explainAssignment = (a: Assignment | null, zone: string): string => {
  if (a === null) return 'nobody on call (gap), override none';
  const who = a.practitioner.name;
  const span = when(a.start, a.end, zone);
  switch (a.via.kind) {
    case 'override':
      return `${who} on call via override '${a.via.override}'${a.via.reason === undefined ? '' : ` (${a.via.reason})`}, ${span}`;
    case 'layer':
      return `${who} on call via ${source(a.via.source)} (layer '${a.via.layer}'${a.via.source.kind === 'rotation' ? `, ${a.via.source.advance === 'per-window' ? 'turn' : 'shift'} ${a.via.source.shift}` : ''}, ${span}), override none`;
    case 'backup':
      return `${who} backup via ${source(a.via.source)} (backup '${a.via.backup}', ${span})`;
  }
};
