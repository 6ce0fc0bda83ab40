// Mapping throughput on one core: an ORU^R01 with 15 OBX and an ADT^A01, each beside a parse-only
// baseline in the same run. The goal (README, Benchmarks): >= 20,000 ORU/s mapped and >= half the
// parse-only rate.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseHl7, parseHl7Input } from '../src/hl7/index.js';
import { DEFAULT_SITE_CONFIG, DEVELOPMENT_ID_KEY, mapHl7Message } from '../src/mapping/index.js';
// the old unkeyed ids and the mapper below the entry point, only to price keyed ids in this run
import { keyedIds } from '../src/mapping/ids.js';
import { LEGACY_IDS } from '../src/mapping/legacy-ids.js';
import { mapWith } from '../src/mapping/map-message.js';

/** A bench is no installation: the published development key (any 32 bytes cost the same). */
const OPTIONS = { idKey: DEVELOPMENT_ID_KEY };

const PID = 'PID|1||SYN0001^^^SYNTH&2.16.840.1.113883.3.999.2&ISO^MR||TESTPATIENT^ALPHA^Q^^^^L||19700101|F|||1 TEST WAY^^SAMPLETOWN^MA^01000^USA^H||^PRN^PH^^1^555^0100001';
const PV1 = 'PV1|1|I|4E^401^A^SYNTH HOSP||||D100^ATTENDING^ALICE^^^DR^MD|||MED|||||||||V0001^^^SYNTH^VN|||||||||||||||||||||||||20240304080000-0500';
const obx = (i: number) => `OBX|${i}|NM|${2800 + i}-${i % 10}^Analyte ${i}^LN||${(4 + i / 10).toFixed(1)}|mmol/L|3.5-5.1|${i === 3 ? 'HH' : 'N'}|||F|||20240305140000-0500`;
const ORU = ['MSH|^~\\&|SYNLAB|SYNTH HOSP|SB|ONCALL|20240305143000-0500||ORU^R01^ORU_R01|B1|P|2.5.1', PID, PV1,
  'ORC|RE|PL1^SYNEHR|FL1^SYNLAB||CM||||20240305120000-0500|||D200^ORDERER^OLIVER',
  'OBR|1|PL1^SYNEHR|FL1^SYNLAB|24323-8^Comprehensive metabolic panel^LN|||20240305130000-0500|||||||||D200^ORDERER^OLIVER||||||20240305142500-0500||CH|F',
  ...Array.from({ length: 15 }, (_, i) => obx(i + 1))].join('\r');
const ADT = ['MSH|^~\\&|SYNADT|SYNTH HOSP|SB|ONCALL|20240305143000-0500||ADT^A01^ADT_A01|B2|P|2.5.1', 'EVN|A01|20240305143000-0500', PID, PV1].join('\r');

function rate(fn: () => void, ms = 1500): number {
  // warm up for a time, not a count: at 500 calls the mapper was still tiering up (its rate kept
  // rising for ~3 s), which understated it against the much shorter parse
  const warm = performance.now();
  while (performance.now() - warm < 1500) for (let i = 0; i < 100; i++) fn();
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) { for (let i = 0; i < 100; i++) fn(); n += 100; now = performance.now(); }
  return (n * 1000) / (now - start);
}

/** ORU^R01 (15 OBX) parse+map per second on one core, and its share of the parse-only rate. */
const GOAL_PER_SECOND = 20_000;
const GOAL_RATIO = 0.5;

const perSecond = (n: number): string => Math.round(n).toLocaleString('en-US').padStart(8);

/** Every component of every repetition of every field, decoded: what an eager parser does up front. */
function readAll(text: string): void {
  for (const s of parseHl7(text).segments) {
    for (let n = 1; n <= s.size; n++) for (let r = 0, k = s.repetitionCount(n); r < k; r++) s.componentValues(n, r);
  }
}

/** A structural copy of a value: what building an object graph of this shape costs, with no mapping logic. */
function copy(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(copy);
  if (v !== null && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v)) o[k] = copy((v as Record<string, unknown>)[k]);
    return o;
  }
  return v;
}

/** The message that once froze the gateway: 200,000 repetitions of OBX-5 (400 KB). */
const HOSTILE = readFileSync(new URL('../fixtures/hl7/oru/obx5-200000-repetitions.hl7', import.meta.url));

/** Median wall time (ms) of fn over `runs` calls, after one warm-up call. */
function medianMs(fn: () => void, runs = 11): number {
  fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[runs >> 1]!;
}

export async function run(): Promise<void> {
  for (const [name, text] of [['ORU^R01 (15 OBX)', ORU], ['ADT^A01', ADT]] as const) {
    const parseOnly = rate(() => { parseHl7(text).segments.forEach((s) => s.value(3)); });
    const mapped = rate(() => { mapHl7Message(parseHl7(text), DEFAULT_SITE_CONFIG, OPTIONS); });
    // last: reading every field makes the parser's hot functions polymorphic, which measurably
    // slowed a mapper timed after it
    const eager = rate(() => readAll(text));
    const ratio = mapped / parseOnly;
    // the goal is set for the ORU only; the ADT line is for comparison
    const goal = text === ORU
      ? `   goal >= ${GOAL_PER_SECOND.toLocaleString('en-US')}/s and ratio >= ${GOAL_RATIO.toFixed(2)}: ${mapped >= GOAL_PER_SECOND && ratio >= GOAL_RATIO ? 'met' : 'NOT met'}`
      : '';
    console.log(`${name.padEnd(18)} parse-only ${perSecond(parseOnly)}/s   parse+map ${perSecond(mapped)}/s (${(1e6 / mapped).toFixed(0)} µs)   ratio ${ratio.toFixed(2)}${goal}`);
    // context for the ratio: an eager parse (every field decoded), and what merely copying or
    // serialising the Bundle the mapper returns costs (a floor for any mapper that builds it)
    const bundle = mapHl7Message(parseHl7(text), DEFAULT_SITE_CONFIG, OPTIONS).bundle;
    const copied = rate(() => copy(bundle), 1000);
    const serialised = rate(() => JSON.stringify(bundle), 1000);
    console.log(`${''.padEnd(18)} eager parse (every field decoded) ${perSecond(eager)}/s (ratio ${(mapped / eager).toFixed(2)});  the Bundle (${bundle.entry?.length ?? 0} entries, ${JSON.stringify(bundle).length.toLocaleString('en-US')} bytes of JSON): copy ${(1e6 / copied).toFixed(0)} µs, JSON.stringify ${(1e6 / serialised).toFixed(0)} µs`);
  }
  // the hostile message beside the 15-OBX ORU in the same run: bounded (10,000 lines mapped) and
  // linear; before the fix its 200,000 repetitions never finished (32,000 took ~1 minute)
  const oru = medianMs(() => { mapHl7Message(parseHl7(ORU), DEFAULT_SITE_CONFIG, OPTIONS); }, 101);
  const parseOnly = medianMs(() => { parseHl7Input(HOSTILE); });
  const hostile = medianMs(() => {
    const p = parseHl7Input(HOSTILE);
    if (p.kind === 'message') mapHl7Message(p.message, DEFAULT_SITE_CONFIG, OPTIONS);
  });
  idCost();
  console.log(`${'OBX-5 x 200,000'.padEnd(18)} parse ${parseOnly.toFixed(1)} ms, parse+map ${hostile.toFixed(1)} ms (median of 11; ${HOSTILE.length.toLocaleString('en-US')} bytes, 10,000 lines mapped, the rest reported truncated)   = ${(hostile / oru).toFixed(0)}x the ORU above (${(oru * 1000).toFixed(0)} µs)`);
}

/**
 * What keyed ids cost: minting one id (HMAC-SHA-256 with the key's and the order's state kept,
 * against the unkeyed MurmurHash3 they replace and a fresh node:crypto createHmac per id), and the
 * ORU mapped with each scheme, all in this run.
 */
function idCost(): void {
  const keyed = keyedIds(DEVELOPMENT_ID_KEY);
  const key = ['Patient', 'urn:oid:2.16.840.1.113883.3.999.2', 'SYN0001'];
  const obx = ['2823-3', '', '0'];
  const keyedPrefix = keyed.prefix(['order', 'urn:oid:2.16.840.1.113883.3.999.1', 'FL2001', 'OBX']);
  const legacyPrefix = LEGACY_IDS.prefix(['order', 'urn:oid:2.16.840.1.113883.3.999.1', 'FL2001', 'OBX']);
  const ns = (perSec: number): string => `${(1e9 / perSec).toFixed(0)} ns`;
  const hmacKey = rate(() => { keyed.fullUrl('Patient', keyed.hash(key)); }, 1000);
  const hmacObx = rate(() => { keyed.fullUrl('Observation', keyed.after(keyedPrefix, obx)); }, 1000);
  const murmurKey = rate(() => { LEGACY_IDS.fullUrl('Patient', LEGACY_IDS.hash(key)); }, 1000);
  const murmurObx = rate(() => { LEGACY_IDS.fullUrl('Observation', LEGACY_IDS.after(legacyPrefix, obx)); }, 1000);
  const text = key.join('\u001f');
  const node = rate(() => { createHmac('sha256', DEVELOPMENT_ID_KEY).update(text, 'utf16le').digest(); }, 1000);
  const keyedMap = rate(() => { mapWith(parseHl7(ORU), DEFAULT_SITE_CONFIG, keyed); });
  const legacyMap = rate(() => { mapWith(parseHl7(ORU), DEFAULT_SITE_CONFIG, LEGACY_IDS); });
  console.log(`${'ids'.padEnd(18)} keyed (HMAC-SHA-256) ${ns(hmacKey)} a key, ${ns(hmacObx)} an OBX after its order's state;  MurmurHash3 ${ns(murmurKey)} / ${ns(murmurObx)};  node:crypto createHmac per id ${ns(node)}`);
  console.log(`${''.padEnd(18)} ORU^R01 parse+map with keyed ids ${perSecond(keyedMap)}/s (${(1e6 / keyedMap).toFixed(0)} µs), with MurmurHash3 ids ${perSecond(legacyMap)}/s (${(1e6 / legacyMap).toFixed(0)} µs): keyed ids cost ${(100 * (legacyMap / keyedMap - 1)).toFixed(0)}%`);
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
