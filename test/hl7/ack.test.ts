import { describe, expect, it } from 'vitest';
import { buildAck, parseHl7, readAck, sniffHeader, HL7_ERROR } from '../../src/hl7/index.js';
import { fixture, toWire } from '../support/fixtures.js';

const now = new Date('2026-11-04T08:30:00Z');

describe('ACK', () => {
  it('answers an original-mode message AA, swapping sender and receiver, echoing MSH-10 in MSA-2', () => {
    const m = parseHl7(toWire(fixture('spine/oru-r01.hl7')));
    const ack = buildAck({ code: 'AA', header: { ...m.header, event: m.header.type.event, delimiters: m.delimiters }, ackControlId: 'ACK1', now });
    const [msh, msa] = ack.split('\r');
    expect(msh).toBe('MSH|^~\\&|SWITCHBOARD|GENHOSP|LAB|NORTHLAB|20261104083000+0000||ACK^R01^ACK|ACK1|P|2.5.1');
    expect(msa).toBe('MSA|AA|CTRL0001');
    expect(readAck(ack)).toMatchObject({ code: 'AA', controlId: 'CTRL0001' });
  });

  it('carries an ERR segment with the table 0357 code, location and text (v2.5+)', () => {
    const m = parseHl7(toWire(fixture('spine/oru-r01.hl7')));
    const ack = buildAck({ code: 'AR', header: { ...m.header, event: 'R01', delimiters: m.delimiters }, ackControlId: 'A2', now,
      error: { condition: HL7_ERROR.unsupportedVersionId, text: 'unsupported HL7 version', location: { segment: 'MSH', sequence: 1, field: 12 } } });
    expect(ack.split('\r')[2]).toBe('ERR||MSH^1^12|203^Unsupported version id^HL70357|E||||unsupported HL7 version');
  });

  it('uses the v2.3 ERR-1 layout for older versions', () => {
    const header = sniffHeader('MSH|^~\\&|A|B|C|D|20260101||ADT^A01|X9|P|2.3\r');
    const ack = buildAck({ code: 'AE', header, ackControlId: 'A3', now, error: { condition: HL7_ERROR.segmentSequence, text: 'x', location: { segment: 'PID' } } });
    expect(ack.split('\r')[2]).toBe('ERR|PID^^^100&Segment sequence error&HL70357');
  });

  it('sniffs MSH-10 from a message that does not parse, answering in the sender\'s delimiters', () => {
    const header = sniffHeader('MSH#$~\\&#APP#FAC#ME#US#2026##ORU$R01#CTL-9#P#2.5\r');
    expect(header).toMatchObject({ controlId: 'CTL-9', sendingApplication: 'APP', event: 'R01' });
    const ack = buildAck({ code: 'AR', header, ackControlId: 'A4', now });
    expect(ack).toContain('MSA#AR#CTL-9');
  });

  it('answers in | and ^ when the sender\'s delimiters are control characters, and reads a NUL in MSH-10 as U+FFFD', () => {
    const header = sniffHeader('MSH\u0000\u0001~\\&\u0000APP\u0000FAC\u0000ME\u0000US\u00002026\u0000\u0000ORU\u0001R01\u0000CTL-9\u0000P\u00002.5\r');
    expect(header.delimiters).toMatchObject({ field: '|', component: '^' });
    expect(sniffHeader('MSH|^~\\&|A|B|C|D|2026||ORU^R01|C\u0000TL|P|2.5.1\r').controlId).toBe('C\uFFFDTL');
    expect(buildAck({ code: 'AR', header, ackControlId: 'A6', now })).toMatch(/^MSH\|\^~\\&\|/);
  });

  it('escapes delimiters inside error texts', () => {
    const header = sniffHeader('MSH|^~\\&|A|B|C|D|2026||ORU^R01|X|P|2.5.1\r');
    const ack = buildAck({ code: 'AE', header, ackControlId: 'A5', now, error: { condition: HL7_ERROR.dataType, text: 'bad | and ^ here' } });
    expect(ack).toContain('bad \\F\\ and \\S\\ here');
  });
});
