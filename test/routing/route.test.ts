import { describe, expect, it } from 'vitest';
import { routeMessage, type MessageAttributes } from '../../src/routing/index.js';
import { exampleCompiled } from './example.js';
import { compiled, local, people } from './helpers.js';

const NY = 'America/New_York';
const c = exampleCompiled();
// Week of 2025-03-03: ob-weekly = Alvarez, ob-nights = Diaz; cardio-daily day 2 (Mar 3) = Foster.
const TUE_NOON = local('2025-03-04T12:00', NY);
const TUE_2100 = local('2025-03-04T21:00', NY);

describe('routeMessage: first matching rule, then on-duty provider, then role', () => {
  it.each<[string, MessageAttributes, number, string, string]>([
    ['critical lab, no provider', { messageType: 'ORU', category: 'critical-result', service: 'ob' }, TUE_2100, 'critical-lab', 'role:ob-oncall'],
    ['critical lab, ordering provider on duty (clinic hours)', { messageType: 'ORU', category: 'critical-result', service: 'ob', orderingProvider: 'NPI|1000000001' }, TUE_NOON, 'critical-lab', 'provider:dr-alvarez'],
    ['critical lab, ordering provider on call (primary of a role)', { messageType: 'ORU', category: 'critical-result', service: 'ob', orderingProvider: 'dr-diaz' }, TUE_2100, 'critical-lab', 'provider:dr-diaz'],
    ['critical lab, ordering provider off duty -> their covering role', { messageType: 'ORU', category: 'critical-result', service: 'ob', orderingProvider: 'NPI|1000000001' }, TUE_2100, 'critical-lab', 'role:ob-oncall'],
    ['attending tried after an unknown ordering provider', { messageType: 'ORU', category: 'critical-result', service: 'ob', orderingProvider: 'NPI|999', attendingProvider: 'dr-diaz' }, TUE_2100, 'critical-lab', 'provider:dr-diaz'],
    ['list-valued and partial match', { service: 'cardiology', priority: 'stat' }, TUE_NOON, 'cardiology-calls', 'role:cardio-oncall'],
    ['no rule matches -> default route', { messageType: 'ADT' }, TUE_NOON, 'default', 'role:ob-oncall'],
  ])('%s', (_what, message, now, rule, recipient) => {
    const r = routeMessage(c, message, now);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.rule).toBe(rule);
    const rc = r.value.recipient;
    expect(rc.kind === 'provider' ? `provider:${rc.practitioner.id}` : `role:${rc.role}`).toBe(recipient);
  });

  it('stores an explanation naming the rule, role, person, rotation and override', () => {
    const r = routeMessage(c, { messageType: 'ORU', category: 'critical-result', service: 'ob' }, TUE_2100);
    expect(r.ok && r.value.explanation).toBe(
      "rule 'critical-lab', role ob-oncall, Dr. Dan Diaz on call via weekly rotation 'ob-nights' (layer 'nights', shift 0, Tue 2025-03-04 19:00 – Wed 2025-03-05 07:00), override none",
    );
    const o = routeMessage(c, { messageType: 'ORU', category: 'critical-result', service: 'ob' }, local('2025-03-12T12:00', NY));
    expect(o.ok && o.value.explanation).toBe(
      "rule 'critical-lab', role ob-oncall, Dr. Cora Chen on call via override 'swap-2025-03-12' (Alvarez/Chen swap), Wed 2025-03-12 07:00 – Thu 2025-03-13 07:00",
    );
  });

  it('fails closed without a matching rule or default', () => {
    const bare = compiled({ version: 1, timeZone: NY, practitioners: people('a'), roles: [{ id: 'r', name: 'R', layers: [] }] });
    const r = routeMessage(bare, { messageType: 'ORU' }, TUE_NOON);
    expect(r.ok ? null : r.error.code).toBe('ERR_NO_ROUTE');
  });
});
