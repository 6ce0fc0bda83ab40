// The mapping report: every segment is mapped, ignored with a reason, or unknown, and a field cut at a
// bound (limits.ts) is listed as truncated. Nothing is dropped silently. PHI-free: segment ids,
// positions and reasons only, never values.
import { table } from '../text/index.js';

export interface MappingReport {
  mapped: { segment: string; index: number; to: string[] }[];
  ignored: { segment: string; index: number; reason: string }[];
  unknown: { segment: string; index: number }[];
  /** Fields with more repetitions than the mapper maps (limits.ts): `kept` of `total` were mapped. */
  truncated: { segment: string; index: number; field: number; kept: number; total: number }[];
  warnings: string[];
}

export const emptyReport = (): MappingReport => ({ mapped: [], ignored: [], unknown: [], truncated: [], warnings: [] });

/** Segments we read but deliberately do not turn into FHIR, with the reason shown in the report. */
export const IGNORED_SEGMENTS: Readonly<Record<string, string>> = table({
  SFT: 'software segment: describes the sending system, not the patient',
  PD1: 'additional demographics: not needed for notification',
  PV2: 'visit details beyond PV1: not needed for notification',
  TQ1: 'timing/quantity of the order: not needed for a result',
  TQ2: 'timing relationship of the order: not needed for a result',
  CTI: 'clinical trial: out of scope',
  FT1: 'financial transaction: out of scope',
  CTD: 'contact data: out of scope',
  AL1: 'allergy: AllergyIntolerance is not produced by this gateway',
  IAM: 'allergy: AllergyIntolerance is not produced by this gateway',
  DG1: 'diagnosis: Condition is not produced by this gateway',
  DRG: 'diagnosis related group: billing, out of scope',
  PR1: 'procedure: out of scope',
  PRB: 'problem: Condition is not produced by this gateway',
  ROL: 'role: participants are taken from PV1/ORC/OBR',
  GT1: 'guarantor: billing, out of scope',
  IN1: 'insurance: billing, out of scope',
  IN2: 'insurance: billing, out of scope',
  IN3: 'insurance: billing, out of scope',
  ACC: 'accident: out of scope',
  UB1: 'billing: out of scope',
  UB2: 'billing: out of scope',
  DB1: 'disability: out of scope',
  MRG: 'merge information: patient merges are not automated (handled by the EHR)',
  ARV: 'access restriction: not mapped (the inbox keeps the raw message)',
  UAC: 'user authentication credential: never mapped',
});
