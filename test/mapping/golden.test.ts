// Every fixture under fixtures/hl7 maps to its reviewed .expected.json, validates against FHIR R4, and
// maps byte-identically twice. UPDATE_GOLDEN=1 rewrites the expectations (review each diff by eye).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { Bundle } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { validateFhir } from '../../src/fhir/validate.js';
import { FIXTURES, hl7Files, mapFixture, render } from './golden.js';

const files = hl7Files(FIXTURES);

describe('golden fixtures', () => {
  it('has at least 25 cases', () => expect(files.length).toBeGreaterThanOrEqual(25));

  it.each(files.map((f) => [relative(FIXTURES, f), f]))('%s maps to its expected file', (_name, file) => {
    const got = render(mapFixture(file));
    const expectedPath = file.replace(/\.hl7$/, '.expected.json');
    if (process.env.UPDATE_GOLDEN === '1' || !existsSync(expectedPath)) writeFileSync(expectedPath, got);
    expect(got).toBe(readFileSync(expectedPath, 'utf8'));
    expect(render(mapFixture(file))).toBe(got); // deterministic: same input, same bytes
  });

  it.each(files.map((f) => [relative(FIXTURES, f), f]))('%s produces valid FHIR R4', (_name, file) => {
    const out = mapFixture(file) as { bundle?: Bundle; error?: unknown };
    if (out.error) return;
    expect(validateFhir(out.bundle!).issues).toEqual([]);
  });
});
