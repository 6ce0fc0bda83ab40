// Every fixture under fixtures/hl7 maps to its reviewed .expected.json, validates against FHIR R4, and
// maps byte-identically twice. UPDATE_GOLDENS=1 rewrites the expectations (review each diff by eye); a
// missing one fails otherwise (golden.ts).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { Bundle } from 'fhir/r4.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { validateFhir } from '../../src/fhir/validate.js';
import { FIXTURES, golden, hl7Files, mapFixture, render } from './golden.js';

const files = hl7Files(FIXTURES);

describe('golden fixtures', () => {
  it('has at least 25 cases', () => expect(files.length).toBeGreaterThanOrEqual(25));

  it.each(files.map((f) => [relative(FIXTURES, f), f]))('%s maps to its expected file', (_name, file) => {
    const got = render(mapFixture(file));
    const expectedPath = file.replace(/\.hl7$/, '.expected.json');
    expect(got).toBe(golden(expectedPath, got));
    expect(render(mapFixture(file))).toBe(got); // deterministic: same input, same bytes
  });

  it.each(files.map((f) => [relative(FIXTURES, f), f]))('%s produces valid FHIR R4', (_name, file) => {
    // a file of several messages maps to one result per message
    const out = mapFixture(file) as { bundle?: Bundle; error?: unknown } | { bundle: Bundle }[];
    for (const one of Array.isArray(out) ? out : [out]) {
      if ('error' in one && one.error) continue;
      expect(validateFhir(one.bundle!).issues).toEqual([]);
    }
  });
});

describe('a missing golden', () => {
  afterEach(() => { vi.unstubAllEnvs(); });
  const missing = () => join(mkdtempSync(join(tmpdir(), 'golden-')), 'x.expected.json');

  it.each([
    ['neither CI nor UPDATE_GOLDENS', undefined, undefined],
    ['UPDATE_GOLDENS=0', undefined, '0'],
    ['CI, even with UPDATE_GOLDENS=1', 'true', '1'],
  ])('fails under %s, and writes nothing', (_when, ci, update) => {
    vi.stubEnv('CI', ci);
    vi.stubEnv('UPDATE_GOLDENS', update);
    const path = missing();
    expect(() => golden(path, '{}\n')).toThrow(/missing golden/);
    expect(existsSync(path)).toBe(false);
    rmSync(join(path, '..'), { recursive: true });
  });

  it('is written with UPDATE_GOLDENS=1 outside CI', () => {
    vi.stubEnv('CI', undefined);
    vi.stubEnv('UPDATE_GOLDENS', '1');
    const path = missing();
    expect(golden(path, '{}\n')).toBe('{}\n');
    expect(readFileSync(path, 'utf8')).toBe('{}\n');
    rmSync(join(path, '..'), { recursive: true });
  });
});
