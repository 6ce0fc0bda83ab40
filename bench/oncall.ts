import { performance } from 'node:perf_hooks';
import { compileSchedule, coverage, oncall, parseSchedule, primaryOf, type CompiledSchedule, type ScheduleInput } from '../src/routing/index.js';

/**
 * On-call resolution benchmark: 500 roles, a year of shifts and overrides.
 * Half the roles use rotations (weekly attending + weeknight layer + weekend layer + backup),
 * half use a year of explicit daily shifts (as imported from iCalendar); every role has one
 * override per week. Prints load (validate + compile) time and resolutions/s of `oncall`
 * (primary, backups and a two-step escalation chain), beside two baselines measured in the same
 * run on the same queries, both working from the year's coverage materialised up front:
 *  - the best simple alternative: per role, the year's segments as sorted arrays, found by
 *    binary search (primary only: no backups, no chain);
 *  - a linear scan over every segment of every role (what a naive store query would do).
 * Goal: >= 100,000 resolutions/s.
 */

const ROLES = 500;
const PEOPLE = 2000;
const ZONE = 'America/New_York';
const YEAR_START = Date.UTC(2025, 0, 1, 5); // 2025-01-01 00:00 EST
const YEAR_MS = 365 * 24 * 3_600_000;
const QUERIES = 200_000;
const BASELINE_QUERIES = 1_000;

/** Deterministic PRNG (mulberry32) so every run measures the same work. */
const rng = (seed: number): (() => number) => {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
};

const buildInput = (): ScheduleInput => {
  const rand = rng(42);
  const person = (): string => `p${Math.floor(rand() * PEOPLE)}`;
  const iso = (t: number): string => new Date(t).toISOString();
  const input: ScheduleInput & { rotations: NonNullable<ScheduleInput['rotations']>; overrides: NonNullable<ScheduleInput['overrides']> } = {
    version: 1,
    timeZone: ZONE,
    practitioners: Array.from({ length: PEOPLE }, (_, i) => ({ id: `p${i}`, name: `Dr P${i}`, channels: [{ kind: 'sms' as const, address: `+1555${i}` }] })),
    rotations: [],
    roles: [],
    overrides: [],
    escalationPolicies: [{ id: 'two-step', steps: [{ targets: [{ kind: 'role' }], waitMinutes: 5 }, { targets: [{ kind: 'backups' }], waitMinutes: 10 }] }],
  };
  for (let r = 0; r < ROLES; r++) {
    const id = `role${r}`;
    if (r % 2 === 0) {
      for (const kind of ['days', 'nights', 'backup']) {
        input.rotations.push({
          id: `${id}-${kind}`,
          participants: Array.from({ length: 4 }, person),
          period: { unit: kind === 'nights' ? 'day' : 'week' },
          handoffTime: kind === 'nights' ? '19:00' : '07:00',
          startDate: '2024-12-30',
        });
      }
      input.roles.push({
        id,
        name: `Role ${r}`,
        escalationPolicy: 'two-step',
        layers: [
          { id: 'days', rotation: `${id}-days` },
          { id: 'nights', rotation: `${id}-nights`, windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '19:00', end: '07:00' }] },
          { id: 'weekend', practitioner: person(), windows: [{ days: ['sat', 'sun'], start: '07:00', end: '07:00' }] },
        ],
        backups: [{ id: 'late', rotation: `${id}-backup`, windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '22:00', end: '07:00' }] }],
      });
    } else {
      const shifts = Array.from({ length: 366 }, (_, d) => ({
        practitioner: person(),
        start: `${new Date(YEAR_START + d * 86_400_000).toISOString().slice(0, 10)}T07:00`,
        end: `${new Date(YEAR_START + (d + 1) * 86_400_000).toISOString().slice(0, 10)}T07:00`,
      }));
      input.roles.push({ id, name: `Role ${r}`, escalationPolicy: 'two-step', layers: [{ id: 'imported', shifts }], backups: [{ id: 'b', practitioner: person() }] });
    }
    for (let w = 0; w < 52; w++) {
      const start = YEAR_START + w * 7 * 86_400_000 + Math.floor(rand() * 6 * 86_400_000);
      input.overrides.push({ role: id, practitioner: person(), start: iso(start), end: iso(start + (1 + Math.floor(rand() * 24)) * 3_600_000) });
    }
  }
  return input;
};

interface FlatShift {
  readonly role: string;
  readonly start: number;
  readonly end: number;
  readonly practitioner: string | null;
}

/** Baseline: every shift of every role in one list, scanned linearly per query. */
const naiveResolve = (all: readonly FlatShift[], role: string, t: number): string | null => {
  for (const s of all) if (s.role === role && s.start <= t && t < s.end) return s.practitioner;
  return null;
};

/** Best simple alternative: one role's segments as sorted arrays (starts, ends, who). */
interface RoleIntervals {
  readonly starts: Float64Array;
  readonly ends: Float64Array;
  readonly who: readonly (string | null)[];
}

/** Binary search for the last segment starting at or before t. O(log n). */
const bsearchResolve = (byRole: ReadonlyMap<string, RoleIntervals>, role: string, t: number): string | null => {
  const r = byRole.get(role);
  if (r === undefined) return null;
  let lo = 0;
  let hi = r.starts.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if ((r.starts[mid] as number) <= t) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found >= 0 && t < (r.ends[found] as number) ? (r.who[found] ?? null) : null;
};

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

export async function run(): Promise<void> {
  const input = buildInput();
  const t0 = performance.now();
  const parsed = parseSchedule(input, 'bench');
  const t1 = performance.now();
  if (!parsed.ok) throw new Error(parsed.error.message);
  const compiledR = compileSchedule(parsed.value);
  const t2 = performance.now();
  if (!compiledR.ok) throw new Error(compiledR.error.message);
  const c: CompiledSchedule = compiledR.value;

  const rand = rng(7);
  const roles = Array.from({ length: QUERIES }, () => `role${Math.floor(rand() * ROLES)}`);
  const instants = Array.from({ length: QUERIES }, () => YEAR_START + Math.floor(rand() * YEAR_MS));

  // Warm up (JIT, and the zone's offset table for the year) before measuring.
  for (let i = 0; i < 20_000; i++) oncall(c, roles[i] as string, instants[i] as number);
  let covered = 0;
  const t3 = performance.now();
  for (let i = 0; i < QUERIES; i++) {
    const r = oncall(c, roles[i] as string, instants[i] as number);
    if (r.ok && r.value.primary !== null) covered++;
  }
  const t4 = performance.now();
  const rate = QUERIES / ((t4 - t3) / 1000);

  // The same lookup as the baselines: the primary alone, from the compiled schedule.
  for (let i = 0; i < 20_000; i++) primaryOf(c, roles[i] as string, instants[i] as number);
  const t3p = performance.now();
  for (let i = 0; i < QUERIES; i++) primaryOf(c, roles[i] as string, instants[i] as number);
  const t4p = performance.now();
  const primaryRate = QUERIES / ((t4p - t3p) / 1000);

  // Baselines: materialise every role's coverage for the year first (timed apart: it is their load).
  const t5 = performance.now();
  const flat: FlatShift[] = [];
  const byRole = new Map<string, RoleIntervals>();
  for (const role of c.roles.keys()) {
    const cov = coverage(c, role, YEAR_START, YEAR_START + YEAR_MS);
    if (!cov.ok) continue;
    for (const s of cov.value) flat.push({ role, start: s.start, end: s.end, practitioner: s.primary?.practitioner.id ?? null });
    byRole.set(role, {
      starts: Float64Array.from(cov.value, (s) => s.start),
      ends: Float64Array.from(cov.value, (s) => s.end),
      who: cov.value.map((s) => s.primary?.practitioner.id ?? null),
    });
  }
  const t6 = performance.now();

  // Binary search: the same queries, after the same warm-up.
  let sink = 0;
  for (let i = 0; i < 20_000; i++) if (bsearchResolve(byRole, roles[i] as string, instants[i] as number) !== null) sink++;
  const t7 = performance.now();
  for (let i = 0; i < QUERIES; i++) if (bsearchResolve(byRole, roles[i] as string, instants[i] as number) !== null) sink++;
  const t8 = performance.now();
  const bsearch = QUERIES / ((t8 - t7) / 1000);

  // Linear scan: fewer queries (it is ~1,000 times slower).
  let agreeScan = 0;
  let agreeBsearch = 0;
  const t9 = performance.now();
  for (let i = 0; i < BASELINE_QUERIES; i++) if (naiveResolve(flat, roles[i] as string, instants[i] as number) !== undefined) sink++;
  const t10 = performance.now();
  const scan = BASELINE_QUERIES / ((t10 - t9) / 1000);
  for (let i = 0; i < BASELINE_QUERIES; i++) {
    const r = oncall(c, roles[i] as string, instants[i] as number);
    const ours = r.ok ? (r.value.primary?.practitioner.id ?? null) : 'error';
    if (naiveResolve(flat, roles[i] as string, instants[i] as number) === ours) agreeScan++;
    if (bsearchResolve(byRole, roles[i] as string, instants[i] as number) === ours) agreeBsearch++;
  }

  const lines = [
    `oncall: ${ROLES} roles, ${fmt(parsed.value.overrides.length)} overrides, ${fmt(flat.length)} shift segments over one year (${ZONE})`,
    `  load: validate ${(t1 - t0).toFixed(1)} ms + compile ${(t2 - t1).toFixed(1)} ms = ${(t2 - t0).toFixed(1)} ms (baselines: materialising the year's segments ${(t6 - t5).toFixed(0)} ms)`,
    `  compiled oncall(): ${fmt(rate)} resolutions/s (primary, backups, two-step chain; ${QUERIES.toLocaleString('en-US')} queries, ${((covered / QUERIES) * 100).toFixed(1)}% covered)`,
    `  compiled primaryOf(): ${fmt(primaryRate)} resolutions/s (primary only, like the baselines)`,
    `  baseline per-role sorted intervals + binary search: ${fmt(bsearch)} resolutions/s (primary only; answers agree ${agreeBsearch}/${BASELINE_QUERIES})`,
    `  baseline linear scan over all segments: ${fmt(scan)} resolutions/s (primary only; ${BASELINE_QUERIES} queries; answers agree ${agreeScan}/${BASELINE_QUERIES})`,
    `  primary only, compiled vs binary search: ${(primaryRate / bsearch).toFixed(2)}x; vs the linear scan: ${(primaryRate / scan).toFixed(0)}x`,
    `  full resolution vs binary search (primary only): ${(rate / bsearch).toFixed(2)}x; goal >= 100,000 full resolutions/s: ${rate >= 100_000 ? 'met' : 'NOT met'}${sink < 0 ? '' : ''}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
