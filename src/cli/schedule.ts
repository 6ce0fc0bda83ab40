// `switchboard schedule import|lint|show`: manage the stored on-call schedule from files.
//   import FILE [--mapping FILE] [--from D] [--to D] [--layer ID]   JSON/YAML replaces; .ics merges (needs --mapping)
//   lint [--from D] [--to D] [--schedule FILE] [--json]             findings, one per line; exit 1 on an error finding
//   show                                                            the stored document (JSON), version on stderr
import { parseArgs } from 'node:util';
import { lintSchedule, type Schedule } from '../routing/index.js';
import {
  DEFAULT_IMPORT_WINDOW_MS, DEFAULT_LOOKAHEAD_MS, importCalendarIntoStore, limitsFromSettings, loadSchedule, parseInstantArg, readScheduleFile, readTextFile, redactSecrets, saveSchedule,
} from '../oncall/index.js';
import { formatInstant, zoneClock } from '../time/index.js';
import { printIssues } from './oncall.js';
import type { Io } from './io.js';
import { withStore } from './store.js';

const USAGE = `usage: switchboard schedule import FILE [--mapping FILE] [--from D] [--to D] [--layer ID]
       switchboard schedule lint [--from D] [--to D] [--schedule FILE] [--json]
       switchboard schedule show
D is a date (2025-03-01, local midnight in the schedule's zone) or an ISO 8601 date-time.
`;

type Values = { mapping?: string | undefined; from?: string | undefined; to?: string | undefined; layer?: string | undefined; schedule?: string | undefined; json?: boolean | undefined };


/** [from, to) in the schedule's zone; undefined after printing a usage error. */
function range(v: Values, zone: string, now: number, span: number, io: Io): { from: number; to: number } | undefined {
  const clock = zoneClock(zone);
  const from = v.from === undefined ? now : parseInstantArg(v.from, clock);
  const to = v.to === undefined ? (from === undefined ? undefined : from + span) : parseInstantArg(v.to, clock);
  if (from === undefined || to === undefined) {
    io.stderr(`--from/--to must be a date (YYYY-MM-DD) or ISO 8601 date-time\n${USAGE}`);
    return undefined;
  }
  if (!(to > from)) {
    io.stderr('--to must be after --from\n');
    return undefined;
  }
  return { from, to };
}

async function importCommand(file: string, v: Values, io: Io): Promise<number> {
  const now = new Date();
  if (file.toLowerCase().endsWith('.ics')) {
    if (v.mapping === undefined) {
      io.stderr(`an iCalendar import needs --mapping FILE (JSON, see README.md "iCalendar import")\n${USAGE}`);
      return 2;
    }
    const [ics, mappingText] = [await readTextFile(file), await readTextFile(v.mapping)];
    if (!ics.ok || !mappingText.ok) {
      io.stderr(`${!ics.ok ? ics.error.message : !mappingText.ok ? mappingText.error.message : ''}\n`);
      return 2;
    }
    return withStore(async (store, config) => {
      const limits = limitsFromSettings(config);
      const stored = await loadSchedule(store.sql);
      if (stored === undefined) {
        io.stderr('no schedule is stored: import a JSON/YAML schedule first; the feed is merged into it\n');
        return 1;
      }
      const r0 = range(v, stored.schedule.timeZone, now.getTime(), DEFAULT_IMPORT_WINDOW_MS, io);
      if (r0 === undefined) return 2;
      const r = await importCalendarIntoStore(store.sql, ics.value, mappingText.value, { ...r0, layer: v.layer, expectedVersion: stored.version, by: 'cli', now, limits });
      if (!r.ok) {
        printIssues(io, `${r.error.code}: ${r.error.message}`, r.error.issues);
        return 1;
      }
      for (const s of r.value.skipped) io.stderr(`skipped ${s.path}: ${s.message}\n`);
      io.stdout(`schedule version ${r.value.version}: ${r.value.shifts} shift(s) imported, ${r.value.skipped.length} skipped\n`);
      return 0;
    });
  }
  if (v.mapping !== undefined) {
    io.stderr('--mapping is for .ics feeds only\n');
    return 2;
  }
  const parsed = await readScheduleFile(file);
  if (!parsed.ok) {
    printIssues(io, parsed.error.message, parsed.error.issues);
    return parsed.error.code === 'ERR_FILE_UNREADABLE' ? 2 : 1;
  }
  return withStore(async (store, config) => {
      const limits = limitsFromSettings(config);
    const r = await saveSchedule(store.sql, parsed.value, { by: 'cli', now, limits });
    if (!r.ok) {
      printIssues(io, `${r.error.code}: ${r.error.message}`, r.error.issues);
      return 1;
    }
    io.stdout(`schedule version ${r.value.version}\n`);
    return 0;
  });
}

function printFindings(schedule: Schedule, v: Values, io: Io): number {
  const r = range(v, schedule.timeZone, Date.now(), DEFAULT_LOOKAHEAD_MS, io);
  if (r === undefined) return 2;
  const zone = schedule.timeZone;
  const findings = lintSchedule(schedule, r.from, r.to);
  for (const f of findings) {
    io.stdout(v.json
      ? JSON.stringify({ ...f, ...(f.start === undefined ? {} : { start: formatInstant(f.start, zone) }), ...(f.end === undefined ? {} : { end: formatInstant(f.end, zone) }) }) + '\n'
      : `${f.severity}\t${f.code}\t${f.path}\t${f.message}\n`);
  }
  const errors = findings.filter((f) => f.severity === 'error').length;
  io.stderr(`${findings.length} finding(s), ${errors} error(s), ${formatInstant(r.from, zone)} to ${formatInstant(r.to, zone)}\n`);
  return errors > 0 ? 1 : 0;
}

async function lintCommand(v: Values, io: Io): Promise<number> {
  if (v.schedule !== undefined) {
    const parsed = await readScheduleFile(v.schedule);
    if (!parsed.ok) {
      // a schedule that does not parse is all errors: one line per issue, like findings
      for (const i of parsed.error.issues) io.stdout(`error\t${parsed.error.code}\t${i.path}\t${i.message}\n`);
      io.stderr(`${parsed.error.message}\n`);
      return parsed.error.code === 'ERR_FILE_UNREADABLE' ? 2 : 1;
    }
    return printFindings(parsed.value, v, io);
  }
  return withStore(async (store) => {
    const stored = await loadSchedule(store.sql);
    if (stored === undefined) {
      io.stderr('no schedule is stored (pass --schedule FILE to lint a file)\n');
      return 1;
    }
    return printFindings(stored.schedule, v, io);
  });
}

export async function scheduleCommand(argv: string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv;
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: {
      mapping: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, layer: { type: 'string' },
      schedule: { type: 'string' }, json: { type: 'boolean', default: false },
    } }));
  } catch (e) {
    io.stderr(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  // syntax of dates first, so a typo never needs the database
  for (const [flag, text] of [['--from', values.from], ['--to', values.to]] as const) {
    if (text !== undefined && parseInstantArg(text, zoneClock('UTC')) === undefined) {
      io.stderr(`${flag} must be a date (YYYY-MM-DD) or ISO 8601 date-time\n${USAGE}`);
      return 2;
    }
  }
  if (sub === 'import' && positionals.length === 1 && positionals[0] !== undefined) return importCommand(positionals[0], values, io);
  if (sub === 'lint' && positionals.length === 0) return lintCommand(values, io);
  if (sub === 'show' && positionals.length === 0) {
    return withStore(async (store) => {
      const stored = await loadSchedule(store.sql);
      if (stored === undefined) {
        io.stderr('no schedule is stored\n');
        return 1;
      }
      // webhook secrets are credentials: never printed (re-importing the output asks for them)
      io.stdout(JSON.stringify(redactSecrets(stored.schedule), null, 2) + '\n');
      io.stderr(`version ${stored.version}, updated ${stored.updatedAt.toISOString()}${stored.updatedBy === null ? '' : ` by ${stored.updatedBy}`}\n`);
      return 0;
    });
  }
  io.stderr(USAGE);
  return 2;
}
