import { z } from 'zod';
import { DAY_MS, HHMM, isInstantText, readDate, readDuration, WEEKDAYS } from '../time/index.js';
import { durationMs } from './duration.js';

/**
 * The schedule file format (documented in README.md "On-call schedules and routing"; example in
 * fixtures/schedules/example.json). Structure only: references between ids are checked by
 * `lintSchedule` / `compileSchedule`, so that one run reports every unknown id at once.
 */

const id = z.string().max(200).regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'ids are letters, digits and . _ : -');
const hhmm = z.string().regex(HHMM, 'expected HH:MM (24 h)');
const date = z.string().max(10).refine((d) => readDate(d) !== undefined, 'expected a real date, YYYY-MM-DD');
/** ISO 8601 date-time; with `Z`/offset it is an instant, without one a local time in the item's zone. */
const instant = z.string().max(40).refine(isInstantText, 'expected a real ISO 8601 date-time, e.g. 2025-03-09T07:00 or 2025-03-09T07:00:00-05:00');
/** Longest shift or override a duration may give: ten years, in days. */
const MAX_DURATION_DAYS = 3660;
/** RFC 5545 / ISO 8601 duration, positive: days and weeks nominal, hours/minutes/seconds exact. */
const duration = z
  .string()
  .max(40)
  .refine((d) => {
    const r = readDuration(d);
    return r !== undefined && r.sign === 1 && r.days + r.ms > 0 && r.days + r.ms / DAY_MS <= MAX_DURATION_DAYS;
  }, 'expected a positive ISO 8601 duration of at most ten years, e.g. PT12H, P1D or P1DT12H');
/** An IANA zone name; whether it exists is checked with the references (INVALID_TIME_ZONE). */
const zoneName = z.string().min(1).max(64);

/** `end` or `duration`, exactly one (the interval [start, end) or [start, start + duration)). */
const oneEnd = (v: { end?: string | undefined; duration?: string | undefined }, ctx: z.RefinementCtx): void => {
  if ((v.end === undefined) === (v.duration === undefined)) ctx.addIssue({ code: 'custom', path: ['end'], message: 'exactly one of end, duration' });
};

export const channelKindSchema = z.enum(['inbox', 'push', 'sms', 'voice', 'pager', 'email', 'webhook']);

/** A wait of delivery (README "Delivery"): an ISO 8601 duration (`PT20S`, `PT5M`), elapsed time, at most a year. */
const waitDuration = z
  .string()
  .max(40)
  .refine((v) => { const ms = durationMs(v); return Number.isFinite(ms) && ms <= 366 * DAY_MS; }, 'expected an ISO 8601 duration of at most a year, e.g. PT20S, PT5M or P1D');

/**
 * A contact. A webhook contact (paging, SMS and voice gateways) names an http(s) URL and its
 * Standard Webhooks signing secret (`whsec_` + base64): a credential the API never returns.
 */
export const contactSchema = z
  .object({ kind: channelKindSchema, address: z.string(), secret: z.string().regex(/^whsec_[A-Za-z0-9+/]{16,}={0,2}$/, 'expected whsec_ and a base64 key').optional() })
  .superRefine((c, ctx) => {
    if (c.kind !== 'webhook') return;
    if (!/^https?:\/\/[^\s]+$/.test(c.address) || !URL.canParse(c.address)) ctx.addIssue({ code: 'custom', path: ['address'], message: 'a webhook address is an http(s) URL' });
    if (c.secret === undefined) ctx.addIssue({ code: 'custom', path: ['secret'], message: 'a webhook contact needs its signing secret (whsec_...)' });
  });

/** A weekly window in local time; `end <= start` wraps past midnight, `end == start` is 24 h. */
export const windowSchema = z.object({
  days: z.array(z.enum(WEEKDAYS)).min(1),
  start: hhmm,
  end: hhmm,
});

export const shiftSchema = z
  .object({
    practitioner: id,
    start: instant,
    end: instant.optional(),
    duration: duration.optional(),
  })
  .superRefine(oneEnd);

/** Who covers: exactly one of a rotation, one fixed practitioner, or explicit shifts. */
export const coverageSchema = z
  .object({
    id,
    name: z.string().optional(),
    rotation: id.optional(),
    practitioner: id.optional(),
    shifts: z.array(shiftSchema).optional(),
    windows: z.array(windowSchema).min(1).optional(),
    /** Zone of this entry's windows and local shift times; default the schedule's. */
    timeZone: zoneName.optional(),
  })
  .superRefine((v, ctx) => {
    const n = [v.rotation, v.practitioner, v.shifts].filter((x) => x !== undefined).length;
    if (n !== 1) ctx.addIssue({ code: 'custom', message: 'exactly one of rotation, practitioner, shifts' });
  });

/**
 * Turns advance `per-period` (calendar turns: shift k runs from the hand-off of day
 * startDate + k * period to the next) or `per-window` (turn k is the k-th instance of the
 * rotation's weekly windows from startDate on: Monday-Friday windows give one person per working
 * day, and days without a window use no turn).
 */
export const rotationSchema = z
  .object({
    id,
    name: z.string().optional(),
    participants: z.array(id),
    advance: z.enum(['per-period', 'per-window']).optional(),
    period: z.object({ unit: z.enum(['day', 'week']), count: z.int().min(1).max(520).default(1) }).optional(),
    handoffTime: hhmm.optional(),
    windows: z.array(windowSchema).min(1).optional(),
    startDate: date,
    /** Zone of the hand-offs and windows; default the schedule's. */
    timeZone: zoneName.optional(),
  })
  .superRefine((r, ctx) => {
    const issue = (key: string, message: string): void => ctx.addIssue({ code: 'custom', path: [key], message });
    if (r.advance === 'per-window') {
      if (r.windows === undefined) issue('windows', 'a per-window rotation needs windows');
      if (r.period !== undefined) issue('period', 'period is for per-period rotations');
      if (r.handoffTime !== undefined) issue('handoffTime', 'handoffTime is for per-period rotations');
    } else {
      if (r.period === undefined) issue('period', 'required (or advance: per-window with windows)');
      if (r.handoffTime === undefined) issue('handoffTime', 'required (or advance: per-window with windows)');
      if (r.windows !== undefined) issue('windows', 'windows are for per-window rotations; restrict a layer with its own windows');
    }
  });

export const targetSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('role'), role: id.optional() }),
  z.object({ kind: z.literal('backups'), role: id.optional() }),
  z.object({ kind: z.literal('practitioner'), practitioner: id }),
  z.object({ kind: z.literal('group'), group: id }),
]);

export const escalationPolicySchema = z.object({
  id,
  name: z.string().optional(),
  steps: z
    .array(
      z.object({
        targets: z.array(targetSchema).min(1),
        channels: z.array(channelKindSchema).optional(),
        /** How long to wait for an acknowledgement: `waitMinutes`, or `wait` as an ISO 8601 duration. */
        waitMinutes: z.int().min(0).optional(),
        wait: waitDuration.optional(),
        /** Per-person ladder: each target's contacts one after another, this long apart, until acknowledged. */
        ladderWait: waitDuration.optional(),
      }).refine((s) => (s.waitMinutes === undefined) !== (s.wait === undefined), 'give exactly one of waitMinutes and wait'),
    )
    .min(1),
  repeat: z.int().min(0).default(0),
  fallback: z.object({ targets: z.array(targetSchema).min(1), channels: z.array(channelKindSchema).optional() }).optional(),
  /** Acknowledged is not done: re-notify the acknowledger when no response (reply, resolve) follows within this. */
  respondWithin: waitDuration.optional(),
  /** Routine messages: held for the recipient's start of day as one digest (default), or sent now. */
  routine: z.enum(['digest', 'now']).optional(),
});

const oneOrMany = z.union([z.string(), z.array(z.string()).min(1)]);

export const routingRuleSchema = z.object({
  id,
  when: z
    .object({
      messageType: oneOrMany,
      triggerEvent: oneOrMany,
      sendingFacility: oneOrMany,
      practice: oneOrMany,
      service: oneOrMany,
      category: oneOrMany,
      priority: oneOrMany,
    })
    .partial()
    .strict(),
  role: id,
  escalationPolicy: id.optional(),
  /** Ordered: an on-duty ordering (OBR-16/ORC-12) or attending (PV1-7) provider gets it directly. */
  directTo: z.array(z.enum(['ordering', 'attending'])).optional(),
});

export const scheduleSchema = z
  .object({
    version: z.literal(1),
    timeZone: zoneName,
    organizations: z.array(z.object({ id, name: z.string() })).default([]),
    services: z.array(z.object({ id, name: z.string(), organization: id.optional() })).default([]),
    practitioners: z.array(
      z.object({
        id,
        name: z.string(),
        identifiers: z.array(z.string()).default([]),
        channels: z.array(contactSchema).default([]),
        preferredChannels: z.array(channelKindSchema).optional(),
        coveredBy: id.optional(),
        dutyHours: z.array(windowSchema).optional(),
        /** Zone of dutyHours; default the schedule's. */
        timeZone: zoneName.optional(),
        /** Local time routine messages are delivered as a digest (default: the role's, else 08:00). */
        startOfDay: hhmm.optional(),
      }),
    ),
    groups: z.array(z.object({ id, name: z.string().optional(), members: z.array(id) })).default([]),
    rotations: z.array(rotationSchema).default([]),
    roles: z.array(
      z.object({
        id,
        name: z.string(),
        service: id.optional(),
        escalationPolicy: id.optional(),
        /** Local time routine messages for this role are delivered as a digest. */
        startOfDay: hhmm.optional(),
        /** Bottom to top: a later layer wins over earlier ones wherever it has someone. */
        layers: z.array(coverageSchema),
        /** Ordered backups, each optionally only inside its windows. */
        backups: z.array(coverageSchema).default([]),
      }),
    ),
    overrides: z
      .array(
        z
          .object({
            id: id.optional(),
            role: id,
            practitioner: id,
            start: instant,
            end: instant.optional(),
            duration: duration.optional(),
            reason: z.string().optional(),
            /** Zone of local start/end; default the schedule's. */
            timeZone: zoneName.optional(),
          })
          .superRefine(oneEnd),
      )
      .default([]),
    escalationPolicies: z.array(escalationPolicySchema).default([]),
    routing: z
      .object({
        rules: z.array(routingRuleSchema).default([]),
        default: z.object({ role: id, escalationPolicy: id.optional() }).optional(),
      })
      .optional(),
  })
  .strict();

/** A schedule as written (before defaults are applied). */
export type ScheduleInput = z.input<typeof scheduleSchema>;
/** A validated schedule with defaults applied. */
export type Schedule = z.output<typeof scheduleSchema>;
export type Practitioner = Schedule['practitioners'][number];
export type Rotation = Schedule['rotations'][number];
export type Role = Schedule['roles'][number];
export type Shift = z.output<typeof shiftSchema>;
export type CoverageEntry = Role['layers'][number];
export type WeeklyWindow = z.output<typeof windowSchema>;
export type Override = Schedule['overrides'][number];
export type EscalationPolicy = z.output<typeof escalationPolicySchema>;
export type Target = z.output<typeof targetSchema>;
export type ChannelKind = z.output<typeof channelKindSchema>;
export type RoutingRule = z.output<typeof routingRuleSchema>;
