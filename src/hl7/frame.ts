// MLLP framing (HL7 v2 Appendix C, MLLP release 1): <VT> payload <FS><CR>.
// Bounded: a frame larger than maxFrameBytes is never buffered whole — the framer keeps its first
// bytes (enough to read MSH-10 for the error ACK; never more than maxFrameBytes), discards the rest up to the end block, and
// reports it as oversize. Bytes between frames that are not whitespace are counted and dropped.

export const VT = 0x0b;
export const FS = 0x1c;
export const CR = 0x0d;

/** What is kept of an oversize frame so its error ACK can echo MSH-10, bytes. */
export const OVERSIZE_HEAD_BYTES = 8 * 1024;

export type FrameEvent =
  | { kind: 'frame'; payload: Buffer }
  | { kind: 'oversize'; head: Buffer; size: number };

type State = 'outside' | 'inside' | 'sawFs';

export class MllpFramer {
  private state: State = 'outside';
  private chunks: Buffer[] = [];
  private size = 0;
  private oversize = false;
  /** Non-whitespace bytes seen outside any frame (garbage between frames). */
  strayBytes = 0;

  constructor(private readonly maxFrameBytes: number) {}

  /** Bytes held for the frame in progress: never more than maxFrameBytes (an oversize frame keeps its head only). */
  get bufferedBytes(): number {
    let n = 0;
    for (const c of this.chunks) n += c.length;
    return n;
  }

  /** True while a frame has begun and not ended (for the slow-sender timer). */
  get inFrame(): boolean {
    return this.state !== 'outside';
  }

  /** Feeds received bytes; returns the frames they complete, in order. */
  push(data: Buffer): FrameEvent[] {
    const out: FrameEvent[] = [];
    let i = 0;
    while (i < data.length) {
      if (this.state === 'outside') {
        const start = data.indexOf(VT, i);
        this.countStray(data, i, start < 0 ? data.length : start);
        if (start < 0) break;
        this.begin();
        i = start + 1;
        continue;
      }
      if (this.state === 'sawFs') {
        // FS must be followed by CR; a lone FS still ends the frame (lenient), the byte is re-read outside
        if (data[i] === CR) i++;
        out.push(this.finish());
        continue;
      }
      const end = data.indexOf(FS, i);
      const stop = end < 0 ? data.length : end;
      this.append(data.subarray(i, stop));
      if (end < 0) break;
      this.state = 'sawFs';
      i = end + 1;
    }
    return out;
  }

  private begin(): void {
    this.state = 'inside';
    this.chunks = [];
    this.size = 0;
    this.oversize = false;
  }

  private append(part: Buffer): void {
    if (part.length === 0) return;
    const before = this.size;
    this.size += part.length;
    if (this.oversize) return;
    if (this.size > this.maxFrameBytes) {
      // keep only the head, never more than the limit itself; drop what was buffered beyond it
      this.oversize = true;
      const keep = Math.min(OVERSIZE_HEAD_BYTES, this.maxFrameBytes);
      const head = Buffer.concat([...this.chunks, part.subarray(0, Math.max(0, keep - before))]).subarray(0, keep);
      this.chunks = [Buffer.from(head)];
      return;
    }
    // copy: the socket may reuse its buffer
    this.chunks.push(Buffer.from(part));
  }

  private finish(): FrameEvent {
    this.state = 'outside';
    const chunks = this.chunks;
    this.chunks = [];
    if (this.oversize) return { kind: 'oversize', head: chunks[0] ?? Buffer.alloc(0), size: this.size };
    return { kind: 'frame', payload: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.size) };
  }

  private countStray(data: Buffer, from: number, to: number): void {
    for (let j = from; j < to; j++) {
      const b = data[j]!;
      if (b !== CR && b !== 0x0a && b !== 0x20 && b !== 0x09) this.strayBytes++;
    }
  }
}

/** Wraps a payload in an MLLP frame. */
export function frame(payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'latin1') : payload;
  const out = Buffer.allocUnsafe(body.length + 3);
  out[0] = VT;
  body.copy(out, 1);
  out[body.length + 1] = FS;
  out[body.length + 2] = CR;
  return out;
}
