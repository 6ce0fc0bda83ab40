// `switchboard oncall ROLE [--at ISO-8601] [--next] [--json] [--schedule FILE]`: who is on call, why,
// the backups and the escalation chain; with --next, until when and who takes over. With --schedule
// no database is needed. Exit 1: unknown role or no usable schedule; 2: bad arguments (including
// an unreadable --schedule file).
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/index.js';
import { createLogger } from '../obs/index.js';
import { openStore } from '../store/index.js';
import { compileSchedule, explainAssignment, nextChange, oncall, toOncallJson, type CompiledSchedule, type Issue, type OnCallStretch } from '../routing/index.js';
import { describeNext, describeOncall, loadSchedule, parseInstantArg, readScheduleFile } from '../oncall/index.js';
import { formatInstant, zoneClock } from '../time/index.js';
import type { Io } from './io.js';

const USAGE = 'usage: switchboard oncall ROLE [--at ISO-8601] [--next] [--json] [--schedule FILE]\n';

export const printIssues = (io: Io, message: string, issues: readonly Issue[]): void => {
  io.stderr(`${message}\n`);
  for (const i of issues) io.stderr(`  ${i.path}: ${i.message}\n`);
};

/** The schedule to answer from: the file, or the stored one. An exit code after printing why. */
async function compiledFrom(file: string | undefined, io: Io): Promise<CompiledSchedule | number> {
  if (file !== undefined) {
    const parsed = await readScheduleFile(file);
    if (!parsed.ok) {
      printIssues(io, parsed.error.message, parsed.error.issues);
      return parsed.error.code === 'ERR_FILE_UNREADABLE' ? 2 : 1;
    }
    const compiled = compileSchedule(parsed.value);
    if (!compiled.ok) printIssues(io, `${file}: ${compiled.error.message}`, compiled.error.issues);
    return compiled.ok ? compiled.value : 1;
  }
  const store = await openStore(loadConfig(), createLogger('warn'), { name: 'switchboard-cli' });
  try {
    const stored = await loadSchedule(store.sql);
    if (stored === undefined) {
      io.stderr('no on-call schedule is stored: import one with `switchboard schedule import FILE`, or pass --schedule FILE\n');
      return 1;
    }
    const compiled = compileSchedule(stored.schedule);
    if (!compiled.ok) printIssues(io, compiled.error.message, compiled.error.issues);
    return compiled.ok ? compiled.value : 1;
  } finally {
    await store.close();
  }
}

/** The `GET /oncall/next` shape. */
const stretchJson = (s: OnCallStretch, zone: string) => ({
  primary: s.primary === null ? null : { id: s.primary.practitioner.id, name: s.primary.practitioner.name },
  since: s.since === null ? null : formatInstant(s.since, zone),
  until: s.until === null ? null : formatInstant(s.until, zone),
  explanation: explainAssignment(s.primary, zone),
});

export async function oncallCommand(argv: string[], io: Io): Promise<number> {
  let values: { at?: string | undefined; json?: boolean | undefined; next?: boolean | undefined; schedule?: string | undefined };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: {
      at: { type: 'string' }, json: { type: 'boolean', default: false }, next: { type: 'boolean', default: false }, schedule: { type: 'string' },
    } }));
  } catch (e) {
    io.stderr(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const role = positionals[0];
  if (role === undefined || positionals.length > 1) {
    io.stderr(USAGE);
    return 2;
  }
  // syntax first (any zone will do), so a typo never needs the database
  if (values.at !== undefined && parseInstantArg(values.at, zoneClock('UTC')) === undefined) {
    io.stderr(`--at must be an ISO 8601 date-time, e.g. 2025-03-09T02:30 (schedule's zone) or 2025-03-09T07:30:00Z\n${USAGE}`);
    return 2;
  }
  const compiled = await compiledFrom(values.schedule, io);
  if (typeof compiled === 'number') return compiled;
  const at = values.at === undefined ? Date.now() : (parseInstantArg(values.at, compiled.clock) as number);
  const atText = formatInstant(at, compiled.timeZone);
  const unknownRole = (): number => {
    io.stderr(`ERR_ROLE_UNKNOWN: the schedule has no such role; its roles: ${[...compiled.roles.keys()].join(', ') || '(none)'}\n`);
    return 1;
  };
  if (values.next === true) {
    const r = nextChange(compiled, role, at);
    if (!r.ok) return r.error.code === 'ERR_ROLE_UNKNOWN' ? unknownRole() : (io.stderr(`${r.error.code}: ${r.error.message}\n`), 1);
    const zone = compiled.timeZone;
    io.stdout(values.json
      ? JSON.stringify({ role, at: atText, current: stretchJson(r.value.current, zone), next: r.value.next === null ? null : stretchJson(r.value.next, zone) }) + '\n'
      : describeNext(r.value, atText));
    return 0;
  }
  const r = oncall(compiled, role, at);
  if (!r.ok) return r.error.code === 'ERR_ROLE_UNKNOWN' ? unknownRole() : (io.stderr(`${r.error.code}: ${r.error.message}\n`), 1);
  io.stdout(values.json ? JSON.stringify(toOncallJson(r.value)) + '\n' : describeOncall(r.value, atText));
  return 0;
}
