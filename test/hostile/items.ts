// The hostile inputs, each sent to a running gateway the way an outside client sends it, with what
// came back. Each is refused with its own limit and stable code, or (the 200,000-repetition OBX-5)
// accepted and mapped within the mapper's bounds (src/mapping/limits.ts).
import type { Sql } from 'postgres';
import { readAck } from '../../src/hl7/index.js';
import { MllpClient } from '../../src/mllp/index.js';
import { fixture, toWire } from '../support/fixtures.js';
import { withMshField } from '../support/messages.js';
import { sleep } from './observe.js';

export interface Observed {
  /** HTTP status, when sent over HTTP */
  status?: number;
  /** the stable error code (OperationOutcome issue.details), or the ACK code of an HL7 message */
  code?: string;
  diagnostics?: string;
  /** HL7: the inbox row's state once the worker is done with it, its error code, what the mapper cut */
  state?: string;
  errorCode?: string | null;
  truncated?: unknown;
}

export interface ItemContext {
  base: string;
  mllpPort: number;
  sql: Sql;
  headers: Record<string, string>;
  /** unique per run: control ids never collide with an earlier run's rows */
  tag: string;
}

export interface HostileItem {
  name: string;
  /** the answer it must get, in words (printed beside the figures) */
  goal: string;
  send(ctx: ItemContext): Promise<Observed>;
  /** whether the observed answer is the one it must get */
  meets(o: Observed): boolean;
}

/** The 400 KB ORU whose OBX-5 (TX) repeats 200,000 times, with its own MSH-10. */
const bigOru = (controlId: string): Buffer => withMshField(toWire(fixture('hl7/oru/obx5-200000-repetitions.hl7')), 10, controlId);

/** Waits until the worker has processed or failed the row of this control id (at most 120 s). */
async function settled(sql: Sql, controlId: string): Promise<Pick<Observed, 'state' | 'errorCode' | 'truncated'>> {
  for (const t0 = performance.now(); performance.now() - t0 < 120_000; await sleep(50)) {
    const [row] = await sql<{ state: string; error_code: string | null; truncated: unknown }[]>`
      SELECT state, error_code, mapping_report->'truncated' AS truncated FROM inbox WHERE control_id = ${controlId}`;
    if (row && (row.state === 'processed' || row.state === 'failed')) return { state: row.state, errorCode: row.error_code, truncated: row.truncated };
  }
  return { state: 'not settled within 120 s' };
}

/** Accepted (AA), then processed with OBX-5 mapped up to MAX_TEXT_LINES, or failed with a code. */
const bigOruMeets = (o: Observed) => o.code === 'AA' && (o.state === 'processed' || (o.state === 'failed' && Boolean(o.errorCode)));

async function outcomeOf(res: Response): Promise<Observed> {
  const text = await res.text();
  try {
    const o = JSON.parse(text) as { issue?: { diagnostics?: string; details?: { coding?: { code?: string }[] } }[] };
    const issue = o.issue?.[0];
    return { status: res.status, ...(issue?.details?.coding?.[0]?.code ? { code: issue.details.coding[0].code } : {}), ...(issue?.diagnostics ? { diagnostics: issue.diagnostics } : {}) };
  } catch {
    return { status: res.status, diagnostics: text.slice(0, 200) };
  }
}

const put = (ctx: ItemContext, path: string, body: string, type: string) =>
  fetch(`${ctx.base}${path}`, { method: 'PUT', body, headers: { ...ctx.headers, 'content-type': type }, signal: AbortSignal.timeout(60_000) });

/** Nine nested aliases of nine: 520 bytes that expand to 9^9 strings. */
export function yamlAliasBomb(): string {
  const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (const [i, name] of ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'].entries()) {
    const prev = String.fromCharCode(97 + i);
    lines.push(`${name}: &${name} [${Array.from({ length: 9 }, () => `*${prev}`).join(',')}]`);
  }
  return lines.join('\n');
}

export const deepJson = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;

/** 50 events, each hourly for a year: ~12 KB of text that would expand to ~438,000 shifts. */
export function hourlyFeed(): string {
  const lines = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//hostile//EN'];
  for (let i = 0; i < 50; i++) {
    const hh = String(i % 24).padStart(2, '0');
    lines.push('BEGIN:VEVENT', `UID:ev${i}@x.example`, 'SUMMARY:OB call', 'CATEGORIES:OB-CALL', 'ATTENDEE;CN=Dr A:mailto:avery.a@clinic.example',
      `DTSTART;TZID=America/New_York:20250101T${hh}0000`, `DTEND;TZID=America/New_York:20250101T${hh}3000`, 'RRULE:FREQ=HOURLY;UNTIL=20251231T000000Z', 'END:VEVENT');
  }
  lines.push('END:VCALENDAR');
  return lines.join('\r\n');
}
const FEED_MAPPING = encodeURIComponent(JSON.stringify({ rules: [{ categories: 'OB-CALL', role: 'ob-oncall' }], practitioner: { from: 'attendee', map: { 'avery.a@clinic.example': 'dr-alvarez' } } }));

export const HOSTILE_ITEMS: HostileItem[] = [
  {
    name: 'HL7 ORU, OBX-5 x 200,000, over MLLP',
    goal: 'AA, then processed with OBX-5 cut to 10,000 lines (or failed with a code)',
    send: async (ctx) => {
      const id = `${ctx.tag}BIGM`;
      const c = new MllpClient({ port: ctx.mllpPort, timeoutMs: 60_000 });
      await c.connect();
      try {
        const code = readAck((await c.send(bigOru(id))).toString('latin1')).code;
        return { code, ...(await settled(ctx.sql, id)) };
      } finally {
        c.close();
      }
    },
    meets: bigOruMeets,
  },
  {
    name: 'HL7 ORU, OBX-5 x 200,000, POST /hl7',
    goal: '200 AA, then processed with OBX-5 cut to 10,000 lines (or failed with a code)',
    send: async (ctx) => {
      const id = `${ctx.tag}BIGH`;
      const res = await fetch(`${ctx.base}/hl7`, { method: 'POST', body: new Uint8Array(bigOru(id)), headers: { ...ctx.headers, 'content-type': 'application/hl7-v2' }, signal: AbortSignal.timeout(60_000) });
      await res.arrayBuffer();
      return { status: res.status, code: res.headers.get('x-hl7-ack-code') ?? '', ...(await settled(ctx.sql, id)) };
    },
    meets: (o) => o.status === 200 && bigOruMeets(o),
  },
  {
    name: 'YAML alias bomb, PUT /schedule',
    goal: '400 ERR_SCHEDULE_TOO_COMPLEX naming the alias limit',
    send: async (ctx) => outcomeOf(await put(ctx, '/schedule', yamlAliasBomb(), 'application/yaml')),
    meets: (o) => o.status === 400 && o.code === 'ERR_SCHEDULE_TOO_COMPLEX' && /alias/i.test(o.diagnostics ?? ''),
  },
  {
    name: 'JSON 50,000 deep, PUT /schedule',
    goal: '400 ERR_SCHEDULE_TOO_COMPLEX',
    send: async (ctx) => outcomeOf(await put(ctx, '/schedule', deepJson(50_000), 'application/json')),
    meets: (o) => o.status === 400 && o.code === 'ERR_SCHEDULE_TOO_COMPLEX',
  },
  {
    name: 'JSON 50,000 deep, PUT /schedule/practitioners/:id',
    goal: '400 ERR_SCHEDULE_TOO_COMPLEX',
    send: async (ctx) => outcomeOf(await put(ctx, '/schedule/practitioners/dr-hostile', deepJson(50_000), 'application/json')),
    meets: (o) => o.status === 400 && o.code === 'ERR_SCHEDULE_TOO_COMPLEX',
  },
  {
    name: 'iCalendar, 50 events hourly for a year, POST /schedule/import',
    goal: '422 ERR_ICAL_TOO_MANY_OCCURRENCES naming SCHEDULE_IMPORT_MAX_OCCURRENCES',
    send: async (ctx) => outcomeOf(await fetch(`${ctx.base}/schedule/import?mapping=${FEED_MAPPING}&from=2025-01-01&to=2026-01-01`, {
      method: 'POST', body: hourlyFeed(), headers: { ...ctx.headers, 'content-type': 'text/calendar' }, signal: AbortSignal.timeout(60_000),
    })),
    meets: (o) => o.status === 422 && o.code === 'ERR_ICAL_TOO_MANY_OCCURRENCES' && /SCHEDULE_IMPORT_MAX_OCCURRENCES/.test(o.diagnostics ?? ''),
  },
];
