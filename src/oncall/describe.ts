/**
 * Human-readable text of an on-call answer, for `switchboard oncall ROLE` (pure): who is on call,
 * how they were chosen (override, or rotation + layer + shift), their shift window in the
 * schedule's zone, the backups, and the escalation chain with channels and waits.
 */
import type { Assignment, NextChange, OncallResult, OnCallStretch, Provenance } from '../routing/index.js';
import { formatLocal } from '../time/index.js';

const local = (t: number, zone: string): string => (Number.isFinite(t) ? formatLocal(t, zone, { zoneName: true }) : '…');

const periodWord = (days: number): string => (days === 7 ? 'weekly' : days === 1 ? 'daily' : `${days}-day`);

const source = (p: Provenance): string =>
  p.kind === 'rotation'
    ? p.advance === 'per-window'
      ? `per-window rotation '${p.rotation}', turn ${p.shift}`
      : `${periodWord(p.periodDays)} rotation '${p.rotation}', shift ${p.shift}`
    : p.kind === 'fixed'
      ? 'fixed assignment'
      : `scheduled shift #${p.index}`;

export const describeVia = (a: Assignment): string => {
  switch (a.via.kind) {
    case 'override':
      return `override '${a.via.override}'${a.via.reason === undefined ? '' : ` (${a.via.reason})`}`;
    case 'layer':
      return `${source(a.via.source)} (layer '${a.via.layer}')`;
    case 'backup':
      return `${source(a.via.source)} (backup '${a.via.backup}')`;
  }
};

const window = (a: Assignment, zone: string): string => `${local(a.start, zone)} – ${local(a.end, zone)}`;

const who = (a: Assignment | null): string => (a === null ? 'NOBODY (a gap in the schedule)' : `${a.practitioner.name} (${a.practitioner.id})`);

const stretch = (s: OnCallStretch, zone: string): string =>
  `${s.since === null ? 'since before the horizon' : `from ${local(s.since, zone)}`}${s.until === null ? ', no change within the horizon' : ` until ${local(s.until, zone)}`}`;

/** `switchboard oncall ROLE --next`: who is on call now, until when, and who takes over. */
export const describeNext = (r: NextChange, atText: string): string => {
  const zone = r.timeZone;
  const lines = [`${r.role.name} (${r.role.id}) at ${atText} [${zone}]`];
  lines.push(`now:   ${who(r.current.primary)}, ${stretch(r.current, zone)}`);
  if (r.current.primary !== null) lines.push(`       via ${describeVia(r.current.primary)}`);
  if (r.next === null) lines.push('next:  no change within the horizon');
  else {
    lines.push(`next:  ${who(r.next.primary)}, ${stretch(r.next, zone)}`);
    if (r.next.primary !== null) lines.push(`       via ${describeVia(r.next.primary)}`);
  }
  return lines.join('\n') + '\n';
};

export const describeOncall = (r: OncallResult, atText: string): string => {
  const zone = r.timeZone;
  const lines: string[] = [`${r.role.name} (${r.role.id}) at ${atText} [${zone}]`];
  if (r.primary === null) {
    lines.push('on call:  NOBODY — this instant is a gap in the schedule (run `switchboard schedule lint`)');
  } else {
    lines.push(`on call:  ${r.primary.practitioner.name} (${r.primary.practitioner.id})`);
    lines.push(`  via     ${describeVia(r.primary)}`);
    lines.push(`  shift   ${window(r.primary, zone)}`);
  }
  if (r.backups.length === 0) lines.push('backups:  none');
  else {
    lines.push('backups:');
    for (const b of r.backups) lines.push(`  ${b.practitioner.name} (${b.practitioner.id}) via ${describeVia(b)}, ${window(b, zone)}`);
  }
  lines.push(`escalation (policy ${r.policy}):`);
  for (const s of r.escalation) {
    const who = s.targets.map((t) => `${t.name} (${t.id}${t.contacts.length === 0 ? ', no contact' : `: ${t.contacts.map((c) => c.kind).join(', ')}`})`);
    const label = s.pass === null ? 'fallback' : s.pass > 0 ? `repeat ${s.pass}` : '';
    lines.push(`  ${s.step}. ${who.length === 0 ? 'nobody' : who.join('; ')}${label === '' ? '' : ` [${label}]`}${s.pass === null ? '' : `, then wait ${s.waitMinutes} min`}`);
    for (const u of s.unresolved) lines.push(`     unresolved: ${u}`);
  }
  return lines.join('\n') + '\n';
};
