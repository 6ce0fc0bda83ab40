// `switchboard oncall` and `switchboard schedule lint` on a schedule file: no database involved.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { oncallCommand } from '../../src/cli/oncall.js';
import { scheduleCommand } from '../../src/cli/schedule.js';
import { capture, fixture } from './support.js';

const EXAMPLE = fixture('example.json');

describe('switchboard oncall ROLE --schedule FILE', () => {
  it('--json prints exactly toOncallJson on one line', async () => {
    const c = capture();
    expect(await oncallCommand(['cardio-oncall', '--schedule', EXAMPLE, '--at', '2025-03-02T08:00:00-05:00', '--json'], c.io)).toBe(0);
    expect(c.out().endsWith('\n')).toBe(true);
    expect(c.out().trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(c.out())).toEqual({
      role: 'cardio-oncall',
      at: '2025-03-02T08:00:00-05:00',
      primary: { id: 'dr-garcia', name: 'Dr. Gia Garcia' },
      backups: [],
      escalation: [
        { step: 1, targets: [{ id: 'dr-garcia', name: 'Dr. Gia Garcia' }], waitMinutes: 10 },
        { step: 2, targets: [{ id: 'sup-harper', name: 'Hal Harper (answering-service supervisor)' }], waitMinutes: 0 },
      ],
    });
  });

  it('human output: who, via what, the shift in the schedule zone, backups, escalation', async () => {
    const c = capture();
    expect(await oncallCommand(['ob-oncall', '--schedule', EXAMPLE, '--at', '2025-03-12T23:30'], c.io)).toBe(0);
    const out = c.out();
    expect(out).toContain('OB attending on call (ob-oncall) at 2025-03-12T23:30:00-04:00 [America/New_York]');
    expect(out).toContain('on call:  Dr. Cora Chen (dr-chen)');
    expect(out).toContain("via     override 'swap-2025-03-12' (Alvarez/Chen swap)");
    expect(out).toContain('shift   Wed 2025-03-12 07:00 EDT – Thu 2025-03-13 07:00 EDT');
    expect(out).toMatch(/backups:\n {2}Dr\. Dan Diaz \(dr-diaz\) via weekly rotation 'ob-backup', shift 1 \(backup 'late-backup'\)/);
    expect(out).toContain('escalation (policy ob-two-step):');
    expect(out).toContain('5. Hal Harper (answering-service supervisor) (sup-harper: voice) [fallback]');
  });

  it('names the rotation, layer and shift for a layer assignment', async () => {
    const c = capture();
    expect(await oncallCommand(['ob-oncall', '--schedule', EXAMPLE, '--at', '2025-03-04T20:00'], c.io)).toBe(0);
    expect(c.out()).toContain("via     weekly rotation 'ob-nights', shift 0 (layer 'nights')");
    expect(c.out()).toContain('shift   Tue 2025-03-04 19:00 EST – Wed 2025-03-05 07:00 EST');
  });

  it('says so when nobody is on call (a gap)', async () => {
    const c = capture();
    expect(await oncallCommand(['ob-oncall', '--schedule', EXAMPLE, '--at', '2025-03-01T12:00', '--json'], c.io)).toBe(0);
    expect(JSON.parse(c.out())).toMatchObject({ primary: null });
  });

  it.each([
    ['an unknown role', 1, ['nope', '--schedule', EXAMPLE], 'ERR_ROLE_UNKNOWN: the schedule has no such role; its roles: ob-oncall, cardio-oncall'],
    ['a bad --at', 2, ['ob-oncall', '--schedule', EXAMPLE, '--at', 'noon'], '--at must be an ISO 8601 date-time'],
    ['no role', 2, ['--schedule', EXAMPLE], 'usage: switchboard oncall'],
    ['an unknown option', 2, ['ob-oncall', '--when', 'now'], "Unknown option '--when'"],
    ['a missing file', 2, ['ob-oncall', '--schedule', '/nonexistent/s.json'], 'cannot read /nonexistent/s.json'],
  ])('%s -> exit %i with a clear message', async (_n, code, argv, message) => {
    const c = capture();
    expect(await oncallCommand(argv, c.io)).toBe(code);
    expect(c.err()).toContain(message);
    expect(c.out()).toBe('');
  });

  it('an invalid schedule file -> exit 1 naming each path', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-oncall-'));
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, 'version: 1\ntimeZone: UTC\npractitioners: []\nroles:\n  - id: r\n    name: R\n    layers: [{ id: l, rotation: missing }]\n');
    const c = capture();
    expect(await oncallCommand(['r', '--schedule', file], c.io)).toBe(1);
    expect(c.err()).toContain('roles[0].layers[0].rotation');
  });
});

describe('switchboard schedule lint --schedule FILE', () => {
  it('prints one finding per line; warnings only -> exit 0', async () => {
    const c = capture();
    expect(await scheduleCommand(['lint', '--schedule', EXAMPLE, '--from', '2025-03-01', '--to', '2025-03-10'], c.io)).toBe(0);
    expect(c.out().trim().split('\n')).toEqual([
      'warning\tGAP\troles[0]\tSat 2025-03-01 00:00–Mon 2025-03-03 07:00 nobody covers OB attending on call (ob-oncall)',
      'warning\tGAP\troles[1]\tSat 2025-03-01 00:00–07:00 nobody covers Cardiology attending on call (cardio-oncall)',
    ]);
    expect(c.err()).toContain('2 finding(s), 0 error(s)');
  });

  it('an error finding -> exit 1', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-lint-'));
    const file = path.join(dir, 's.json');
    writeFileSync(file, JSON.stringify({ version: 1, timeZone: 'UTC', practitioners: [], rotations: [{ id: 'r', participants: ['ghost'], period: { unit: 'day' }, handoffTime: '07:00', startDate: '2025-01-01' }], roles: [] }));
    const c = capture();
    expect(await scheduleCommand(['lint', '--schedule', file, '--from', '2025-03-01', '--to', '2025-03-02'], c.io)).toBe(1);
    expect(c.out()).toMatch(/^error\tUNKNOWN_PRACTITIONER\trotations\[0\]\.participants\[0\]\tno practitioner has this id$/m);
  });

  it('--json prints one JSON finding per line with local instants', async () => {
    const c = capture();
    expect(await scheduleCommand(['lint', '--schedule', EXAMPLE, '--from', '2025-03-01', '--to', '2025-03-10', '--json'], c.io)).toBe(0);
    expect(JSON.parse(c.out().split('\n')[0]!)).toMatchObject({ code: 'GAP', start: '2025-03-01T00:00:00-05:00', end: '2025-03-03T07:00:00-05:00' });
  });

  it.each([
    [['lint', '--from', 'soon'], '--from must be a date'],
    [['lint', '--schedule', EXAMPLE, '--from', '2025-03-10', '--to', '2025-03-01'], '--to must be after --from'],
    [['frobnicate'], 'usage: switchboard schedule'],
    [['import'], 'usage: switchboard schedule'],
  ])('%j -> exit 2', async (argv, message) => {
    const c = capture();
    expect(await scheduleCommand(argv, c.io)).toBe(2);
    expect(c.err()).toContain(message);
  });
});
