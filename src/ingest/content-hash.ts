// What "the same message" means for dedupe. A resend is the same sender (MSH-3/MSH-4), the same
// control id (MSH-10) and the same content; the same sender and control id with other content is a
// different message (a corrected result reusing MSH-10) and is stored, never dropped.
//
// "Same content" for HL7 v2: SHA-256 of the message bytes after two normalisations, and nothing else:
// - MSH-7 (date/time of message) is emptied: several engines re-stamp MSH-7 when they resend a
//   message that was not acknowledged, and that resend must still be recognised as the duplicate it is.
//   MSH-7 says when the message was sent, not what it says; anything clinical lives in other fields.
// - Segment breaks are read as CR (LF and CRLF are read the same by the parser) and the trailing
//   ones become exactly one CR: a resend through another MLLP client may end or break lines
//   differently with the same segments.
// Everything else counts, byte for byte: a corrected OBX-5 or OBX-11, another MSH-18, another encoding.
// The same function in SQL (migration 005, inbox_hl7_content_hash) filled the column for older rows;
// a test checks the two agree.
import { createHash } from 'node:crypto';

export function hl7ContentHash(raw: Buffer): Buffer {
  // PostgreSQL text cannot hold NUL, so the SQL twin hashes such input as received; so do we
  if (raw.includes(0)) return sha256(raw);
  // segment breaks as CR: only when there is an LF at all (most senders use CR alone)
  const bytes = raw.includes(LF) ? Buffer.from(raw.toString('latin1').replace(/\r\n|\n\r|\n/g, '\r'), 'latin1') : raw;
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === CR) end--;
  const h = createHash('sha256');
  // MSH-7: from after the 6th field separator of the first MSH to the next separator or segment end
  const p = bytes.indexOf(MSH);
  if (p >= 0 && p + 3 < end) {
    const fs = bytes[p + 3]!;
    const segEnd = indexOrEnd(bytes, CR, p, end);
    let at = p + 3;
    for (let n = 0; n < 5 && at >= 0; n++) at = indexWithin(bytes, fs, at + 1, segEnd);
    if (at >= 0) {
      const stop = indexOrEnd(bytes, fs, at + 1, segEnd);
      h.update(bytes.subarray(0, at + 1)).update(bytes.subarray(stop, end));
      return h.update(CR_BYTE).digest();
    }
  }
  return h.update(bytes.subarray(0, end)).update(CR_BYTE).digest();
}

const CR = 0x0d;
const LF = 0x0a;
const CR_BYTE = Buffer.from([CR]);
const MSH = Buffer.from('MSH', 'latin1');

/** Index of byte b in buf[from, to), or -1. */
function indexWithin(buf: Buffer, b: number, from: number, to: number): number {
  const i = buf.indexOf(b, from);
  return i >= 0 && i < to ? i : -1;
}

/** Index of byte b in buf[from, to), or `to`. */
function indexOrEnd(buf: Buffer, b: number, from: number, to: number): number {
  const i = indexWithin(buf, b, from, to);
  return i < 0 ? to : i;
}

/** Content already in a canonical form (a call note re-serialised after validation): its bytes. */
export function bytesContentHash(raw: Buffer): Buffer {
  return sha256(raw);
}

const sha256 = (b: Buffer): Buffer => createHash('sha256').update(b).digest();
