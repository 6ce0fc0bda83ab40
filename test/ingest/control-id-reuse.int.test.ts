// A resend is the same sender, control id and content; a different message reusing a sender's
// MSH-10 (a corrected result) is stored as a new message, flagged, processed — never discarded with
// the first message's ACK.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readAck } from '../../src/hl7/index.js';
import { MllpClient } from '../../src/mllp/index.js';
import { InboxWorker } from '../../src/pipeline/worker.js';
import { getInbox, listInbox } from '../../src/ingest/inbox-admin.js';
import { hl7ContentHash } from '../../src/ingest/content-hash.js';
import { createMetrics } from '../../src/obs/metrics.js';
import { silentLogger } from '../../src/obs/log.js';
import { DEFAULT_SITE_CONFIG } from '../../src/mapping/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startMllpHarness, type MllpHarness } from '../support/harness.js';
import { withControlId, withMshField } from '../support/messages.js';
import { openInboxRaw, storedResources } from '../support/stored.js';
import type { Observation } from 'fhir/r4.js';

let db: TestDatabase;
let gw: MllpHarness;
let client: MllpClient;

beforeAll(async () => {
  db = await createTestDatabase();
  gw = await startMllpHarness(db.sql);
  client = new MllpClient({ port: gw.port });
  await client.connect();
});
afterAll(async () => {
  client.close();
  await gw.close();
  await db.drop();
});

const send = async (m: Buffer) => (await client.send(m)).toString('latin1');
const rows = async (controlId: string) => (await db.sql<{ id: string; control_id_reused: boolean; raw: Buffer; sender_app: string; sender_facility: string; control_id: string; content_hash: Buffer }[]>`
  SELECT id::text, control_id_reused, raw, sender_app, sender_facility, control_id, content_hash FROM inbox WHERE control_id = ${controlId} ORDER BY id`)
  .map((r) => ({ id: r.id, control_id_reused: r.control_id_reused, raw: openInboxRaw(r) }));

describe('control-id reuse', () => {
  it('a resend of the identical message is a duplicate: the same ACK byte for byte, nothing stored', async () => {
    const msg = withControlId('spine/oru-r01.hl7', 'REUSE-SAME');
    const first = await send(msg);
    expect(readAck(first).code).toBe('AA');
    expect(await send(msg)).toBe(first);
    expect(await rows('REUSE-SAME')).toHaveLength(1);
  });

  it('a resend with MSH-7 re-stamped, or other line endings, is still a duplicate', async () => {
    const msg = withControlId('spine/oru-r01.hl7', 'REUSE-RESTAMP');
    const first = await send(msg);
    expect(await send(withMshField(msg, 7, '20261104040000-0500'))).toBe(first);
    expect(await send(Buffer.from(msg.toString('latin1').replace(/\r/g, '\r\n'), 'latin1'))).toBe(first);
    expect(await rows('REUSE-RESTAMP')).toHaveLength(1);
    expect(await gw.metrics.registry.getSingleMetricAsString('switchboard_messages_control_id_reused_total')).not.toMatch(/\} [1-9]/);
  });

  it('a corrected result with the same MSH-10 is stored as a new message, flagged, counted and processed', async () => {
    const original = withControlId('spine/oru-r01.hl7', 'REUSE-CORR');
    const corrected = withControlId('spine/oru-r01-corrected.hl7', 'REUSE-CORR');
    const firstAck = await send(original);
    const secondAck = await send(corrected);
    expect(readAck(secondAck)).toMatchObject({ code: 'AA', controlId: 'REUSE-CORR' });
    expect(secondAck).not.toBe(firstAck); // its own ACK, not the first message's
    const stored = await rows('REUSE-CORR');
    expect(stored.map((r) => r.control_id_reused)).toEqual([false, true]);
    expect(stored[1]!.raw.equals(corrected)).toBe(true);
    // its resend is a duplicate of the corrected message
    expect(await send(corrected)).toBe(secondAck);
    expect(await rows('REUSE-CORR')).toHaveLength(2);
    expect(await gw.metrics.registry.getSingleMetricAsString('switchboard_messages_control_id_reused_total')).toMatch(/source="mllp",type="ORU\^R01"\} 1/);

    // both are processed; the corrected value reaches FHIR
    const worker = new InboxWorker({ sql: db.sql, config: DEFAULT_SITE_CONFIG, log: silentLogger, metrics: createMetrics(), claimMs: 60_000, pollMs: 50, maxAttempts: 3, appName: 'SWITCHBOARD', schedules: null });
    while ((await worker.processBatch()) > 0) { /* drain */ }
    const detail = await getInbox(db.sql, stored[1]!.id);
    expect(detail).toMatchObject({ state: 'processed', controlIdReused: true });
    expect(await getInbox(db.sql, stored[0]!.id)).toMatchObject({ state: 'processed', controlIdReused: false });
    const listed = (await listInbox(db.sql)).items.filter((r) => r.controlId === 'REUSE-CORR');
    expect(listed.map((r) => r.controlIdReused)).toEqual([false, true]);
    const mine = new Set((await db.sql<{ id: string }[]>`SELECT id FROM fhir_resource WHERE resource_type = 'Observation' AND inbox_id = ${stored[1]!.id}`).map((r) => r.id));
    const potassium = (await storedResources<Observation>(db.sql, 'Observation'))
      .filter((r) => mine.has(r.id) && r.resource.code.coding?.[0]?.code === '2823-3')
      .map((r) => ({ v: r.resource.valueQuantity?.value, status: r.resource.status }));
    expect(potassium).toEqual([{ v: 4.9, status: 'corrected' }]);
  });

  it('property: the content hash agrees with its SQL twin (migration 005), so older rows dedupe as new ones do', async () => {
    const base = withControlId('spine/oru-r01.hl7', 'HASH').toString('latin1');
    const breakStyle = fc.constantFrom('\r', '\n', '\r\n', '\n\r');
    const text = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom('MSH|^~\\&|A|B|C|D|2026|', 'MSH#^~\\&#A#B#C#D#X#', 'MSH|', 'MSH', '\u00ff\u00e9', '\u0000', 'PID|1||x\r'),
    );
    await fc.assert(fc.asyncProperty(fc.array(fc.oneof(text, breakStyle), { maxLength: 12 }), fc.boolean(), async (parts, withBase) => {
      const raw = Buffer.from((withBase ? base : '') + parts.join(''), 'latin1');
      if (raw.length === 0) return;
      const [row] = await db.sql<{ h: Buffer }[]>`SELECT inbox_hl7_content_hash(${raw}) AS h`;
      expect(row!.h.toString('hex')).toBe(hl7ContentHash(raw).toString('hex'));
    }), { numRuns: 300 });
  });
});
