import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { frame, MllpFramer, OVERSIZE_HEAD_BYTES, type FrameEvent } from '../../src/hl7/frame.js';

const payloads = (evs: FrameEvent[]) => evs.map((e) => (e.kind === 'frame' ? e.payload.toString('latin1') : `<oversize ${e.size}>`));

/** Feeds bytes in the given chunk sizes and collects every event. */
function feed(framer: MllpFramer, bytes: Buffer, chunk: number): FrameEvent[] {
  const out: FrameEvent[] = [];
  for (let i = 0; i < bytes.length; i += chunk) out.push(...framer.push(bytes.subarray(i, i + chunk)));
  return out;
}

describe('MLLP framer', () => {
  it.each([1, 2, 3, 7, 64, 100_000])('reassembles two frames fed %i byte(s) at a time', (chunk) => {
    const bytes = Buffer.concat([frame('MSH|first\r'), frame('MSH|second\r')]);
    expect(payloads(feed(new MllpFramer(1024), bytes, chunk))).toEqual(['MSH|first\r', 'MSH|second\r']);
  });

  it('splits two frames that arrive in one TCP chunk into two messages', () => {
    const f = new MllpFramer(1024);
    expect(payloads(f.push(Buffer.concat([frame('A'), frame('B'), frame('C')])))).toEqual(['A', 'B', 'C']);
  });

  it('clears its buffer between frames on a kept-open connection', () => {
    const f = new MllpFramer(1024);
    for (let i = 0; i < 200; i++) expect(payloads(f.push(frame(`M${i}`)))).toEqual([`M${i}`]);
  });

  it('yields an empty frame for <VT><FS><CR>', () => {
    expect(payloads(new MllpFramer(10).push(Buffer.from([0x0b, 0x1c, 0x0d])))).toEqual(['']);
  });

  it('ignores whitespace between frames and counts other stray bytes', () => {
    const f = new MllpFramer(100);
    expect(payloads(f.push(Buffer.concat([Buffer.from('\r\n  junk'), frame('X')])))).toEqual(['X']);
    expect(f.strayBytes).toBe(4);
  });

  it('ends a frame at a lone FS (no CR) and reads on', () => {
    const f = new MllpFramer(100);
    expect(payloads(f.push(Buffer.from('\x0bA\x1c\x0bB\x1c\r')))).toEqual(['A', 'B']);
  });

  it('does not buffer an oversize frame: keeps its head and reports its size', () => {
    const f = new MllpFramer(16 * 1024);
    const big = Buffer.alloc(2 * 1024 * 1024, 0x41);
    big.write('MSH|^~\\&|A|B|C|D|||ORU^R01|BIG1|P|2.5.1\r', 0, 'latin1');
    const evs = feed(f, frame(big), 65_536);
    expect(evs).toHaveLength(1);
    const ev = evs[0]!;
    expect(ev.kind).toBe('oversize');
    if (ev.kind !== 'oversize') return;
    expect(ev.size).toBe(big.length);
    expect(ev.head.length).toBe(OVERSIZE_HEAD_BYTES);
    expect(ev.head.toString('latin1')).toMatch(/^MSH\|.*BIG1/);
    // and the next frame on the same connection is read normally
    expect(payloads(f.push(frame('after')))).toEqual(['after']);
  });

  it('reports inFrame while a frame is open (for the slow-sender timer)', () => {
    const f = new MllpFramer(100);
    f.push(Buffer.from('\x0bMSH|partial'));
    expect(f.inFrame).toBe(true);
    f.push(Buffer.from('\x1c\r'));
    expect(f.inFrame).toBe(false);
  });

  it('property: any payloads without VT/FS, framed and cut anywhere, come back unchanged', () => {
    const payload = fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a.filter((b) => b !== 0x0b && b !== 0x1c)));
    fc.assert(fc.property(fc.array(payload, { maxLength: 8 }), fc.integer({ min: 1, max: 50 }), (ps, chunk) => {
      const got = feed(new MllpFramer(1024), Buffer.concat(ps.map((p) => frame(p))), chunk);
      expect(got.map((e) => (e.kind === 'frame' ? e.payload.toString('hex') : 'x'))).toEqual(ps.map((p) => p.toString('hex')));
    }));
  });

  it('property: arbitrary bytes never throw and never buffer more than the limit', () => {
    // frame characters often enough that frames open, grow past the limit and close
    const byte = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x0b, 0x1c, 0x0d));
    fc.assert(fc.property(fc.integer({ min: 1, max: 300 }), fc.array(fc.array(byte, { maxLength: 400 }), { maxLength: 20 }), (limit, chunks) => {
      const f = new MllpFramer(limit);
      for (const c of chunks) {
        const events = f.push(Buffer.from(c));
        // what it holds between pushes, not only what it emits
        expect(f.bufferedBytes).toBeLessThanOrEqual(limit);
        for (const ev of events) {
          if (ev.kind === 'frame') expect(ev.payload.length).toBeLessThanOrEqual(limit);
          else expect(ev.head.length).toBeLessThanOrEqual(limit);
        }
      }
    }), { numRuns: 500 });
  });
});
