import { describe, expect, it } from 'vitest';
import { toFhirSchedule, toPractitionerRoles } from '../../src/routing/index.js';
import { exampleCompiled } from './example.js';
import { local } from './helpers.js';

const NY = 'America/New_York';
const c = exampleCompiled();
const FROM = local('2025-03-03T07:00', NY);
const TO = local('2025-03-04T07:00', NY);

describe('FHIR view of on-call coverage', () => {
  it('builds one PractitionerRole per person covering the role, with availableTime from their layer', () => {
    const r = toPractitionerRoles(c, 'ob-oncall', FROM, TO);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.map((pr) => [pr.id, pr.practitioner?.reference, pr.period])).toEqual([
      ['oncall-ob-oncall-dr-alvarez', 'Practitioner/dr-alvarez', { start: '2025-03-03T07:00:00-05:00', end: '2025-03-03T19:00:00-05:00' }],
      ['oncall-ob-oncall-dr-diaz', 'Practitioner/dr-diaz', { start: '2025-03-03T19:00:00-05:00', end: '2025-03-04T07:00:00-05:00' }],
    ]);
    expect(r.value[0]?.code?.[0]?.coding?.[0]).toEqual({ system: 'urn:switchboard:oncall-role', code: 'ob-oncall', display: 'OB attending on call' });
    expect(r.value[0]?.availableTime).toEqual([{ daysOfWeek: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], allDay: true }]);
    expect(r.value[1]?.availableTime).toEqual([{ daysOfWeek: ['mon', 'tue', 'wed', 'thu', 'fri'], availableStartTime: '19:00:00', availableEndTime: '23:59:59' }]);
    expect(r.value[0]?.telecom?.map((t) => t.system)).toEqual(['other', 'sms']);
  });

  it('builds a Schedule and one Slot per coverage segment, tiling the horizon', () => {
    const r = toFhirSchedule(c, 'ob-oncall', FROM, TO);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.schedule.actor.map((a) => a.reference)).toEqual(['PractitionerRole/oncall-ob-oncall-dr-alvarez', 'PractitionerRole/oncall-ob-oncall-dr-diaz']);
    expect(r.value.slots.map((s) => [s.start, s.end, s.status])).toEqual([
      ['2025-03-03T07:00:00-05:00', '2025-03-03T19:00:00-05:00', 'busy'],
      ['2025-03-03T19:00:00-05:00', '2025-03-03T22:00:00-05:00', 'busy'],
      ['2025-03-03T22:00:00-05:00', '2025-03-04T07:00:00-05:00', 'busy'],
    ]);
    expect(r.value.slots.every((s) => s.schedule.reference === 'Schedule/oncall-ob-oncall')).toBe(true);
  });

  it('shows a gap as a free slot', () => {
    const r = toFhirSchedule(c, 'ob-oncall', local('2025-03-02T12:00', NY), FROM);
    expect(r.ok && r.value.slots.map((s) => s.status)).toEqual(['free']);
  });
});
