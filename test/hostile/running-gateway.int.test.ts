// Hostile input against a running gateway process (`switchboard serve` on this test's database):
// while a probe asks /healthz every 20 ms and another sender streams normal ORUs over MLLP, each
// hostile item (test/hostile/items.ts) gets its own clear answer, the other sender's ACKs keep
// coming, and the process stays small. The latency figures are printed, not held to the 100 ms
// goal here (a loaded 2-core machine stalls any process now and then): the test holds only a bound
// no healthy gateway comes near — no /healthz request fails or takes 2 s. `npm run fuzz -- hostile`
// runs the same scenario and prints the figures against the goals. The gateway runs as the image ships
// it (compiled JavaScript, no tsx in its threads), so its resident set is the product's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startTarget, type GatewayTarget } from '../fuzz/gateway-target.js';
import { compiledEntry, removeCompiled } from '../support/compiled.js';
import { formatItem, formatSummary, runHostile, RSS_GOAL_MB, type HostileReport } from './scenario.js';

let db: TestDatabase;
let t: GatewayTarget;
let report: HostileReport;

beforeAll(async () => {
  db = await createTestDatabase();
  t = await startTarget(db.url, {}, compiledEntry());
  report = await runHostile(t, db.sql, { onItem: (f) => console.log(formatItem(f)) });
  console.log(formatSummary(report));
}, 300_000);
afterAll(async () => {
  const code = await t?.stop();
  await db?.drop();
  removeCompiled();
  expect(code).toBe(0); // a clean shutdown: the gateway never fell over on the way
});

const item = (prefix: string) => report.items.find((i) => i.name.startsWith(prefix))!;

describe('a running gateway under hostile input', () => {
  it.each([['over MLLP', 'HL7 ORU, OBX-5 x 200,000, over MLLP'], ['over POST /hl7', 'HL7 ORU, OBX-5 x 200,000, POST /hl7']])(
    'the 200,000-repetition OBX-5 %s is accepted (AA) and processed with OBX-5 mapped up to the 10,000-line bound',
    (_how, name) => {
      expect(item(name).observed).toMatchObject({ code: 'AA', state: 'processed', errorCode: null, truncated: [{ segment: 'OBX', field: 5, kept: 10_000, total: 200_000 }] });
    },
  );

  it('POST /hl7 answers the 200,000-repetition message 200 with its ACK', () => {
    expect(item('HL7 ORU, OBX-5 x 200,000, POST /hl7').observed.status).toBe(200);
  });

  it('a YAML alias bomb to PUT /schedule is a 400 ERR_SCHEDULE_TOO_COMPLEX naming the alias limit', () => {
    const o = item('YAML alias bomb').observed;
    expect(o).toMatchObject({ status: 400, code: 'ERR_SCHEDULE_TOO_COMPLEX' });
    expect(o.diagnostics).toMatch(/alias/i);
  });

  it.each(['JSON 50,000 deep, PUT /schedule', 'JSON 50,000 deep, PUT /schedule/practitioners/:id'])('%s is a 400 ERR_SCHEDULE_TOO_COMPLEX', (name) => {
    expect(item(name).observed).toMatchObject({ status: 400, code: 'ERR_SCHEDULE_TOO_COMPLEX' });
  });

  it('an iCalendar feed of 50 hourly events for a year is a 422 ERR_ICAL_TOO_MANY_OCCURRENCES naming SCHEDULE_IMPORT_MAX_OCCURRENCES', () => {
    const o = item('iCalendar').observed;
    expect(o).toMatchObject({ status: 422, code: 'ERR_ICAL_TOO_MANY_OCCURRENCES' });
    expect(o.diagnostics).toMatch(/SCHEDULE_IMPORT_MAX_OCCURRENCES/);
  });

  it('the other sender gets AA for every message, also while each hostile item is handled, never waiting 2 s between two', () => {
    expect(report.sender.other).toBe(0);
    for (const f of report.items) {
      expect({ item: f.name, aa: f.sender.aa > 0, gapUnder2s: f.sender.longestGapMs < 2000 }).toEqual({ item: f.name, aa: true, gapUnder2s: true });
    }
  });

  it('/healthz answers every request, none in 2 s or more (the measured max and p99 are printed)', () => {
    expect(report.healthz.n).toBeGreaterThan(100);
    expect(report.healthz.failed).toBe(0);
    expect(report.healthz.maxMs).toBeLessThan(2000);
  });

  it('the gateway exposes its event-loop delay (switchboard_event_loop_delay_seconds), read for every item', () => {
    for (const f of report.items) expect({ item: f.name, read: Number.isFinite(f.loopMaxMs) && f.loopMaxMs >= 0 }).toEqual({ item: f.name, read: true });
  });

  it(`the gateway's peak resident set stays under ${RSS_GOAL_MB} MB`, () => {
    expect(report.peakRssMb).toBeLessThan(RSS_GOAL_MB);
  });
});
