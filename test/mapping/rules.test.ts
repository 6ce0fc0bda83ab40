// Tables for the pure rules: HL7 times, triage and the site config.
import { describe, expect, it } from 'vitest';
import { DEFAULT_SITE_CONFIG, parseSiteConfig, toFhirDate, toFhirDateTime, toFhirInstant, triageCall, triageResult, combineTriage, triageAdt } from '../../src/mapping/index.js';

describe('HL7 DTM -> FHIR (v2 2.A.22; FHIR dateTime needs seconds and a zone with a time)', () => {
  it.each([
    ['2024', 'UTC', '2024', undefined],
    ['202403', 'UTC', '2024-03', undefined],
    ['20240305', 'UTC', '2024-03-05', undefined],
    ['2024030514', 'UTC', '2024-03-05T14:00:00Z', undefined],
    ['202403051430', 'America/New_York', '2024-03-05T14:30:00-05:00', undefined],
    ['20240705143000', 'America/New_York', '2024-07-05T14:30:00-04:00', '2024-07-05T14:30:00-04:00'],
    ['20240305143000.12+0530', 'UTC', '2024-03-05T14:30:00.12+05:30', '2024-03-05T14:30:00.12+05:30'],
    ['20240230', 'UTC', undefined, undefined],
    ['2024130112', 'UTC', undefined, undefined],
    ['not a date', 'UTC', undefined, undefined],
  ])('%s in %s -> dateTime %s, instant %s', (raw, zone, dateTime, instant) => {
    expect(toFhirDateTime(raw, zone)).toBe(dateTime);
    expect(toFhirInstant(raw, zone)).toBe(instant);
  });

  it.each([['19700101', '1970-01-01'], ['20050715050000', '2005-07-15'], ['1970', '1970'], ['""', undefined]])('birth date %s -> %s', (raw, date) => {
    expect(toFhirDate(raw)).toBe(date);
  });
});

const LOINC = 'http://loinc.org';
const K = [{ system: LOINC, code: '2823-3' }];

describe('triage defaults', () => {
  it.each([
    ['HH flag', { codings: K, flags: ['HH'], label: 'K' }, 'stat', true],
    ['LL flag', { codings: [], flags: ['LL'], label: 'x' }, 'stat', true],
    ['AA flag', { codings: [], flags: ['AA'], label: 'x' }, 'stat', true],
    ['H flag only', { codings: [], flags: ['H'], label: 'x' }, 'routine', false],
    ['N flag', { codings: [], flags: ['N'], label: 'x' }, null, null],
    ['potassium 6.8 mmol/L, no flag', { codings: K, flags: [], label: 'K', quantity: { value: 6.8, code: 'mmol/L' } }, 'stat', true],
    ['potassium 6.0 mmol/L (at the limit)', { codings: K, flags: [], label: 'K', quantity: { value: 6.0, code: 'mmol/L' } }, null, null],
    ['potassium >6.0 mmol/L', { codings: K, flags: [], label: 'K', quantity: { value: 6.0, comparator: '>' as const, code: 'mmol/L' } }, 'stat', true],
    ['potassium 6.8 in another unit', { codings: K, flags: [], label: 'K', quantity: { value: 6.8, code: 'mg/dL' } }, null, null],
    ['potassium 2.5 mmol/L', { codings: K, flags: [], label: 'K', quantity: { value: 2.5, code: 'mmol/L' } }, 'stat', true],
  ])('%s -> %s (wake now: %s)', (_n, result, priority, wakeNow) => {
    const t = combineTriage(DEFAULT_SITE_CONFIG, triageResult(DEFAULT_SITE_CONFIG, result));
    expect(t?.priority ?? null).toBe(priority);
    expect(t?.wakeNow ?? null).toBe(wakeNow);
  });

  it.each([['A01', 'routine'], ['A02', 'routine'], ['A03', 'routine'], ['A08', null], ['A31', null]])('ADT %s -> %s', (event, priority) => {
    expect(combineTriage(DEFAULT_SITE_CONFIG, triageAdt(DEFAULT_SITE_CONFIG, event))?.priority ?? null).toBe(priority);
  });

  it.each([
    ['patient', 'routine', 'routine', false],
    ['patient', 'stat', 'stat', true],
    ['hospital', 'routine', 'urgent', true],
    ['lab', 'asap', 'asap', true],
  ] as const)('call from %s at %s -> %s (wake now: %s)', (type, urgency, priority, wakeNow) => {
    const t = combineTriage(DEFAULT_SITE_CONFIG, triageCall(DEFAULT_SITE_CONFIG, { urgency, caller: { type, name: 'x', callbackNumber: '5550100' } }));
    expect(t).toMatchObject({ priority, wakeNow });
  });
});

describe('site config', () => {
  it('an empty file is the documented defaults', () => {
    expect(parseSiteConfig('{}', 'site.json')).toEqual(DEFAULT_SITE_CONFIG);
    expect(parseSiteConfig('', 'site.yaml')).toEqual(DEFAULT_SITE_CONFIG);
  });

  it.each([
    ['{"timeZone":"Mars/Olympus"}', 'site.json', 'timeZone'],
    ['identifierSystems:\n  byAuthority:\n    X: not a uri\n', 'site.yaml', 'identifierSystems.byAuthority.X'],
    ['{"triage":{"thresholds":[{"system":"http://loinc.org","code":"1","unit":"mmol/L","priority":"stat"}]}}', 'site.json', 'triage.thresholds.0'],
    ['{"triage":{"flags":{"HH":{"priority":"now","category":"c"}}}}', 'site.json', 'triage.flags.HH.priority'],
    ['{"surprise":1}', 'site.json', '(root)'],
    ['{', 'site.json', 'not valid JSON'],
    ['{}', 'site.toml', 'must be .json'],
  ])('%s (%s) is refused naming %s', (text, name, path) => {
    try {
      parseSiteConfig(text, name);
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({ code: 'ERR_CONFIG_INVALID' });
      expect((e as Error).message).toContain(path);
    }
  });
});
