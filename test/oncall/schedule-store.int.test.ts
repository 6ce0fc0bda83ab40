// The schedule store over a real PostgreSQL: versions, conflicts, validation before any write,
// item edits re-checked against the whole schedule, NOTIFY, and the FHIR view it maintains.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Practitioner, Resource } from 'fhir/r4.js';
import { saveResources } from '../../src/fhir/index.js';
import {
  COLLECTIONS, deleteItem, loadSchedule, saveSchedule, SCHEDULE_VIEW_TAG, upsertItem, refreshScheduleView, type Collection,
} from '../../src/oncall/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { error, example, NOW, value } from './support.js';
import { storedResources } from '../support/stored.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});
beforeEach(async () => {
  await db.sql`DELETE FROM schedule_document`;
  await db.sql`DELETE FROM fhir_resource`;
});

const save = (doc: unknown, extra: { expectedVersion?: number } = {}) => saveSchedule(db.sql, doc, { by: 'test', now: NOW, ...extra });
const viewRows = async (type: string) =>
  storedResources(db.sql, type);

describe('saveSchedule / loadSchedule', () => {
  it('stores version 1, then bumps the version on every save', async () => {
    expect(await loadSchedule(db.sql)).toBeUndefined();
    expect(value(await save(example())).version).toBe(1);
    expect(value(await save(example())).version).toBe(2);
    const stored = await loadSchedule(db.sql);
    expect(stored?.version).toBe(2);
    expect(stored?.updatedBy).toBe('test');
    expect(stored?.schedule.roles.map((r) => r.id)).toEqual(['ob-oncall', 'cardio-oncall']);
  });

  it('keeps documents apart by id', async () => {
    value(await saveSchedule(db.sql, example(), { id: 'other', by: null, now: NOW, fhirView: false }));
    expect(await loadSchedule(db.sql)).toBeUndefined();
    expect((await loadSchedule(db.sql, 'other'))?.version).toBe(1);
  });

  it.each([
    ['a stale version', 1, 2],
    ['"must not exist" when it exists', 0, 1],
  ])('refuses %s with ERR_SCHEDULE_CONFLICT and writes nothing', async (_n, expected, saves) => {
    for (let i = 0; i < saves; i++) value(await save(example()));
    const e = error(await save(example(), { expectedVersion: expected }));
    expect(e.code).toBe('ERR_SCHEDULE_CONFLICT');
    expect((await loadSchedule(db.sql))?.version).toBe(saves);
  });

  it('accepts the expected version and a 0 for the first save', async () => {
    expect(value(await save(example(), { expectedVersion: 0 })).version).toBe(1);
    expect(value(await save(example(), { expectedVersion: 1 })).version).toBe(2);
  });

  it('refuses an invalid document with every issue path, before writing anything', async () => {
    const doc = example();
    (doc.rotations[0] as { handoffTime: string }).handoffTime = '7am';
    (doc.practitioners[1] as { name?: string }).name = undefined;
    const e = error(await save(doc));
    expect(e.code).toBe('ERR_SCHEDULE_INVALID');
    expect(e.issues.map((i) => i.path)).toEqual(expect.arrayContaining(['rotations[0].handoffTime', 'practitioners[1].name']));
    expect(await loadSchedule(db.sql)).toBeUndefined();
    expect(await viewRows('Practitioner')).toEqual([]);
  });

  it('refuses unknown references (compileSchedule) naming each one by its path, not its text', async () => {
    const doc = example();
    doc.rotations[0]!.participants.push('dr-nobody');
    const e = error(await save(doc));
    expect(e.code).toBe('ERR_SCHEDULE_REFERENCE');
    expect(e.issues).toEqual([{ path: 'rotations[0].participants[3]', message: 'no practitioner has this id' }]);
    expect(JSON.stringify(e)).not.toContain('dr-nobody');
  });

  it('NOTIFYs switchboard_schedule with id:version after commit', async () => {
    const got: string[] = [];
    const l = await db.sql.listen('switchboard_schedule', (p) => got.push(p));
    value(await save(example()));
    await expect.poll(() => got).toEqual(['default:1']);
    await l.unlisten();
  });
});

describe('item edits', () => {
  const NEW_ITEMS: Record<Collection, Record<string, unknown>> = {
    practitioners: { id: 'dr-new', name: 'Dr. New', channels: [{ kind: 'sms', address: '+15555550999' }] },
    groups: { id: 'night-team', members: ['dr-diaz', 'dr-evans'] },
    rotations: { id: 'spare', participants: ['dr-chen'], period: { unit: 'day', count: 1 }, handoffTime: '08:00', startDate: '2025-03-01' },
    roles: { id: 'peds-oncall', name: 'Peds on call', layers: [{ id: 'all', practitioner: 'dr-brooks' }] },
    overrides: { id: 'cover-1', role: 'cardio-oncall', practitioner: 'dr-foster', start: '2025-03-20T07:00', end: '2025-03-21T07:00' },
    escalationPolicies: { id: 'simple', steps: [{ targets: [{ kind: 'role' }], waitMinutes: 3 }] },
    services: { id: 'peds', name: 'Pediatrics', organization: 'riverside' },
    organizations: { id: 'north', name: 'North Clinic' },
    'routing.rules': { id: 'peds-calls', when: { service: 'peds' }, role: 'ob-oncall' },
  };

  it.each(COLLECTIONS.map((c) => [c]))('%s: upsert adds, replaces in place, delete removes; each bumps the version', async (c) => {
    value(await save(example()));
    const item = NEW_ITEMS[c];
    const added = value(await upsertItem(db.sql, c, item, { by: 't', now: NOW }));
    expect(added).toMatchObject({ version: 2, created: true });
    const replaced = value(await upsertItem(db.sql, c, { ...item, name: 'Renamed' }, { by: 't', now: NOW, expectedVersion: 2 }));
    expect(replaced).toMatchObject({ version: 3, created: false });
    const list = (s: { routing?: { rules: unknown[] } } & Record<string, unknown>) => (c === 'routing.rules' ? s.routing?.rules : s[c]) as { id: string; name?: string }[];
    const after = list((await loadSchedule(db.sql))!.schedule as never);
    expect(after.filter((i) => i.id === item.id)).toHaveLength(1);
    if (c !== 'routing.rules' && c !== 'overrides') expect(after.find((i) => i.id === item.id)?.name).toBe('Renamed');
    expect(value(await deleteItem(db.sql, c, item.id as string, { by: 't', now: NOW })).version).toBe(4);
    expect(list((await loadSchedule(db.sql))!.schedule as never).some((i) => i.id === item.id)).toBe(false);
  });

  it('keeps the item order when replacing (overrides and rules are ordered)', async () => {
    value(await save(example()));
    value(await upsertItem(db.sql, 'routing.rules', { id: 'critical-lab', when: { category: 'critical-result' }, role: 'ob-oncall' }, { by: 't', now: NOW }));
    expect((await loadSchedule(db.sql))!.schedule.routing?.rules.map((r) => r.id)).toEqual(['critical-lab', 'cardiology-calls']);
  });

  it('refuses to delete a practitioner a rotation still names, with the reference in the error', async () => {
    value(await save(example()));
    const e = error(await deleteItem(db.sql, 'practitioners', 'dr-brooks', { by: 't', now: NOW }));
    expect(e.code).toBe('ERR_SCHEDULE_REFERENCE');
    expect(e.issues).toEqual([{ path: 'rotations[0].participants[1]', message: 'no practitioner has this id' }]);
    expect((await loadSchedule(db.sql))?.version).toBe(1);
  });

  it('validates the edited item in the whole document (issue path names the item)', async () => {
    value(await save(example()));
    const e = error(await upsertItem(db.sql, 'rotations', { id: 'bad', participants: [], period: { unit: 'month' }, handoffTime: '07:00', startDate: '2025-03-01' }, { by: 't', now: NOW }));
    expect(e.code).toBe('ERR_SCHEDULE_INVALID');
    expect(e.issues.map((i) => i.path)).toContain('rotations[4].period.unit');
  });

  it.each([
    ['an unknown item', async () => deleteItem(db.sql, 'groups', 'nope', { by: 't', now: NOW }), 'ERR_ITEM_NOT_FOUND'],
    ['an item without id', async () => upsertItem(db.sql, 'groups', { members: [] }, { by: 't', now: NOW }), 'ERR_SCHEDULE_INVALID'],
    ['a stale version', async () => upsertItem(db.sql, 'groups', { id: 'g', members: [] }, { by: 't', now: NOW, expectedVersion: 7 }), 'ERR_SCHEDULE_CONFLICT'],
  ])('refuses %s', async (_n, run, code) => {
    value(await save(example()));
    expect(error(await run()).code).toBe(code);
  });

  it('ERR_SCHEDULE_NOT_FOUND when nothing is stored', async () => {
    expect(error(await upsertItem(db.sql, 'groups', { id: 'g', members: [] }, { by: 't', now: NOW })).code).toBe('ERR_SCHEDULE_NOT_FOUND');
  });

  it('serialises concurrent edits: none is lost', async () => {
    value(await save(example()));
    const ids = Array.from({ length: 8 }, (_, i) => `org-${i}`);
    const results = await Promise.all(ids.map((id) => upsertItem(db.sql, 'organizations', { id, name: id }, { by: 't', now: NOW })));
    expect(results.every((r) => r.ok)).toBe(true);
    const stored = await loadSchedule(db.sql);
    expect(stored?.version).toBe(9);
    expect(stored?.schedule.organizations.map((o) => o.id)).toEqual(expect.arrayContaining(ids));
  });
});

describe('FHIR view', () => {
  const tagged = (r: Resource) => r.meta?.tag?.some((t) => t.system === SCHEDULE_VIEW_TAG && t.code === 'default');

  it('writes Practitioner, PractitionerRole, Schedule and 14 days of Slots, tagged', async () => {
    value(await save(example()));
    const practitioners = await viewRows('Practitioner');
    expect(practitioners.map((r) => r.id)).toEqual(['dr-alvarez', 'dr-brooks', 'dr-chen', 'dr-diaz', 'dr-evans', 'dr-foster', 'dr-garcia', 'sup-harper']);
    expect(practitioners.every((r) => tagged(r.resource))).toBe(true);
    expect(practitioners[0]!.resource).toMatchObject({ name: [{ text: 'Dr. Ada Alvarez' }], identifier: expect.arrayContaining([{ system: 'NPI', value: '1000000001' }]) });
    const roles = await viewRows('PractitionerRole');
    expect(roles.map((r) => r.id)).toContain('oncall-ob-oncall-dr-alvarez');
    expect(roles.find((r) => r.id === 'oncall-ob-oncall-dr-diaz')?.resource).toMatchObject({ availableTime: [{ daysOfWeek: ['mon', 'tue', 'wed', 'thu', 'fri'], availableStartTime: '19:00:00' }] });
    const schedules = await viewRows('Schedule');
    expect(schedules.map((r) => r.id)).toEqual(['oncall-cardio-oncall', 'oncall-ob-oncall']);
    expect(schedules[1]!.resource).toMatchObject({ planningHorizon: { start: '2025-03-04T10:00:00-05:00', end: '2025-03-18T11:00:00-04:00' } }); // 14 × 24 h across the DST change
    const slots = await viewRows('Slot');
    expect(slots.length).toBeGreaterThan(14);
    expect(slots.every((s) => tagged(s.resource))).toBe(true);
  });

  it('replaces the rows it wrote, leaves rows it did not write alone', async () => {
    const foreign: Practitioner = { resourceType: 'Practitioner', id: 'someone-else', name: [{ text: 'Not from the schedule' }] };
    await saveResources(db.sql, [foreign]);
    value(await save(example()));
    value(await upsertItem(db.sql, 'practitioners', { id: 'dr-new', name: 'Dr. New' }, { by: 't', now: NOW }));
    expect((await viewRows('Practitioner')).map((r) => r.id)).toContain('dr-new');
    value(await deleteItem(db.sql, 'practitioners', 'dr-new', { by: 't', now: NOW }));
    const ids = (await viewRows('Practitioner')).map((r) => r.id);
    expect(ids).not.toContain('dr-new');
    expect(ids).toContain('someone-else');
    // a save 30 days later: the old slots are gone, the new horizon starts then
    value(await saveSchedule(db.sql, example(), { by: 't', now: new Date('2025-04-03T14:00:00Z') }));
    const slots = await viewRows('Slot');
    expect(slots.every((s) => (s.resource as { start?: string }).start! >= '2025-04-03')).toBe(true);
  });

  it('a refresh moves the Slots\' horizon forward without a new version', async () => {
    const saved = value(await save(example()));
    const later = new Date('2025-05-01T12:00:00Z');
    expect(await refreshScheduleView(db.sql, later)).toBe(true);
    expect((await loadSchedule(db.sql))!.version).toBe(saved.version);
    const slots = await viewRows('Slot');
    expect(slots.length).toBeGreaterThan(14);
    expect(slots.every((x) => (x.resource as { start?: string }).start! >= '2025-05-01')).toBe(true);
    const schedules = await viewRows('Schedule');
    expect((schedules[0]!.resource as { planningHorizon?: { start?: string } }).planningHorizon?.start).toMatch(/^2025-05-01/);
  });

  it('a refresh with nothing stored does nothing', async () => {
    await db.sql`DELETE FROM schedule_document`;
    expect(await refreshScheduleView(db.sql, new Date())).toBe(false);
  });

  it('gives schedule ids that are not FHIR ids a stable legal id, references included', async () => {
    const doc = example();
    doc.practitioners.push({ id: 'dr_under:score', name: 'Dr. Underscore', identifiers: [], channels: [] });
    doc.roles.push({ id: 'night_role', name: 'Night role', layers: [{ id: 'all', practitioner: 'dr_under:score' }], backups: [] });
    value(await save(doc));
    const p = (await viewRows('Practitioner')).find((r) => r.id.startsWith('dr-under-score.'));
    expect(p).toBeDefined();
    const role = (await viewRows('PractitionerRole')).find((r) => r.id.startsWith('oncall-night-role-dr-under-score.'));
    expect((role?.resource as { practitioner?: { reference?: string } }).practitioner?.reference).toBe(`Practitioner/${p!.id}`);
  });
});
