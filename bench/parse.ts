// HL7 v2 parse + read: our ER7 parser beside the npm parsers, on an ORU^R01 with 15 OBX, reading what
// a mapper reads (PID-3.1, PID-5.1, and OBX-3.1, -5, -6.1, -8 of every OBX). The figures back the
// README's parser choice; each library's values are checked against ours before timing.
import { readFileSync } from 'node:fs';
import { Hl7Message as MedplumMessage } from '@medplum/core';
import { Message as ClientMessage } from 'node-hl7-client';
import { parseHl7 } from '../src/hl7/index.js';
import { fmt } from './stats.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);

/** The spine fixture with its OBX repeated to 15. */
export function oru15(): string {
  const lines = readFileSync(new URL('../fixtures/spine/oru-r01.hl7', import.meta.url), 'latin1').trim().split('\n');
  const obx = lines.filter((l) => l.startsWith('OBX'));
  const rest = lines.filter((l) => !l.startsWith('OBX') && !l.startsWith('NTE'));
  const many = Array.from({ length: 15 }, (_, i) => obx[i % obx.length]!.replace(/^OBX\|\d+/, `OBX|${i + 1}`));
  return [...rest, ...many].join('\r') + '\r';
}

type Reader = (text: string) => string[];

const ours: Reader = (text) => {
  const m = parseHl7(text);
  const pid = m.segment('PID')!;
  const out = [pid.value(3), pid.value(5)];
  for (const o of m.all('OBX')) out.push(o.value(3), o.value(5, 2) || o.value(5), o.value(6), o.value(8));
  return out;
};

const medplum: Reader = (text) => {
  const m = MedplumMessage.parse(text);
  const pid = m.getSegment('PID')!;
  const out = [pid.getField(3).getComponent(1), pid.getField(5).getComponent(1)];
  for (const o of m.getAllSegments('OBX')) out.push(o.getField(3).getComponent(1), o.getField(5).getComponent(2) || o.getField(5).getComponent(1), o.getField(6).getComponent(1), o.getField(8).getComponent(1));
  return out;
};

const client: Reader = (text) => {
  const m = new ClientMessage({ text });
  const out = [m.get('PID.3.1').toString(), m.get('PID.5.1').toString()];
  m.get('OBX').forEach((o) => {
    // within a segment node paths are relative (field.component)
    out.push(o.get('3.1').toString(), o.get('5.2').toString() || o.get('5.1').toString(), o.get('6.1').toString(), o.get('8').toString());
  });
  return out;
};

function rate(read: Reader, text: string): number {
  let n = 0;
  const t0 = performance.now();
  const until = t0 + SECONDS * 1000;
  while (performance.now() < until) {
    for (let i = 0; i < 100; i++) read(text);
    n += 100;
  }
  return n / ((performance.now() - t0) / 1000);
}

export async function run(): Promise<void> {
  const text = oru15();
  const expected = ours(text);
  const libs: [string, Reader][] = [['Switchboard src/hl7 (ours)', ours], ['@medplum/core Hl7Message', medplum], ['node-hl7-client Message', client]];
  const base = rate(ours, text);
  console.log(`ORU^R01 with 15 OBX (${text.length} bytes), parse + read ${expected.length} values, ${SECONDS}s each, one core`);
  console.log('| parser | messages/s | vs ours | same values as ours |');
  console.log('|---|---:|---:|---|');
  for (const [name, read] of libs) {
    let same: string;
    try {
      const got = read(text);
      same = JSON.stringify(got) === JSON.stringify(expected) ? 'yes' : `no (${got.filter((v, i) => v !== expected[i]).length} differ)`;
    } catch (e) {
      same = `threw: ${(e as Error).message}`;
    }
    const r = name.includes('ours') ? base : rate(read, text);
    console.log(`| ${name} | ${fmt(r)} | ${fmt(r / base, 2)}x | ${same} |`);
  }
}
