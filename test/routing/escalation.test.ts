import { describe, expect, it } from 'vitest';
import { oncall, toOncallJson } from '../../src/routing/index.js';
import { exampleCompiled } from './example.js';
import { compiled, local, people } from './helpers.js';

const NY = 'America/New_York';

describe('toOncallJson: the CLI shape {role, at, primary, backups, escalation}', () => {
  const c = exampleCompiled();
  it('Monday 23:00: night layer primary, late backup, two steps repeated once, then the supervisor', () => {
    const r = oncall(c, 'ob-oncall', local('2025-03-03T23:00', NY));
    if (!r.ok) throw new Error(r.error.message);
    const diaz = { id: 'dr-diaz', name: 'Dr. Dan Diaz' };
    const evans = { id: 'dr-evans', name: 'Dr. Eve Evans' };
    expect(toOncallJson(r.value)).toEqual({
      role: 'ob-oncall',
      at: '2025-03-03T23:00:00-05:00',
      primary: diaz,
      backups: [evans],
      escalation: [
        { step: 1, targets: [diaz], waitMinutes: 5 },
        { step: 2, targets: [evans, diaz], waitMinutes: 10 },
        { step: 3, targets: [diaz], waitMinutes: 5 },
        { step: 4, targets: [evans, diaz], waitMinutes: 10 },
        { step: 5, targets: [{ id: 'sup-harper', name: 'Hal Harper (answering-service supervisor)' }], waitMinutes: 0 },
      ],
    });
    expect(JSON.parse(JSON.stringify(toOncallJson(r.value)))).toEqual(toOncallJson(r.value)); // serialisable as is
  });

  it('a gap prints primary null and the unresolved targets are listed, not hidden', () => {
    const r = oncall(c, 'ob-oncall', local('2025-03-01T12:00', NY)); // before the rotations start
    expect(r.ok && toOncallJson(r.value).primary).toBeNull();
    expect(r.ok && r.value.escalation[0]?.unresolved).toEqual(["role 'ob-oncall' has nobody on call"]);
  });
});

describe('escalation chains', () => {
  const c = compiled({
    version: 1,
    timeZone: NY,
    practitioners: [
      { id: 'a', name: 'A', channels: [{ kind: 'sms', address: 's-a' }, { kind: 'push', address: 'p-a' }, { kind: 'voice', address: 'v-a' }], preferredChannels: ['push', 'sms'] },
      ...people('b', 'chief', 's1', 's2'),
    ],
    groups: [{ id: 'sup', members: ['s1', 's2'] }],
    roles: [
      { id: 'ob', name: 'OB', layers: [{ id: 'l', practitioner: 'a' }], backups: [{ id: 'b', practitioner: 'b' }] },
      { id: 'chief', name: 'Chief', layers: [{ id: 'l', practitioner: 'chief' }] },
      { id: 'empty', name: 'Empty', layers: [] },
    ],
    escalationPolicies: [
      {
        id: 'full',
        steps: [
          { targets: [{ kind: 'role' }], channels: ['voice'], waitMinutes: 5 },
          { targets: [{ kind: 'backups' }], waitMinutes: 10 },
          { targets: [{ kind: 'role', role: 'chief' }, { kind: 'practitioner', practitioner: 'a' }], waitMinutes: 15 },
        ],
        repeat: 2,
        fallback: { targets: [{ kind: 'group', group: 'sup' }] },
      },
      { id: 'empty-role', steps: [{ targets: [{ kind: 'role', role: 'empty' }], waitMinutes: 1 }] },
    ],
  });
  const at = local('2025-05-01T12:00', NY);

  it.each([
    ['full', 'ob', [['a'], ['b'], ['chief', 'a'], ['a'], ['b'], ['chief', 'a'], ['a'], ['b'], ['chief', 'a'], ['s1', 's2']], [5, 10, 15, 5, 10, 15, 5, 10, 15, 0]],
    ['empty-role', 'ob', [[]], [1]],
    [undefined, 'ob', [['a']], [0]], // no policy: the primary alone
  ])('policy %s for %s', (policy, role, targets, waits) => {
    const r = oncall(c, role, at, { policy });
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.escalation.map((s) => s.targets.map((t) => t.id))).toEqual(targets);
    expect(r.value.escalation.map((s) => s.waitMinutes)).toEqual(waits);
    expect(r.value.escalation.map((s) => s.step)).toEqual(targets.map((_, i) => i + 1));
  });

  it.each([
    [0, ['voice:v-a'], 'step channels override preference'],
    [2, ['push:p-a', 'sms:s-a'], 'no step channels: the practitioner preference order'],
  ])('contacts of step %i: %j (%s)', (index, contacts) => {
    const r = oncall(c, 'ob', at, { policy: 'full' });
    const target = r.ok ? r.value.escalation[index]?.targets.find((t) => t.id === 'a') : undefined;
    expect(target?.contacts.map((x) => `${x.kind}:${x.address}`)).toEqual(contacts);
  });

  it('marks repeats and the fallback', () => {
    const r = oncall(c, 'ob', at, { policy: 'full' });
    expect(r.ok && r.value.escalation.map((s) => s.pass)).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2, null]);
  });
});
