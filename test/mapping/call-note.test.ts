// Call notes -> Patient (by MRN, else contained), CommunicationRequest (the ask) and Communication.
import { readdirSync, readFileSync } from 'node:fs';
import type { CommunicationRequest } from 'fhir/r4.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CALLER_TYPES, callNoteSchema, OPERATOR_URGENCY } from '../../src/calls/index.js';
import { validateFhir } from '../../src/fhir/validate.js';
import { mapCallNote } from '../../src/mapping/index.js';
import { CONFIG, FIXTURES, golden, OPTIONS, render } from './golden.js';

const DIR = `${FIXTURES}/calls`;
const cases = readdirSync(DIR).filter((f) => f.endsWith('.json') && !f.endsWith('.expected.json')).sort();
const map = (f: string) => mapCallNote(callNoteSchema.parse(JSON.parse(readFileSync(`${DIR}/${f}`, 'utf8'))), { id: `call-${f.replace('.json', '')}`, receivedAt: '2024-03-05T07:11:02.123Z' }, CONFIG, OPTIONS);

describe('call notes', () => {
  it.each(cases)('%s maps to its expected file and validates', (f) => {
    const got = render(map(f));
    const expected = `${DIR}/${f.replace('.json', '.expected.json')}`;
    expect(got).toBe(golden(expected, got));
    expect(validateFhir(map(f).bundle).issues).toEqual([]);
  });

  it.each([
    ['family-urgent-known-mrn.json', 'urgent', true, 'POST'],
    ['hospital-routine-unknown-patient.json', 'urgent', true, undefined],
  ])('%s -> priority %s, wakeNow %s, Patient request %s', (f, priority, wakeNow, method) => {
    const r = map(f);
    expect(r.triage).toMatchObject({ priority, wakeNow, category: 'call-note' });
    expect(r.bundle.entry!.find((e) => e.resource?.resourceType === 'Patient')?.request?.method).toBe(method);
    const ask = r.bundle.entry!.find((e) => e.resource?.resourceType === 'CommunicationRequest')!.resource as CommunicationRequest;
    expect(ask.status).toBe('active');
    expect(ask.payload?.[1]?.contentReference?.reference).toBe('#caller');
    expect(ask.medium?.[0]?.coding?.[0]?.code).toBe('PHONE');
  });

  it.each(['valueOf', 'constructor', '__proto__'])('reads an MRN system named %s as a name, not an Object.prototype member', (mrnSystem) => {
    const note = callNoteSchema.parse({ ...JSON.parse(readFileSync(`${DIR}/family-urgent-known-mrn.json`, 'utf8')), practice: mrnSystem });
    note.patient.mrnSystem = mrnSystem;
    const r = mapCallNote(note, { id: 'call-proto', receivedAt: '2024-03-05T07:11:02.123Z' }, CONFIG, OPTIONS);
    expect(validateFhir(r.bundle).issues).toEqual([]);
  });

  it('property: every call note the schema accepts maps to valid FHIR', () => {
    // any text (binary strings: controls, surrogates, emoji), odd but plausible values, and names
    // where a URI may stand: the schema refuses what cannot be FHIR text, the mapper the rest
    const str = (max: number) => fc.oneof(fc.string({ unit: 'binary', maxLength: max }), fc.string({ maxLength: max }), fc.constantFrom(' x ', "Dr. O'Neil", 'a\nb', '""', 'é', '\t', 'MRN 12'));
    const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
    const note = fc.record({
      caller: fc.record({ type: fc.constantFrom(...CALLER_TYPES), name: str(40), callbackNumber: fc.constantFrom('+1 (555) 010-0001', '555-0100 x12', '5550100123'), relationship: opt(str(20)) }, { requiredKeys: ['type', 'name', 'callbackNumber'] }),
      patient: fc.record({ name: str(40), birthDate: opt(fc.constantFrom('1970-01-01', '2024-02-29', '1900-12-31')), mrn: opt(str(20)), mrnSystem: opt(fc.oneof(str(30), fc.constantFrom('urn:oid:2.16.840.1.113883.3.999', 'http://hospital.example/mrn', 'SYNTH', 'a b', ''))) }, { requiredKeys: ['name'] }),
      practice: str(30), service: opt(str(20)), reason: str(200), urgency: fc.constantFrom(...OPERATOR_URGENCY),
      operator: opt(fc.record({ id: str(10), name: opt(str(20)) }, { requiredKeys: ['id'] })),
      takenAt: opt(fc.constantFrom('2024-03-10T02:30:00-05:00', '2024-12-31T23:59:59.999Z')),
    });
    let mapped = 0;
    fc.assert(fc.property(note, (n) => {
      const parsed = callNoteSchema.safeParse(JSON.parse(JSON.stringify(n)));
      if (!parsed.success) return;
      mapped++;
      const r = mapCallNote(parsed.data, { id: 'call-property', receivedAt: '2024-03-05T07:11:02.123Z' }, CONFIG, OPTIONS);
      expect(validateFhir(r.bundle).issues).toEqual([]);
    }), { numRuns: 2000 });
    expect(mapped).toBeGreaterThan(100); // the generator reaches the mapper, not only the schema
  }, 180_000); // 2,000 validated Bundles: minutes on a loaded 2-core machine
});
