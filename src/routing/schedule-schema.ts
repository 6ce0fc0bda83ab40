import { z } from 'zod';
import { HHMM, ISO_DATE_TIME, WEEKDAYS, YYYY_MM_DD, isValidInstantText } from './local-time.js';
import { ISO_DURATION, durationMs } from './duration.js';

/**
 * The schedule file format (documented in README.md "On-call schedules and routing"; example in
 * fixtures/schedules/example.json). Structure only: references between ids are checked by
 * `lintSchedule` / `compileSchedule`, so that one run reports every unknown id at once.
 */

const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'ids are letters, digits and . _ : -');
const hhmm = z.string().regex(HHMM, 'expected HH:MM (24 h)');
const date = z.string().regex(YYYY_MM_DD, 'expected YYYY-MM-DD');
const instant = z
  .string()
  .regex(ISO_DATE_TIME, 'expected ISO 8601 date-time, e.g. 2025-03-09T07:00 or 2025-03-09T07:00:00-05:00')
  .refine(isValidInstantText, 'not a real date-time');

export const channelKindSchema = z.enum(['inbox', 'push', 'sms', 'voice', 'pager', 'email', 'webhook']);

// Delivery (README "Delivery"): an ISO 8601 duration of days, hours, minutes and seconds (`PT20S`).
const duration = z.string().regex(ISO_DURATION, 'expected an ISO 8601 duration such as PT20S, PT5M or P1D').refine((v) => durationMs(v) <= 366 * 86_400_000, 'at most a year');

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

export const shiftSchema = z.object({
  practitioner: id,
  start: instant,
  end: instant,
});

/** Who covers: exactly one of a rotation, one fixed practitioner, or explicit shifts. */
export const coverageSchema = z
  .object({
    id,
    name: z.string().optional(),
    rotation: id.optional(),
    practitioner: id.optional(),
    shifts: z.array(shiftSchema).optional(),
    windows: z.array(windowSchema).min(1).optional(),
  })
  .superRefine((v, ctx) => {
    const n = [v.rotation, v.practitioner, v.shifts].filter((x) => x !== undefined).length;
    if (n !== 1) ctx.addIssue({ code: 'custom', message: 'exactly one of rotation, practitioner, shifts' });
  });

export const rotationSchema = z.object({
  id,
  name: z.string().optional(),
  participants: z.array(id),
  period: z.object({ unit: z.enum(['day', 'week']), count: z.int().min(1).default(1) }),
  handoffTime: hhmm,
  startDate: date,
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
        wait: duration.optional(),
        /** Per-person ladder: each target's contacts one after another, this long apart, until acknowledged. */
        ladderWait: duration.optional(),
      }).refine((s) => (s.waitMinutes === undefined) !== (s.wait === undefined), 'give exactly one of waitMinutes and wait'),
    )
    .min(1),
  repeat: z.int().min(0).default(0),
  fallback: z.object({ targets: z.array(targetSchema).min(1), channels: z.array(channelKindSchema).optional() }).optional(),
  /** Acknowledged is not done: re-notify the acknowledger when no response (reply, resolve) follows within this. */
  respondWithin: duration.optional(),
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
    timeZone: z.string().min(1),
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
      .array(z.object({ id: id.optional(), role: id, practitioner: id, start: instant, end: instant, reason: z.string().optional() }))
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
export type CoverageEntry = Role['layers'][number];
export type WeeklyWindow = z.output<typeof windowSchema>;
export type Override = Schedule['overrides'][number];
export type EscalationPolicy = z.output<typeof escalationPolicySchema>;
export type Target = z.output<typeof targetSchema>;
export type ChannelKind = z.output<typeof channelKindSchema>;
export type RoutingRule = z.output<typeof routingRuleSchema>;
