// Synthetic traffic for bench/pipeline.ts (no real patient data): ORU^R01 with 15 OBX, ADT A01/A08
// and call notes, across senders and patients; a few results critical (OBX-8 HH).
const OBX_CODES = [
  ['2823-3', 'Potassium', 'mmol/L', '3.5-5.1', 4.2], ['2951-2', 'Sodium', 'mmol/L', '136-145', 140], ['2075-0', 'Chloride', 'mmol/L', '98-107', 101],
  ['2028-9', 'CO2', 'mmol/L', '22-29', 25], ['3094-0', 'BUN', 'mg/dL', '7-20', 14], ['2160-0', 'Creatinine', 'mg/dL', '0.6-1.2', 0.9],
  ['2345-7', 'Glucose', 'mg/dL', '70-99', 92], ['17861-6', 'Calcium', 'mg/dL', '8.6-10.2', 9.4], ['2885-2', 'Protein', 'g/dL', '6.0-8.3', 7.1],
  ['1751-7', 'Albumin', 'g/dL', '3.5-5.0', 4.2], ['1975-2', 'Bilirubin', 'mg/dL', '0.1-1.2', 0.6], ['6768-6', 'ALP', 'U/L', '44-147', 88],
  ['1742-6', 'ALT', 'U/L', '7-56', 22], ['1920-8', 'AST', 'U/L', '10-40', 24], ['33914-3', 'eGFR', 'mL/min/{1.73_m2}', '>60', 88],
] as const;

export interface Traffic {
  senders: number;
  patients: number;
  /** share of results that are critical (HH on potassium) */
  criticalShare: number;
}

/** A small deterministic PRNG (mulberry32), so a run is repeatable. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ts = '20261104023000-0500';

export function oru(controlId: string, sender: string, mrn: string, order: string, critical: boolean): string {
  const obx = OBX_CODES.map(([code, name, unit, range, v], i) => {
    const value = critical && i === 0 ? 6.9 : v;
    const flag = critical && i === 0 ? 'HH' : 'N';
    return `OBX|${i + 1}|NM|${code}^${name}^LN||${value}|${unit}^${unit}^UCUM|${range}|${flag}|||F|||20261104014500-0500`;
  });
  return [
    `MSH|^~\\&|${sender}|NORTHLAB|SWITCHBOARD|GENHOSP|${ts}||ORU^R01^ORU_R01|${controlId}|P|2.5.1`,
    `PID|1||${mrn}^^^GENHOSP^MR||TESTPATIENT^ALEX^Q||19800229|F`,
    'PV1|1|I|4W^401^A^GENHOSP||||1234^ATTENDING^PAT^^^DR|||MED',
    `ORC|RE|${order}|F${order}||CM||||20261104020000-0500|||5678^ORDERING^ROBIN^^^DR`,
    `OBR|1|${order}|F${order}|24323-8^Comprehensive metabolic panel^LN|||20261104014500-0500|||||||||5678^ORDERING^ROBIN^^^DR||||||20261104022900-0500|||F`,
    ...obx,
  ].join('\r') + '\r';
}

export function adt(controlId: string, sender: string, mrn: string, event: 'A01' | 'A08', visit: string): string {
  return [
    `MSH|^~\\&|${sender}|GENHOSP|SWITCHBOARD|GENHOSP|${ts}||ADT^${event}^ADT_A01|${controlId}|P|2.5.1`,
    `EVN|${event}|${ts}`,
    `PID|1||${mrn}^^^GENHOSP^MR||SAMPLE^JORDAN||19751201|M`,
    `PV1|1|I|3E^310^B^GENHOSP||||2222^HOSPITALIST^SAM^^^DR|||MED||||7|||2222^HOSPITALIST^SAM^^^DR|IN|${visit}|||||||||||||||||||||||20261104030000-0500`,
  ].join('\r') + '\r';
}

export function callNote(mrn: string): unknown {
  return {
    caller: { type: 'family', name: 'Pat Synthetic', callbackNumber: '+1 555 010 0042', relationship: 'daughter' },
    patient: { name: 'Alpha Testpatient', birthDate: '1970-01-01', mrn },
    practice: 'Synth Cardiology', service: 'cardiology', reason: 'Synthetic call for a benchmark', urgency: 'routine',
    operator: { id: 'op-17', name: 'Operator Seventeen' }, takenAt: '2024-03-05T02:10:00-05:00',
  };
}

/** Message i of a run: HL7 (ORU 70%, ADT A01/A08 20%) or a call note (10%), with its sender and patient. */
export function trafficItem(i: number, tag: string, t: Traffic, rand: () => number): { kind: 'hl7'; bytes: Buffer } | { kind: 'call'; note: unknown; key: string } {
  const sender = `LAB${i % t.senders}`;
  const mrn = `MRN${Math.floor(rand() * t.patients)}`;
  const r = rand();
  const id = `${tag}-${i}`;
  if (r < 0.1) return { kind: 'call', note: callNote(mrn), key: id };
  if (r < 0.3) return { kind: 'hl7', bytes: Buffer.from(adt(id, sender, mrn, r < 0.2 ? 'A01' : 'A08', `V${mrn}`), 'latin1') };
  return { kind: 'hl7', bytes: Buffer.from(oru(id, sender, mrn, `O${i}`, rand() < t.criticalShare), 'latin1') };
}
