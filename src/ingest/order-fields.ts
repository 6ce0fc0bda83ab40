// What the claim needs to know of a message before it is mapped, read at intake from the already
// parsed message (no mapping): the patient it is about, for ordering, and a first triage, for
// taking critical messages first. README "Processing".
import { phiKeyring } from '../crypto/index.js';
import type { Hl7Message } from '../hl7/index.js';
import type { CallNote } from '../calls/index.js';
import { combineTriage, PRIORITIES, triageAdt, triageCall, triageResult, type SiteConfig, type TriageHit } from '../mapping/index.js';

export interface OrderFields {
  /** a digest of the patient's first identifier (never the identifier: no MRN in an index); null: none */
  orderPatient: string | null;
  /** 0 routine .. 3 stat (PRIORITIES' index) */
  priority: number;
}

/** At most this many OBX segments are looked at for flags; a longer result keeps the priority found so far. */
const MAX_OBX_SCANNED = 2_000;

// keyed (the PHI search key's HMAC, README "PHI at rest"): an unkeyed hash of an MRN is found by
// hashing every MRN of its format, so it would be the MRN in clear for whoever holds a dump
const digest = (parts: readonly string[]): string => phiKeyring().searchHash('order-patient', parts.join('\u0000'));

const priorityOf = (config: SiteConfig, hits: readonly TriageHit[]): number => {
  const t = combineTriage(config, hits);
  return t ? Math.max(0, PRIORITIES.indexOf(t.priority)) : 0;
};

/**
 * The patient: PID-3's first repetition, its ID (component 1) and assigning authority (component 4),
 * as the mapper identifies the Patient. The priority: the site's triage rules (src/mapping/triage.ts)
 * on what can be read without mapping — OBX-8 abnormal flags (HH, LL, AA ...) and the ADT event. A
 * value over a per-code threshold without a flag is found by the full triage after mapping, not here.
 */
export function hl7OrderFields(message: Hl7Message, config: SiteConfig): OrderFields {
  const pid = message.segment('PID');
  const id = pid?.value(3, 1) ?? '';
  const orderPatient = id ? digest([id, pid?.value(3, 4) ?? '']) : null;
  const hits: TriageHit[] = [];
  const t = message.header.type;
  if (t.code === 'ADT' && t.event) hits.push(...triageAdt(config, t.event));
  let scanned = 0;
  for (const obx of message.segments) {
    if (obx.name !== 'OBX') continue;
    if (++scanned > MAX_OBX_SCANNED) break;
    const n = obx.repetitionCount(8);
    if (n === 0) continue;
    const flags: string[] = [];
    for (let rep = 0; rep < n && rep < 8; rep++) {
      const f = obx.value(8, 1, 1, rep);
      if (f) flags.push(f);
    }
    if (flags.length) hits.push(...triageResult(config, { codings: [], flags, label: '' }));
  }
  return { orderPatient, priority: priorityOf(config, hits) };
}

/** A call note: its patient's MRN when given, and the operator's urgency raised by the caller type's minimum. */
export function callOrderFields(note: CallNote, config: SiteConfig | undefined): OrderFields {
  const mrn = note.patient?.mrn;
  const orderPatient = mrn ? digest([mrn, note.patient?.mrnSystem ?? '']) : null;
  const priority = config ? priorityOf(config, triageCall(config, note)) : Math.max(0, PRIORITIES.indexOf(note.urgency));
  return { orderPatient, priority };
}
