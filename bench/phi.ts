// The price of PHI encryption at rest on the two hot paths, each beside a baseline in the same run:
//   intake: sealing a message's bytes (AES-256-GCM) beside parsing it (what intake does anyway before
//           its ACK), and the group-commit INSERT of 16 sealed messages beside the same INSERT of clear ones;
//   save:   sealing a mapped ORU's resources and their keyed digests (canonical JSON + HMAC) beside
//           mapping it, and saveResources (sealed bodies, hashed identifiers) of a mapped ORU.
import { createHash, randomBytes } from 'node:crypto';
import type { Resource } from 'fhir/r4.js';
import { parseHl7 } from '../src/hl7/index.js';
import { DEFAULT_SITE_CONFIG, DEVELOPMENT_ID_KEY, mapHl7Message } from '../src/mapping/index.js';
import { saveResources } from '../src/fhir/index.js';
import { connect } from '../src/store/db.js';
import { migrate } from '../src/store/migrate.js';
import { insertInboxRows, type InboxRow } from '../src/store/index.js';
import { inboxAad, sealBytes, sealResource } from '../src/store/phi.js';
import { adminUrl, freshDatabase } from './db.js';

const PID = 'PID|1||SYN0001^^^SYNTH&2.16.840.1.113883.3.999.2&ISO^MR||TESTPATIENT^ALPHA^Q^^^^L||19700101|F|||1 TEST WAY^^SAMPLETOWN^MA^01000^USA^H||^PRN^PH^^1^555^0100001';
const PV1 = 'PV1|1|I|4E^401^A^SYNTH HOSP||||D100^ATTENDING^ALICE^^^DR^MD|||MED|||||||||V0001^^^SYNTH^VN|||||||||||||||||||||||||20240304080000-0500';
const obx = (i: number) => `OBX|${i}|NM|${2800 + i}-${i % 10}^Analyte ${i}^LN||${(4 + i / 10).toFixed(1)}|mmol/L|3.5-5.1|${i === 3 ? 'HH' : 'N'}|||F|||20240305140000-0500`;
const oru = (control: string) => ['MSH|^~\\&|SYNLAB|SYNTH HOSP|SB|ONCALL|20240305143000-0500||ORU^R01^ORU_R01|' + control + '|P|2.5.1', PID, PV1,
  'ORC|RE|PL1^SYNEHR|FL1^SYNLAB||CM||||20240305120000-0500|||D200^ORDERER^OLIVER',
  'OBR|1|PL1^SYNEHR|FL1^SYNLAB|24323-8^Comprehensive metabolic panel^LN|||20240305130000-0500|||||||||D200^ORDERER^OLIVER||||||20240305142500-0500||CH|F',
  ...Array.from({ length: 15 }, (_, i) => obx(i + 1))].join('\r');

function perSecond(fn: () => void, ms = 1000): number {
  const warm = performance.now();
  while (performance.now() - warm < 500) fn();
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) { fn(); n++; }
  return (n * 1000) / (performance.now() - t0);
}

async function msPer(fn: (i: number) => Promise<void>, rounds: number): Promise<number> {
  for (let i = 0; i < 20; i++) await fn(-i - 1);
  const t0 = performance.now();
  for (let i = 0; i < rounds; i++) await fn(i);
  return (performance.now() - t0) / rounds;
}

const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

export async function run(): Promise<void> {
  const text = oru('B1');
  const bytes = Buffer.from(text, 'latin1');
  const hash = createHash('sha256').update(bytes).digest();
  const aad = inboxAad({ sender_app: 'SYNLAB', sender_facility: 'SYNTH HOSP', control_id: 'B1', content_hash: hash });
  const parse = perSecond(() => parseHl7(text));
  const seal = perSecond(() => sealBytes(bytes, aad));
  console.log(`intake, one ORU^R01 of ${fmt(bytes.length)} bytes, one core: parse ${fmt(parse)}/s (${fmt(1e6 / parse, 1)} µs), seal ${fmt(seal)}/s (${fmt(1e6 / seal, 1)} µs): +${fmt((100 * parse) / seal, 1)}% of the parse`);
  const mapped = mapHl7Message(parseHl7(text), DEFAULT_SITE_CONFIG, { idKey: DEVELOPMENT_ID_KEY });
  const resources = (mapped.bundle.entry ?? []).map((e) => e.resource).filter((r): r is Resource => r !== undefined);
  const map = perSecond(() => mapHl7Message(parseHl7(text), DEFAULT_SITE_CONFIG, { idKey: DEVELOPMENT_ID_KEY }));
  const sealAll = perSecond(() => { for (const r of resources) sealResource(r.resourceType, r.id ?? 'x', r); });
  console.log(`save, the same ORU mapped to ${resources.length} resources: parse+map ${fmt(map)}/s (${fmt(1e6 / map, 1)} µs), seal+digest all ${fmt(sealAll)}/s (${fmt(1e6 / sealAll, 1)} µs): +${fmt((100 * map) / sealAll, 1)}% of the mapping`);

  const db = await freshDatabase(adminUrl());
  const sql = connect(db.url, { max: 4 });
  try {
    await migrate(sql);
    const row = (c: string): InboxRow => ({ source: 'mllp', senderApp: 'SYNLAB', senderFacility: 'SYNTH HOSP', controlId: c, messageType: 'ORU^R01', version: '2.5.1', charset: null, raw: Buffer.from(oru(c), 'latin1'), peer: null, ackMode: 'original', ack: null, contentHash: randomBytes(32) });
    const N = 300;
    // baseline: the same 16-row INSERT, the bytes in clear (what the store wrote before encryption)
    const clear = await msPer(async (i) => {
      const rows = Array.from({ length: 16 }, (_, j) => row(`C${i}-${j}`));
      await sql`INSERT INTO inbox ${sql(rows.map((r) => ({ source: r.source, sender_app: r.senderApp, sender_facility: r.senderFacility, control_id: r.controlId, message_type: r.messageType, raw: r.raw, content_hash: r.contentHash })))}`;
    }, N);
    const sealed = await msPer(async (i) => { await insertInboxRows(sql, Array.from({ length: 16 }, (_, j) => row(`S${i}-${j}`)), { notify: false }); }, N);
    console.log(`group commit of 16 ORU (autocommit, ${N} statements each): clear ${fmt(clear, 2)} ms, sealed ${fmt(sealed, 2)} ms per statement: ${fmt(sealed / clear, 2)}x`);
    const save = await msPer(async (i) => { await saveResources(sql, resources.map((r) => ({ ...r, id: `${r.id}-${i}` }) as Resource), { now: new Date() }); }, 200);
    console.log(`saveResources of the mapped ORU (${resources.length} resources, sealed, new rows): ${fmt(save, 2)} ms per call; its sealing share: ${fmt(1e3 / sealAll, 2)} ms`);
  } finally {
    await sql.end();
    await db.drop();
  }
}
