// Every well-formed ORU/ADT in the public samples (fixtures/public-samples, copied verbatim from the
// projects its SOURCES.md names) maps without error, validates against FHIR R4, and keeps PID-3/5/7/8,
// OBX-3 codes, NM/SN values, units and OBX-8 flags. Other samples fail with a MappingError (or the
// parser's Hl7Error), never anything else.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Bundle, Observation, Patient } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { validateFhir } from '../../src/fhir/validate.js';
import { isHl7Error, parseHl7Input } from '../../src/hl7/index.js';
import { DEFAULT_SITE_CONFIG, isMappingError, mapHl7Message } from '../../src/mapping/index.js';
import { OPTIONS, ROOT } from './golden.js';

const DIR = join(ROOT, 'fixtures/public-samples/hl7');
const samples = readdirSync(DIR).filter((f) => f.endsWith('.hl7')).sort();
const SUPPORTED = /^[^-]+-(ORU_R01|ADT_A0[1-4])-/;
const ofType = <T>(b: Bundle, t: string): T[] => (b.entry ?? []).map((e) => e.resource).filter((r) => r?.resourceType === t) as T[];

describe('public samples', () => {
  it('are in the repository', () => expect(samples.length).toBeGreaterThanOrEqual(10));

  it.each(samples.filter((f) => SUPPORTED.test(f) && !f.includes('space-separated')))('%s maps, validates and keeps what matters', (file) => {
    const input = parseHl7Input(readFileSync(`${DIR}/${file}`));
    expect(input.kind).toBe('message');
    if (input.kind !== 'message') return;
    const { bundle } = mapHl7Message(input.message, DEFAULT_SITE_CONFIG, OPTIONS);
    expect(validateFhir(bundle).issues).toEqual([]);
    const pid = input.message.segment('PID')!;
    const patients = ofType<Patient>(bundle, 'Patient');
    const ids = patients.flatMap((p) => p.identifier ?? []).map((i) => i.value);
    for (const rep of pid.repetitions(3).keys()) expect(ids).toContain(pid.value(3, 1, 1, rep));
    expect(patients[0]!.name?.[0]?.family).toBe(pid.value(5, 1));
    const observations = ofType<Observation>(bundle, 'Observation');
    for (const obx of input.message.all('OBX')) {
      expect(observations.some((o) => o.code.coding?.some((c) => c.code === obx.value(3, 1)))).toBe(true);
      for (const flag of obx.repetitions(8).keys()) expect(observations.some((o) => o.interpretation?.some((i) => i.coding?.some((c) => c.code === obx.value(8, 1, 1, flag))))).toBe(true);
      if (obx.value(2) === 'NM') expect(observations.some((o) => o.valueQuantity?.value === Number(obx.value(5)) && o.valueQuantity.unit === obx.value(6))).toBe(true);
      if (obx.value(2) === 'SN') expect(observations.some((o) => o.valueQuantity?.value === Number(obx.value(5, 2)))).toBe(true);
    }
  });

  it.each(samples.filter((f) => !SUPPORTED.test(f) || f.includes('space-separated')))('%s is refused with a coded error', (file) => {
    try {
      const input = parseHl7Input(readFileSync(`${DIR}/${file}`));
      if (input.kind === 'message') mapHl7Message(input.message, DEFAULT_SITE_CONFIG, OPTIONS);
      expect.unreachable('should not map');
    } catch (e) {
      expect(isMappingError(e) || isHl7Error(e)).toBe(true);
    }
  });

  it('keeps the SN glucose value the other converter dropped (see DIFFERENCES.md)', () => {
    const input = parseHl7Input(readFileSync(`${DIR}/fhirconverter-ORU_R01-v24-glucose-SN-high.hl7`));
    if (input.kind !== 'message') throw new Error('expected one message');
    const [obs] = ofType<Observation>(mapHl7Message(input.message, DEFAULT_SITE_CONFIG, OPTIONS).bundle, 'Observation');
    expect(obs!.valueQuantity).toEqual({ value: 182, unit: 'mg/dl', system: 'http://unitsofmeasure.org', code: 'mg/dL' });
    expect(obs!.referenceRange?.[0]).toMatchObject({ low: { value: 70 }, high: { value: 105 }, text: '70_105' });
  });
});
