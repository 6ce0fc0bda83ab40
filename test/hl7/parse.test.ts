import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkSupported, Hl7Error, isHl7Error, parseHl7, parseHl7Input, unescapeValue, escapeValue, DEFAULT_DELIMITERS } from '../../src/hl7/index.js';
import { fixture, toWire } from '../support/fixtures.js';

describe('ER7 parser', () => {
  it('reads an ORU: header, segments, components, repetitions and escapes', () => {
    const m = parseHl7(toWire(fixture('spine/oru-r01.hl7')));
    expect(m.header).toMatchObject({ sendingApplication: 'LAB', sendingFacility: 'NORTHLAB', controlId: 'CTRL0001', version: '2.5.1', type: { code: 'ORU', event: 'R01', structure: 'ORU_R01' } });
    expect(m.all('OBX')).toHaveLength(3);
    const pid = m.segment('PID')!;
    expect(pid.value(3, 1)).toBe('MRN100234');
    expect(pid.value(3, 4)).toBe('GENHOSP');
    expect(pid.value(5, 2)).toBe('ALEX');
    expect(m.all('OBX')[2]!.components(5)).toEqual(['>', '250']);
    expect(m.segment('NTE')!.value(3)).toBe('Specimen slightly hemolyzed\nrepeat draw advised');
  });

  it.each([
    ['CR', '\r'], ['LF', '\n'], ['CRLF', '\r\n'],
  ])('accepts %s segment endings', (_name, sep) => {
    const text = fixture('spine/adt-a01.hl7').toString('latin1').replace(/\n/g, sep);
    const m = parseHl7(Buffer.from(text, 'latin1'));
    expect(m.segments.map((s) => s.name)).toEqual(['MSH', 'EVN', 'PID', 'PV1']);
  });

  it('reads custom encoding characters and their escapes', () => {
    const m = parseHl7(toWire(fixture('spine/custom-delimiters.hl7')));
    expect(m.delimiters).toMatchObject({ field: '#', component: '$', repetition: '*', escape: '!', subcomponent: '@' });
    expect(m.header.type.event).toBe('R01');
    expect(m.segment('OBX')!.value(5)).toBe('value with a # field sep and a hash$caret');
  });

  it('reads the v2.7 fifth (truncation) encoding character', () => {
    const m = parseHl7(toWire(fixture('spine/truncation-char.hl7')));
    expect(m.delimiters.truncation).toBe('#');
    expect(m.segment('OBX')!.value(5)).toBe('5.0');
  });

  it.each([
    ['spine/latin1-8859-1.hl7', '8859/1'],
    ['spine/utf8.hl7', 'UNICODE UTF-8'],
  ])('decodes %s by its MSH-18 (%s)', (file, charset) => {
    const m = parseHl7(fixture(file));
    expect(m.charset).toBe(charset);
    expect(m.segment('PID')!.value(5, 1)).toBe('MÜLLER');
    expect(m.segment('PID')!.value(5, 2)).toBe('RENÉE');
  });

  it('reads UTF-8 without MSH-18 as UTF-8 and invalid UTF-8 as ISO-8859-1, losing no byte', () => {
    const utf8 = Buffer.from('MSH|^~\\&|A|B|C|D|20260101||ORU^R01|X1|P|2.5.1\rOBX|1|ST|X||µmol\r', 'utf8');
    expect(parseHl7(utf8).segment('OBX')!.value(5)).toBe('µmol');
    const latin = Buffer.from('MSH|^~\\&|A|B|C|D|20260101||ORU^R01|X1|P|2.5.1\rOBX|1|ST|X||\xb5mol\r', 'latin1');
    expect(parseHl7(latin).segment('OBX')!.value(5)).toBe('µmol');
  });

  it('reads a batch (FHS/BHS/BTS/FTS) as its messages', () => {
    const b = parseHl7Input(toWire(fixture('spine/batch.hl7')));
    expect(b.kind).toBe('batch');
    if (b.kind !== 'batch') return;
    expect(b.controlId).toBe('FILE0001');
    expect(b.messages.map((m) => m.header.controlId)).toEqual(['BATCHMSG1', 'BATCHMSG2']);
    expect(b.declaredCount).toBe(2);
  });

  it('checks each BTS-1 against its own batch when a file holds several (FHS, BHS..BTS, BHS..BTS, FTS)', () => {
    const lines = toWire(fixture('spine/batch.hl7')).toString('latin1').split('\r').filter((l) => l !== '');
    const [fhs, bhs, ...rest] = lines;
    const body = rest.slice(0, -2); // the two messages, without BTS and FTS
    const file = (counts: [string, string]) => [fhs, bhs, ...body.slice(0, 4), `BTS|${counts[0]}`, bhs, ...body.slice(4), `BTS|${counts[1]}`, 'FTS|2', ''].join('\r');
    const two = parseHl7Input(Buffer.from(file(['1', '1']), 'latin1'));
    expect(two).toMatchObject({ kind: 'batch', declaredCount: 2 });
    expect(() => parseHl7Input(Buffer.from(file(['2', '0']), 'latin1'))).toThrow(expect.objectContaining({ code: 'ERR_HL7_BAD_BATCH' }));
  });

  it('reads components and sub-components of any repetition (property, against a naive split)', () => {
    const part = fc.stringMatching(/^[A-Za-z0-9 .]{0,4}$/);
    const field = fc.array(fc.array(fc.array(part, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 6 })
      .map((reps) => reps.map((comps) => comps.map((subs) => subs.join('&')).join('^')).join('~'));
    const msh = toWire(fixture('spine/oru-r01.hl7')).toString('latin1').split('\r')[0]!;
    fc.assert(fc.property(field, (f) => {
      const obx = parseHl7(`${msh}\rOBX|1|ST|X||${f}\r`).all('OBX')[0]!;
      const reps = f === '' ? [] : f.split('~');
      expect(obx.repetitionCount(5)).toBe(reps.length);
      // read the repetitions in a shuffled order too: each is split on first read
      for (const r of [...reps.keys()].reverse()) {
        const comps = reps[r]!.split('^');
        expect(obx.components(5, r)).toEqual(comps);
        for (const [c, comp] of comps.entries()) {
          expect(obx.subcomponents(5, c + 1, r)).toEqual(comp === '' ? [] : comp.split('&'));
          for (const [sIdx, sub] of comp.split('&').entries()) expect(obx.value(5, c + 1, sIdx + 1, r)).toBe(sub);
        }
      }
      expect(obx.components(5, reps.length)).toEqual([]);
    }), { numRuns: 300 });
  });

  it('reads messages that follow each other without a batch header as separate messages, never merged', () => {
    const b = parseHl7Input(toWire(fixture('spine/two-messages.hl7')));
    expect(b.kind).toBe('batch');
    if (b.kind !== 'batch') return;
    expect(b.header).toBeUndefined();
    expect(b.messages.map((m) => [m.header.controlId, m.typeName, m.segments.length])).toEqual([['ADT0001', 'ADT^A01', 4], ['ADT0002', 'ADT^A08', 4]]);
  });

  it('repairs and reports a doubled escape character in MSH-2', () => {
    const m = parseHl7('MSH|^~\\\\&|A|B|C|D|20260101||ADT^A01|X1|P|2.6\rPID|1||ID1||DOE^J\r');
    expect(m.delimiters.escape).toBe('\\');
    expect(m.delimiters.subcomponent).toBe('&');
    expect(m.repairs.map((r) => r.code)).toEqual(['DOUBLED_ESCAPE']);
  });

  it.each([
    ['spine/bad/empty.hl7', 'ERR_HL7_EMPTY'],
    ['spine/bad/no-msh.hl7', 'ERR_HL7_NO_MSH'],
    ['spine/bad/bad-delimiters.hl7', 'ERR_HL7_BAD_DELIMITERS'],
    ['spine/bad/missing-control-id.hl7', 'ERR_HL7_MISSING_FIELD'],
    ['spine/bad/binary-garbage.bin', 'ERR_HL7_NO_MSH'],
  ])('refuses %s with %s', (file, code) => {
    expect(() => parseHl7(toWire(fixture(file)))).toThrow(expect.objectContaining({ code }));
  });

  it.each([
    ['spine/bad/truncated.hl7', 'ERR_HL7_MISSING_SEGMENT', '100'],
    ['spine/bad/unknown-version.hl7', 'ERR_HL7_UNSUPPORTED_VERSION', '203'],
    ['spine/bad/unknown-type.hl7', 'ERR_HL7_UNSUPPORTED_TYPE', '200'],
  ])('checkSupported refuses %s with %s (table 0357 code %s)', (file, code, condition) => {
    const m = parseHl7(toWire(fixture(file)));
    let err: unknown;
    try { checkSupported(m); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(Hl7Error);
    expect(err).toMatchObject({ code, condition });
  });

  // a segment id is [A-Z][A-Z0-9]{2} followed by the field separator or the end of the line
  it.each([
    ['pid|', 'ERR_HL7_BAD_SEGMENT'],
    ['PI|', 'ERR_HL7_BAD_SEGMENT'],
    ['PIDX|', 'ERR_HL7_BAD_SEGMENT'],
    ['1ID|', 'ERR_HL7_BAD_SEGMENT'],
    ['ZP1|', undefined],
  ])('reads a segment starting %s: %s', (start, code) => {
    const text = toWire(fixture('spine/oru-r01.hl7')).toString('latin1').replace('\rPID|', `\r${start}`);
    if (code) expect(() => parseHl7(text)).toThrow(expect.objectContaining({ code }));
    else expect(parseHl7(text).segments.map((g) => g.name)).toContain(start.slice(0, 3));
  });

  it.each(['constructor', '__proto__', 'toString'])('refuses message type %s as unsupported (a lookup once found Object.prototype)', (type) => {
    const m = parseHl7(toWire(fixture('spine/oru-r01.hl7')).toString('latin1').replace('|ORU^R01^ORU_R01|', `|${type}^R01|`));
    expect(() => checkSupported(m)).toThrow(expect.objectContaining({ code: 'ERR_HL7_UNSUPPORTED_TYPE' }));
  });

  it('refuses a control character as a delimiter', () => {
    expect(() => parseHl7('MSH\u0000^~\\&\u0000A\u0000B\u0000C\u0000D\u00002024\u0000\u0000ORU^R01\u0000X\u0000P\u00002.5.1\r')).toThrow(expect.objectContaining({ code: 'ERR_HL7_BAD_DELIMITERS' }));
  });

  it('reads a segment of its id alone (no field separator)', () => {
    const text = `${toWire(fixture('spine/oru-r01.hl7')).toString('latin1').replace(/\r+$/, '')}\rNTE\r`;
    const last = parseHl7(text).segments.at(-1)!;
    expect([last.name, last.size, last.value(1)]).toEqual(['NTE', 0, '']);
  });

  it('reads raw control characters (other than CR, LF, tab) as U+FFFD, says so, and keeps them in the text', () => {
    const wire = toWire(fixture('spine/oru-r01.hl7')).toString('latin1');
    const obx = wire.indexOf('\rOBX|');
    expect(obx).toBeGreaterThan(0);
    const text = `${wire.slice(0, obx)}\rNTE|1||a\u0001b\u001fc\td${wire.slice(obx)}`;
    const m = parseHl7(text);
    expect(m.all('NTE')[0]!.value(3)).toBe('a\uFFFDb\uFFFDc\td');
    expect(m.repairs).toEqual([expect.objectContaining({ code: 'CONTROL_CHARACTERS', at: 'message', text: expect.stringContaining('2 control characters') })]);
    expect(m.text).toContain('a\u0001b\u001fc');
    expect(parseHl7(wire).repairs).toEqual([]);
  });

  it('property: arbitrary bytes either parse or throw an Hl7Error, never anything else', () => {
    const prefix = fc.constantFrom('', 'MSH|^~\\&|', 'MSH', 'FHS|^~\\&|', 'BHS|', 'MSH|^~\\&|A|B|C|D|1||ORU^R01|X|P|2.5.1\r');
    fc.assert(fc.property(prefix, fc.uint8Array({ maxLength: 400 }), (p, tail) => {
      try {
        const r = parseHl7Input(Buffer.concat([Buffer.from(p, 'latin1'), Buffer.from(tail)]));
        if (r.kind === 'message') checkSupported(r.message);
      } catch (e) {
        expect(isHl7Error(e)).toBe(true);
      }
    }), { numRuns: 2000 });
  });
});

describe('escape sequences (HL7 v2 2.7)', () => {
  const d = DEFAULT_DELIMITERS;
  it.each([
    ['a\\F\\b', 'a|b'], ['a\\S\\b', 'a^b'], ['a\\T\\b', 'a&b'], ['a\\R\\b', 'a~b'], ['a\\E\\b', 'a\\b'],
    ['line1\\.br\\line2', 'line1\nline2'], ['\\X41C3A9\\', 'Aé'], ['\\X41E9\\', 'Aé'], ['\\H\\bold\\N\\', 'bold'],
    ['\\Zcustom\\', '\\Zcustom\\'], ['trailing \\r', 'trailing \\r'], ['no escapes', 'no escapes'], ['\\C2842\\x', 'x'],
    // hex escapes of control characters: line breaks and tabs stay, the rest cannot be FHIR text
    ['a\\X0D0A\\b', 'a\r\nb'], ['a\\X09\\b', 'a\tb'], ['a\\X00\\b\\X1B\\', 'a\uFFFDb\uFFFD'],
  ])('unescapes %j as %j', (raw, text) => {
    expect(unescapeValue(raw, d)).toBe(text);
  });

  it('property: escapeValue and unescapeValue are inverse for any text without CR', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }).map((s) => s.replace(/\r/g, '')), (s) => {
      expect(unescapeValue(escapeValue(s, d), d)).toBe(s);
    }));
  });
});
