// The pure parts of delivery: retry timing, start-of-day arithmetic across DST, the chain with a
// direct step, plans for nobody on call, the PHI-free payload, and the schedule's new fields.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { retryDelayMs, parseRetryAfter } from '../../src/delivery/backoff.js';
import { nextLocalTime } from '../../src/delivery/triage.js';
import { chainAt, planStep } from '../../src/delivery/chain.js';
import { payloadOf } from '../../src/delivery/payload.js';
import { hashId, notificationId } from '../../src/delivery/ids.js';
import { compileSchedule, durationMs, parseSchedule, type CompiledSchedule } from '../../src/routing/index.js';
import type { ClaimedAttempt } from '../../src/store/index.js';
import { findPhi } from '../support/phi.js';
import { testSchedule } from './support.js';

const compiled = (): CompiledSchedule => {
  const p = parseSchedule(testSchedule('https://hooks.example'));
  if (!p.ok) throw new Error(JSON.stringify(p.error));
  const c = compileSchedule(p.value);
  if (!c.ok) throw new Error(JSON.stringify(c.error));
  return c.value;
};

describe('retry timing', () => {
  const p = { maxAttempts: 10, baseMs: 1_000, maxMs: 60_000 };
  it('doubles from the base, with jitter between half and all of it, capped', () => {
    expect(retryDelayMs(p, 1, () => 0)).toBe(500);
    expect(retryDelayMs(p, 1, () => 1)).toBe(1_000);
    expect(retryDelayMs(p, 4, () => 0.5)).toBe(6_000);
    expect(retryDelayMs(p, 30, () => 1)).toBe(60_000);
  });
  it('honours a longer Retry-After, still capped', () => {
    expect(retryDelayMs(p, 1, () => 0, 10_000)).toBe(10_000);
    expect(retryDelayMs(p, 1, () => 0, 600_000)).toBe(60_000);
    expect(parseRetryAfter('7', 0)).toBe(7_000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(10_000);
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
  });
  it('is always within [0, max] for any attempt and randomness', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 1000 }), fc.double({ min: 0, max: 1, noNaN: true }), (n, r) => {
      const d = retryDelayMs(p, n, () => r);
      return d >= 0 && d <= p.maxMs;
    }));
  });
});

describe('start of day', () => {
  const c = compiled(); // America/New_York
  it.each([
    ['2025-03-04T15:00:00Z', '08:00', '2025-03-05T13:00:00.000Z'], // Tue 10:00 EST -> Wed 08:00 EST
    ['2025-03-04T12:00:00Z', '08:00', '2025-03-04T13:00:00.000Z'], // Tue 07:00 -> same day
    ['2025-03-04T13:00:00Z', '08:00', '2025-03-05T13:00:00.000Z'], // exactly 08:00 -> the next one
    ['2025-03-08T20:00:00Z', '08:00', '2025-03-09T12:00:00.000Z'], // Sat -> Sun 08:00 EDT (DST began 02:00)
    ['2025-03-08T20:00:00Z', '02:30', '2025-03-09T07:30:00.000Z'], // 02:30 does not exist that day: RFC 5545 reads it with the offset before the gap, 03:30 EDT
    ['2025-11-01T20:00:00Z', '01:30', '2025-11-02T05:30:00.000Z'], // 01:30 happens twice: the first (EDT)
  ])('after %s, %s local is %s', (now, hhmm, want) => {
    expect(new Date(nextLocalTime(c, hhmm, Date.parse(now))).toISOString()).toBe(want);
  });
});

describe('the chain at fire time', () => {
  const c = compiled();
  const at = Date.parse('2025-03-04T15:00:00Z'); // dr-baker covers ward
  it('is the policy expanded: steps, the repeat, the fallback, with exact waits', () => {
    const chain = chainAt(c, { role: 'ward', policy: 'fast', direct_to: null }, at);
    if (!chain.ok) throw new Error(chain.reason);
    expect(chain.steps.map((s) => [s.step, s.targets.map((t) => t.id).join('+'), s.waitMs])).toEqual([
      [1, 'dr-baker', 20_000], [2, 'dr-cole', 20_000], [3, 'dr-baker', 20_000], [4, 'dr-cole', 20_000], [5, 'sup-dale', 0],
    ]);
  });
  it('puts a provider routed directly first, waiting as the first step does', () => {
    const chain = chainAt(c, { role: 'ward', policy: 'fast', direct_to: 'dr-ames' }, at);
    if (!chain.ok) throw new Error(chain.reason);
    expect(chain.steps.map((s) => [s.step, s.targets.map((t) => t.id).join('+'), s.waitMs])).toEqual([
      [1, 'dr-ames', 20_000], [2, 'dr-baker', 20_000], [3, 'dr-cole', 20_000], [4, 'dr-baker', 20_000], [5, 'dr-cole', 20_000], [6, 'sup-dale', 0],
    ]);
  });
  it('for a step with nobody, plans the fallback at once; with no fallback, nothing', () => {
    const chain = chainAt(c, { role: 'gap', policy: 'fast', direct_to: null }, at);
    if (!chain.ok) throw new Error(chain.reason);
    const plan = planStep(chain.steps, 1);
    expect(plan.kind).toBe('nobody');
    expect(plan.kind === 'nobody' && plan.fallback?.step).toBe(5);
    expect(planStep(chain.steps, 6)).toEqual({ kind: 'done' });
  });
  it('without a schedule, or for an unknown role, says why', () => {
    expect(chainAt(undefined, { role: 'ward', policy: 'fast', direct_to: null }, at)).toEqual({ ok: false, reason: 'no schedule is stored' });
    expect(chainAt(c, { role: 'nope', policy: 'fast', direct_to: null }, at)).toMatchObject({ ok: false, reason: 'no role with this id in the schedule' });
  });
});

describe('payloads', () => {
  const claimed = (o: Partial<ClaimedAttempt>): ClaimedAttempt => ({
    id: '1', notification_id: 'n-1', digest_id: null, request_id: 'cr-1', recipient: 'dr-ames', channel: 'webhook', contact: 'https://x', attempts: 1,
    kind: 'step', seq: 2, priority: 'stat', run_step: 2, digest_request_ids: null, ...o,
  });
  it('carry ids, priority, step, practitioner and a link — nothing else', () => {
    expect(payloadOf(claimed({}), 'https://sb.example/')).toEqual({
      type: 'notification', messageId: 'cr-1', notificationId: 'n-1', priority: 'stat', step: 2, practitioner: 'dr-ames', link: 'https://sb.example/me/messages/cr-1',
    });
    expect(payloadOf(claimed({ digest_id: 'd-1', notification_id: null, request_id: null, kind: null, seq: null, digest_request_ids: ['a', 'b'] }), 'https://sb.example')).toEqual({
      type: 'digest', messageId: null, notificationId: 'd-1', priority: 'routine', step: null, practitioner: 'dr-ames', link: 'https://sb.example/me/messages?status=open', messageIds: ['a', 'b'],
    });
  });
  it('have the same keys whatever the ids hold', () => {
    fc.assert(fc.property(fc.string(), fc.string(), fc.string(), fc.constantFrom('step', 'renotify', 'forward'), (req, who, pr, kind) => {
      const p = payloadOf(claimed({ request_id: req, recipient: who, priority: pr, kind: kind as ClaimedAttempt['kind'] }), 'https://sb.example');
      return Object.keys(p).sort().join() === 'link,messageId,notificationId,practitioner,priority,step,type';
    }));
  });
  it('the PHI scan finds the fixtures\' names, MRNs and birth dates (it can fail)', () => {
    expect(findPhi('{"n":"TESTPATIENT"}')).toContain('TESTPATIENT');
    expect(findPhi('{"mrn":"MRN100234"}')).toContain('MRN100234');
    expect(findPhi('born 1980-02-29')).toContain('1980-02-29');
    expect(findPhi(JSON.stringify(payloadOf(claimed({}), 'https://sb.example')))).toEqual([]);
  });
});

describe('ids', () => {
  it('are deterministic UUIDs (RFC 9562 version 8), distinct per key', () => {
    const a = notificationId('cr-1', 'step', 1, 'dr-a');
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(notificationId('cr-1', 'step', 1, 'dr-a')).toBe(a);
    expect(notificationId('cr-1', 'step', 2, 'dr-a')).not.toBe(a);
    expect(hashId('x', 1)).not.toBe(hashId('x1'));
  });
});

describe('schedule fields for delivery', () => {
  const base = testSchedule('https://hooks.example');
  const withStep = (step: Record<string, unknown>) => ({ ...base, escalationPolicies: [{ id: 'p', steps: [{ targets: [{ kind: 'role' }], ...step }] }] });
  it('a step waits `wait` (ISO 8601) or `waitMinutes`, exactly one', () => {
    expect(parseSchedule(withStep({ wait: 'PT20S' })).ok).toBe(true);
    expect(parseSchedule(withStep({ waitMinutes: 5 })).ok).toBe(true);
    expect(parseSchedule(withStep({ wait: 'PT20S', waitMinutes: 5 })).ok).toBe(false);
    expect(parseSchedule(withStep({})).ok).toBe(false);
    for (const bad of ['20S', 'P1M', 'PT', 'P', 'PT-5S', 'P1Y']) expect(parseSchedule(withStep({ wait: bad })).ok).toBe(false);
  });
  it.each([['PT20S', 20_000], ['PT5M', 300_000], ['P1DT2H', 93_600_000], ['PT0S', 0]])('%s is %i ms', (d, ms) => {
    expect(durationMs(d)).toBe(ms);
  });
  it('a webhook contact needs an http(s) URL and its whsec_ secret', () => {
    const withContact = (c: Record<string, unknown>) => ({ ...base, practitioners: [...base.practitioners, { id: 'x', name: 'X', channels: [c] }] });
    expect(parseSchedule(withContact({ kind: 'webhook', address: 'https://gw.example/sms', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' })).ok).toBe(true);
    expect(parseSchedule(withContact({ kind: 'webhook', address: 'https://gw.example/sms' })).ok).toBe(false);
    expect(parseSchedule(withContact({ kind: 'webhook', address: 'ftp://gw.example', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' })).ok).toBe(false);
    expect(parseSchedule(withContact({ kind: 'webhook', address: 'https://gw.example', secret: 'hunter2' })).ok).toBe(false);
  });
});
