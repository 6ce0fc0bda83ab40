/**
 * HTTP API of on-call schedules (a Hono sub-app mounted at `/` by src/http, whose route table and
 * gate authenticate and check each route's scope before a request gets here):
 *   GET  /oncall?role=R&at=T              who is on call (toOncallJson)
 *   GET  /oncall/next?role=R&at=T         when the person on call next changes, and who
 *   GET  /oncall/coverage?role=&from=&to= timeline segments
 *   /schedule...                          see schedule-routes.ts
 */
import { Hono, type Context } from 'hono';
import type { Sql } from '../../store/index.js';
import type { Logger } from '../../obs/index.js';
import type { AuthEnv } from '../../auth/index.js';
import { badRequest } from '../../outcome/index.js';
import { coverage, explainAssignment, nextChange, oncall, toOncallJson, type Assignment, type CompiledSchedule, type OnCallStretch } from '../../routing/index.js';
import { formatInstant } from '../../time/index.js';
import { storeError } from '../errors.js';
import { DEFAULT_LOOKAHEAD_MS } from '../instant-arg.js';
import type { ScheduleService } from '../service.js';
import { outcomeErrorOf } from './outcomes.js';
import { registerScheduleRoutes } from './schedule-routes.js';
import { instantParam } from './support.js';

export interface OncallAppDeps {
  sql: Sql;
  service: ScheduleService;
  /** The request time for `at`/`from` defaults and saves (default: the wall clock). */
  now?: () => Date;
  log?: Logger;
  /** Schedule document id; default `default`. */
  scheduleId?: string;
}

const person = (a: Assignment | null): { id: string; name: string } | null =>
  a === null ? null : { id: a.practitioner.id, name: a.practitioner.name };

/** One stretch of `GET /oncall/next`: who, from when until when (null: beyond the horizon), and why. */
const stretchJson = (s: OnCallStretch, zone: string) => ({
  primary: person(s.primary),
  since: s.since === null ? null : formatInstant(s.since, zone),
  until: s.until === null ? null : formatInstant(s.until, zone),
  explanation: explainAssignment(s.primary, zone),
});

export function createOncallApp(deps: OncallAppDeps): Hono<AuthEnv> {
  const now = deps.now ?? (() => new Date());
  const app = new Hono<AuthEnv>();

  const compiledOrThrow = async (): Promise<CompiledSchedule> => {
    const cur = await deps.service.current();
    if (cur === undefined) throw outcomeErrorOf(storeError('ERR_SCHEDULE_NOT_FOUND', 'no on-call schedule is stored'));
    return cur.compiled;
  };
  const roleParam = (c: Context): string => {
    const role = c.req.query('role');
    if (role === undefined || role === '') throw badRequest('role is required');
    return role;
  };

  app.get('/oncall', async (c) => {
    const role = roleParam(c);
    const compiled = await compiledOrThrow();
    const at = instantParam(c, 'at', compiled.clock, now().getTime());
    const r = oncall(compiled, role, at);
    if (!r.ok) throw outcomeErrorOf(r.error);
    return c.json(toOncallJson(r.value));
  });

  app.get('/oncall/next', async (c) => {
    const role = roleParam(c);
    const compiled = await compiledOrThrow();
    const at = instantParam(c, 'at', compiled.clock, now().getTime());
    const r = nextChange(compiled, role, at);
    if (!r.ok) throw outcomeErrorOf(r.error);
    const zone = compiled.timeZone;
    return c.json({
      role,
      at: formatInstant(at, zone),
      current: stretchJson(r.value.current, zone),
      next: r.value.next === null ? null : stretchJson(r.value.next, zone),
    });
  });

  app.get('/oncall/coverage', async (c) => {
    const role = roleParam(c);
    const compiled = await compiledOrThrow();
    const from = instantParam(c, 'from', compiled.clock, now().getTime());
    const to = instantParam(c, 'to', compiled.clock, from + DEFAULT_LOOKAHEAD_MS);
    const r = coverage(compiled, role, from, to);
    if (!r.ok) throw outcomeErrorOf(r.error);
    const zone = compiled.timeZone;
    return c.json({
      role,
      timeZone: zone,
      from: formatInstant(from, zone),
      to: formatInstant(to, zone),
      segments: r.value.map((s) => ({
        start: formatInstant(s.start, zone),
        end: formatInstant(s.end, zone),
        primary: person(s.primary),
        backups: s.backups.map((b) => ({ id: b.id, name: b.name })),
        explanation: explainAssignment(s.primary, zone),
      })),
    });
  });

  registerScheduleRoutes(app, { sql: deps.sql, service: deps.service, now, scheduleId: deps.scheduleId });
  return app;
}
