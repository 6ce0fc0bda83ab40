// Which PV1s are one Encounter (src/mapping/encounter.ts encounterKey; README "Encounter identity"):
// the visit number; else the patient and the admit time as an instant; else, in ADT, the patient's
// current visit at the sender; an ORU's PV1 without either stays the message's own.
import { readFileSync } from 'node:fs';
import type { Encounter } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { type Hl7Message, parseHl7Input } from '../../src/hl7/index.js';
import { mapHl7Message } from '../../src/mapping/index.js';
import { CONFIG, FIXTURES, OPTIONS } from './golden.js';

const messages = (file: string): Hl7Message[] => {
  const input = parseHl7Input(readFileSync(`${FIXTURES}/${file}`));
  return input.kind === 'batch' ? input.messages : [input.message];
};
const text = (file: string): string => readFileSync(`${FIXTURES}/${file}`, 'latin1');
const one = (s: string): Hl7Message => {
  const input = parseHl7Input(Buffer.from(s, 'latin1'));
  if (input.kind !== 'message') throw new Error('expected one message');
  return input.message;
};

/** The Encounter entry of a message: its fullUrl, the identifier its conditional update matches, and its status. */
function encounterOf(m: Hl7Message): { fullUrl: string; url: string; status: string } {
  const e = mapHl7Message(m, CONFIG, OPTIONS).bundle.entry!.find((x) => x.resource?.resourceType === 'Encounter')!;
  return { fullUrl: e.fullUrl!, url: e.request!.url, status: (e.resource as Encounter).status };
}

/** A PV1 line with PV1-19 and PV1-44 set (the rest as in the A01 fixture). */
function withPv1(message: string, visit: string, admitted: string): string {
  return message.split('\r').map((l) => {
    if (!l.startsWith('PV1|')) return l;
    const f = l.split('|');
    while (f.length <= 44) f.push('');
    f[19] = visit;
    f[44] = admitted;
    return f.join('|');
  }).join('\r');
}

describe('Encounter identity without a visit number (PV1-19)', () => {
  it.each(['adt/a01-a08-no-visit-number.hl7', 'adt/a01-a08-no-visit-number-no-admit-time.hl7'])('%s: the A08 updates the Encounter the A01 made', (file) => {
    const [a01, a08] = messages(file).map(encounterOf);
    expect(a08!.fullUrl).toBe(a01!.fullUrl);
    expect(a08!.url).toBe(a01!.url);
    expect([a01!.status, a08!.status]).toEqual(['in-progress', 'in-progress']);
  });

  const A01 = text('adt/a01-admit.hl7');
  it.each([
    ['the same admit time in two precisions', '20240304080000-0500', '202403040800-0500', true],
    ['the same instant in two offsets', '20240304080000-0500', '20240304130000+0000', true],
    ['two admit times', '20240304080000-0500', '20240305080000-0500', false],
    ['an admit time and none', '20240304080000-0500', '', false],
  ])('no PV1-19, %s: one Encounter = %s', (_what, first, second, same) => {
    const a = encounterOf(one(withPv1(A01, '', first)));
    const b = encounterOf(one(withPv1(A01.replace('|ADT0001|', '|ADT0002|'), '', second)));
    expect(a.fullUrl === b.fullUrl).toBe(same);
  });

  it('is per patient: another MRN is another Encounter', () => {
    const a = encounterOf(one(withPv1(A01, '', '')));
    const b = encounterOf(one(withPv1(A01.replace('SYN0001^^^', 'SYN0002^^^'), '', '')));
    expect(a.fullUrl).not.toBe(b.fullUrl);
  });

  it('a visit number wins: the same PV1-44 under two visit numbers is two Encounters', () => {
    const a = encounterOf(one(withPv1(A01, 'V1^^^SYNTH^VN', '20240304080000-0500')));
    const b = encounterOf(one(withPv1(A01, 'V2^^^SYNTH^VN', '20240304080000-0500')));
    expect(a.fullUrl).not.toBe(b.fullUrl);
  });

  it("an ORU's PV1 without PV1-19 and PV1-44 never joins (and so never overwrites) the ADT's current visit", () => {
    const oru = text('oru/potassium-critical-hh.hl7');
    const adt = encounterOf(one(withPv1(A01, '', '')));
    const r1 = encounterOf(one(withPv1(oru, '', '')));
    const r2 = encounterOf(one(withPv1(oru.replace('|ORU0001|', '|ORU0002|'), '', '')));
    expect(r1.fullUrl).not.toBe(adt.fullUrl);
    expect(r2.fullUrl).not.toBe(r1.fullUrl);
  });
});
