// ScheduleService: answers from the current stored version and reloads when another writer saves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScheduleService, saveSchedule, seedScheduleFromFile, toRoutingRecord, upsertItem } from '../../src/oncall/index.js';
import { connect, type Sql } from '../../src/store/db.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { error, EXAMPLE_PATH, example, NOW, value } from './support.js';

let db: TestDatabase;
/** A second connection pool: "another gateway replica". */
let other: Sql;
beforeAll(async () => {
  db = await createTestDatabase();
  other = connect(db.url, { max: 2 });
});
afterAll(async () => {
  await other.end({ timeout: 2 });
  await db.drop();
});

const at = (iso: string) => new Date(iso).getTime();

describe('ScheduleService', () => {
  it('answers ERR_SCHEDULE_NOT_FOUND until a schedule is stored, then seeds from SCHEDULE_FILE once', async () => {
    const svc = new ScheduleService({ sql: db.sql });
    expect(await svc.current()).toBeUndefined();
    expect(error(await svc.oncall('ob-oncall', NOW.getTime())).code).toBe('ERR_SCHEDULE_NOT_FOUND');
    expect(value(await seedScheduleFromFile(db.sql, EXAMPLE_PATH, NOW))).toEqual({ seeded: true, version: 1 });
    expect(value(await seedScheduleFromFile(db.sql, EXAMPLE_PATH, NOW))).toEqual({ seeded: false, version: 1 });
    expect((await svc.current())?.version).toBe(1);
    expect(value(await svc.oncall('ob-oncall', NOW.getTime()))).toMatchObject({ scheduleVersion: 1, primary: { practitioner: { id: 'dr-alvarez' } } });
  });

  it('reloads after another writer saves: NOTIFY marks it stale', async () => {
    const svc = new ScheduleService({ sql: db.sql });
    await svc.start();
    try {
      const before = (await svc.current())!.version;
      // another replica adds an override: Brooks covers ob-oncall right now
      value(await upsertItem(other, 'overrides', { id: 'brooks-now', role: 'ob-oncall', practitioner: 'dr-brooks', start: '2025-03-04T08:00', end: '2025-03-04T20:00' }, { by: 'other', now: NOW }));
      await expect.poll(async () => (await svc.current())?.version, { timeout: 5000 }).toBe(before + 1);
      expect(value(await svc.oncall('ob-oncall', NOW.getTime())).primary?.practitioner.id).toBe('dr-brooks');
    } finally {
      await svc.stop();
    }
  });

  it('without LISTEN, checks the stored version on every call', async () => {
    const svc = new ScheduleService({ sql: db.sql });
    const v = (await svc.current())!.version;
    value(await saveSchedule(other, example(), { by: 'other', now: NOW }));
    expect((await svc.current())?.version).toBe(v + 1);
  });

  it('routes with the current version and a storable record', async () => {
    const svc = new ScheduleService({ sql: db.sql });
    const r = value(await svc.route({ messageType: 'ORU', category: 'critical-result', service: 'ob' }, at('2025-03-04T15:00:00Z')));
    const record = toRoutingRecord(r, r.scheduleVersion);
    expect(record).toMatchObject({ rule: 'critical-lab', recipient: { kind: 'role', role: 'ob-oncall' }, policy: 'ob-two-step', oncall: { primary: { id: 'dr-alvarez' } } });
    expect(record.explanation).toContain('Dr. Ada Alvarez');
    expect(error(await svc.oncall('nope', NOW.getTime())).code).toBe('ERR_ROLE_UNKNOWN');
  });
});
