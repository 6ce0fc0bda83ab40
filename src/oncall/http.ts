/**
 * HTTP API of on-call schedules (Hono), mounted at `/` behind requireAuth by the gateway:
 *   GET  /oncall?role=R&at=T            who is on call (toOncallJson)          oncall.read
 *   GET  /oncall/coverage?role=&from=&to= timeline segments                   oncall.read
 *   /schedule...                        see http-schedule.ts                  oncall.read / oncall.write
 * Scopes are checked here, deny by default: no principal or no scope -> 403.
 */
import { Hono, type Context } from 'hono';
import type { Sql } from '../store/index.js';
import type { Logger } from '../obs/index.js';
import type { AuthEnv } from '../auth/index.js';
import { badRequest } from '../outcome/index.js';
import { instantParam, READ_SCOPE, requireOperation } from './http-support.js';
import { coverage, explainAssignment, formatInstant, oncall, toOncallJson, type CompiledSchedule } from '../routing/index.js';
import { storeError } from './errors.js';
import { outcomeErrorOf } from './http-errors.js';
import { registerScheduleRoutes } from './http-schedule.js';
import { DEFAULT_LOOKAHEAD_MS } from './instant-arg.js';
import type { ScheduleService } from './service.js';

export interface OncallAppDeps {
  sql: Sql;
  service: ScheduleService;
  /** The request time for `at`/`from` defaults and saves (default: the wall clock). */
  now?: () => Date;
  log?: Logger;
  /** Schedule document id; default `default`. */
  scheduleId?: string;
}

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

  app.get('/oncall', requireOperation(READ_SCOPE), async (c) => {
    const role = roleParam(c);
    const compiled = await compiledOrThrow();
    const at = instantParam(c, 'at', compiled.clock, now().getTime());
    const r = oncall(compiled, role, at);
    if (!r.ok) throw outcomeErrorOf(r.error);
    return c.json(toOncallJson(r.value));
  });

  app.get('/oncall/coverage', requireOperation(READ_SCOPE), async (c) => {
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
        primary: s.primary === null ? null : { id: s.primary.practitioner.id, name: s.primary.practitioner.name },
        backups: s.backups.map((b) => ({ id: b.id, name: b.name })),
        explanation: explainAssignment(s.primary, zone),
      })),
    });
  });

  registerScheduleRoutes(app, { sql: deps.sql, service: deps.service, now, scheduleId: deps.scheduleId });
  return app;
}
