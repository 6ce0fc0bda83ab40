// Call notes -> Patient (by MRN, else contained), CommunicationRequest (the ask) and Communication.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { CommunicationRequest } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { callNoteSchema } from '../../src/calls/index.js';
import { validateFhir } from '../../src/fhir/validate.js';
import { mapCallNote } from '../../src/mapping/index.js';
import { CONFIG, FIXTURES, render } from './golden.js';

const DIR = `${FIXTURES}/calls`;
const cases = readdirSync(DIR).filter((f) => f.endsWith('.json') && !f.endsWith('.expected.json')).sort();
const map = (f: string) => mapCallNote(callNoteSchema.parse(JSON.parse(readFileSync(`${DIR}/${f}`, 'utf8'))), { id: `call-${f.replace('.json', '')}`, receivedAt: '2024-03-05T07:11:02.123Z' }, CONFIG);

describe('call notes', () => {
  it.each(cases)('%s maps to its expected file and validates', (f) => {
    const got = render(map(f));
    const expected = `${DIR}/${f.replace('.json', '.expected.json')}`;
    if (process.env.UPDATE_GOLDEN === '1' || !existsSync(expected)) writeFileSync(expected, got);
    expect(got).toBe(readFileSync(expected, 'utf8'));
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
});
