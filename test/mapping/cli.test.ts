// `switchboard map FILE`: one Bundle per line, --report to stderr, exit 2 with the reason on bad input;
// ids keyed by --id-key, MAPPING_ID_KEY, the installation's stored key, else the development key.
import { readFileSync } from 'node:fs';
import type { Bundle } from 'fhir/r4.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mapCommand } from '../../src/cli/map.js';
import { FIXTURES, ROOT } from './golden.js';

/** No store here unless a test gives one: the command must not look for the machine's. */
async function run(argv: string[], storedIdKey: () => Promise<Uint8Array | undefined> = async () => undefined): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await mapCommand(argv, { stdout: (s) => { out += s; }, stderr: (s) => { err += s; } }, { storedIdKey });
  return { code, out, err };
}

const KEY_A = '00112233445566778899aabbccddeeff';
const KEY_B = 'ffeeddccbbaa99887766554433221100';
const firstFullUrl = (out: string): string => (JSON.parse(out.trim().split('\n')[0]!) as Bundle).entry![0]!.fullUrl!;

describe('switchboard map', () => {
  it('prints one transaction Bundle per line', async () => {
    const r = await run(['map', `${FIXTURES}/oru/potassium-critical-hh.hl7`]);
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ resourceType: 'Bundle', type: 'transaction' });
  });

  it('--report writes the mapping report to stderr', async () => {
    const r = await run([`${FIXTURES}/oru/z-segment-unknown.hl7`, '--report', '--config', `${ROOT}/fixtures/site-config.example.json`]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.err.trim().split('\n').at(-1)!).report.unknown).toEqual([{ segment: 'ZDS', index: 6 }, { segment: 'ZPI', index: 7 }]);
  });

  describe('the id key', () => {
    afterEach(() => { vi.unstubAllEnvs(); });
    const fixture = `${FIXTURES}/oru/potassium-critical-hh.hl7`;

    it('offline, is the development key: it says so, and reproduces the golden file', async () => {
      vi.stubEnv('MAPPING_ID_KEY', undefined);
      const r = await run([fixture, '--config', `${ROOT}/fixtures/site-config.example.json`]);
      expect(r.err).toMatch(/development key/);
      const golden = JSON.parse(readFileSync(fixture.replace('.hl7', '.expected.json'), 'utf8')) as { bundle: Bundle };
      expect(JSON.parse(r.out)).toEqual(golden.bundle);
    });

    it('is the stored one when the store answers, --id-key before it, MAPPING_ID_KEY between', async () => {
      vi.stubEnv('MAPPING_ID_KEY', undefined);
      const stored = async () => Buffer.from(KEY_A, 'hex');
      const fromStore = await run([fixture], stored);
      expect(fromStore.err).toBe('');
      expect(firstFullUrl((await run([fixture, '--id-key', KEY_A])).out)).toBe(firstFullUrl(fromStore.out));
      const given = await run([fixture, '--id-key', KEY_B], stored);
      expect(firstFullUrl(given.out)).not.toBe(firstFullUrl(fromStore.out));
      vi.stubEnv('MAPPING_ID_KEY', KEY_B);
      expect(firstFullUrl((await run([fixture], stored)).out)).toBe(firstFullUrl(given.out));
    });

    it.each([['--id-key', 'abc'], ['--id-key', 'zz'.repeat(16)], ['--id-key', '00'.repeat(15)]])('%s %s is refused (exit 2)', async (flag, value) => {
      const r = await run([fixture, flag, value]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/--id-key must be hex/);
    });
  });

  it.each([
    [['map'], 'usage'],
    [['map', `${FIXTURES}/oru/sn-range.hl7`, '--id-key'], 'usage'],
    [['map', '/nonexistent.hl7'], 'ENOENT'],
    [['map', `${FIXTURES}/errors/unsupported-type.hl7`], 'ERR_MAPPING_UNSUPPORTED'],
    [['map', `${FIXTURES}/errors/oru-without-pid.hl7`], 'ERR_MAPPING_MISSING_SEGMENT'],
    [['map', `${FIXTURES}/oru/sn-range.hl7`, '--config', `${FIXTURES}/calls/family-urgent-known-mrn.json`], 'ERR_CONFIG_INVALID'],
  ])('%j exits 2 naming %s', async (argv, why) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.err).toContain(why);
  });
});
