// `switchboard map FILE`: one Bundle per line, --report to stderr, exit 2 with the reason on bad input.
import { describe, expect, it } from 'vitest';
import { mapCommand } from '../../src/cli/map.js';
import { FIXTURES, ROOT } from './golden.js';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await mapCommand(argv, { stdout: (s) => { out += s; }, stderr: (s) => { err += s; } });
  return { code, out, err };
}

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
    expect(JSON.parse(r.err).report.unknown).toEqual([{ segment: 'ZDS', index: 6 }, { segment: 'ZPI', index: 7 }]);
  });

  it.each([
    [['map'], 'usage'],
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
