import type { CompiledRole, CompiledSchedule } from './compile.js';
import type { Provenance } from './coverage-source.js';
import { findSegment } from './segments.js';

/**
 * Who covers a role at one instant. Precedence (README.md "On-call schedules and routing" "Resolution"):
 *   1. an override whose [start, end) contains the instant (later-listed wins on overlap);
 *   2. else the highest layer that has someone (its window contains the instant and its
 *      rotation/shifts cover it);
 *   3. else nobody: `null`, reported as a gap — never a silent default.
 * So there is exactly one primary wherever any coverage exists.
 */

export interface PractitionerRef {
  readonly id: string;
  readonly name: string;
}

export type Via =
  | { readonly kind: 'override'; readonly override: string; readonly reason: string | undefined }
  | { readonly kind: 'layer'; readonly layer: string; readonly layerName: string | undefined; readonly source: Provenance }
  | { readonly kind: 'backup'; readonly backup: string; readonly backupName: string | undefined; readonly source: Provenance };

export interface Assignment {
  readonly practitioner: PractitionerRef;
  readonly via: Via;
  /** The interval of the deciding entry (override, or shift ∩ window), half-open, epoch ms. */
  readonly start: number;
  readonly end: number;
}

export const practitionerRef = (compiled: CompiledSchedule, id: string): PractitionerRef =>
  // compileSchedule rejects unknown ids, so the fallback only guards hand-built structures.
  compiled.refs.get(id) ?? { id, name: id };

export const primaryAt = (compiled: CompiledSchedule, role: CompiledRole, t: number): Assignment | null => {
  const o = findSegment(role.overrides.segments, t);
  if (o !== undefined) {
    return {
      practitioner: practitionerRef(compiled, o.value.practitioner),
      via: { kind: 'override', override: o.value.id, reason: o.value.reason },
      start: o.start,
      end: o.end,
    };
  }
  for (const layer of role.layersTopFirst) {
    const hit = layer.at(t);
    if (hit !== null) {
      return {
        practitioner: practitionerRef(compiled, hit.practitioner),
        via: { kind: 'layer', layer: layer.id, layerName: layer.name, source: hit.provenance },
        start: hit.start,
        end: hit.end,
      };
    }
  }
  return null;
};

/** Backups in their listed order; the primary and repeats are skipped (nobody backs up themself). */
export const backupsAt = (compiled: CompiledSchedule, role: CompiledRole, t: number, primaryId: string | undefined): Assignment[] => {
  const out: Assignment[] = [];
  for (const b of role.backups) {
    const hit = b.at(t);
    if (hit === null || hit.practitioner === primaryId || out.some((a) => a.practitioner.id === hit.practitioner)) continue;
    out.push({
      practitioner: practitionerRef(compiled, hit.practitioner),
      via: { kind: 'backup', backup: b.id, backupName: b.name, source: hit.provenance },
      start: hit.start,
      end: hit.end,
    });
  }
  return out;
};
