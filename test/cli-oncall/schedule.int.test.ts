// `switchboard schedule import|lint|show` and `switchboard oncall` against the stored schedule,
// with DATABASE_URL pointing at this file's own test database.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oncallCommand } from '../../src/cli/oncall.js';
import { scheduleCommand } from '../../src/cli/schedule.js';
import { loadSchedule } from '../../src/oncall/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { capture, fixture } from './support.js';

let db: TestDatabase;
const saved = process.env.DATABASE_URL;
beforeAll(async () => {
  db = await createTestDatabase();
  process.env.DATABASE_URL = db.url;
});
afterAll(async () => {
  if (saved === undefined) delete process.env.DATABASE_URL;
  else process.env.DATABASE_URL = saved;
  await db.drop();
});

const run = async (cmd: typeof scheduleCommand, argv: string[]) => {
  const c = capture();
  const code = await cmd(argv, c.io);
  return { code, out: c.out(), err: c.err() };
};

describe('stored schedule from the CLI', () => {
  it('before any import: oncall, show and lint say nothing is stored (exit 1)', async () => {
    expect(await run(oncallCommand, ['ob-oncall'])).toMatchObject({ code: 1, err: expect.stringContaining('no on-call schedule is stored') });
    expect((await run(scheduleCommand, ['show'])).code).toBe(1);
    expect((await run(scheduleCommand, ['lint'])).code).toBe(1);
  });

  it('an .ics import needs a stored schedule and --mapping', async () => {
    expect(await run(scheduleCommand, ['import', fixture('ob-feed.ics')])).toMatchObject({ code: 2, err: expect.stringContaining('--mapping') });
    expect(await run(scheduleCommand, ['import', fixture('ob-feed.ics'), '--mapping', fixture('ob-feed.mapping.json')])).toMatchObject({ code: 1, err: expect.stringContaining('import a JSON/YAML schedule first') });
  });

  it('import FILE.json stores it and prints the version; oncall then answers from the store', async () => {
    expect(await run(scheduleCommand, ['import', fixture('example.json')])).toEqual({ code: 0, out: 'schedule version 1\n', err: '' });
    const r = await run(oncallCommand, ['ob-oncall', '--at', '2025-03-04T10:00', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ at: '2025-03-04T10:00:00-05:00', primary: { id: 'dr-alvarez' } });
    expect(await run(oncallCommand, ['nope'])).toMatchObject({ code: 1, err: expect.stringContaining('ERR_ROLE_UNKNOWN') });
  });

  it('show prints the stored document (re-importable JSON), the version on stderr', async () => {
    const r = await run(scheduleCommand, ['show']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ version: 1, timeZone: 'America/New_York' });
    expect(r.err).toMatch(/^version 1, updated .* by cli\n$/);
  });

  it('an invalid file is refused with each path and leaves the stored version alone', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-import-'));
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, 'version: 1\ntimeZone: UTC\npractitioners: []\nroles:\n  - id: r\n    name: R\n    layers: [{ id: l, rotation: missing }]\n');
    const r = await run(scheduleCommand, ['import', file]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('ERR_SCHEDULE_REFERENCE');
    expect(r.err).toContain('roles[0].layers[0].rotation');
    expect((await loadSchedule(db.sql))?.version).toBe(1);
  });

  it('lint of the stored schedule', async () => {
    const r = await run(scheduleCommand, ['lint', '--from', '2025-03-01', '--to', '2025-03-10']);
    expect(r.code).toBe(0);
    expect(r.out.split('\n').filter(Boolean)).toHaveLength(2);
  });

  it('import FILE.ics --mapping merges the feed into the stored schedule', async () => {
    expect((await run(scheduleCommand, ['import', fixture('ob-feed.equivalent.json')])).code).toBe(0);
    const r = await run(scheduleCommand, ['import', fixture('ob-feed.ics'), '--mapping', fixture('ob-feed.mapping.json'), '--from', '2025-03-01', '--to', '2025-05-01']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^schedule version 3: \d+ shift\(s\) imported, \d+ skipped\n$/);
    const stored = await loadSchedule(db.sql);
    expect(stored?.schedule.roles[0]?.layers.at(-1)?.id).toBe('ical');
  });
});
