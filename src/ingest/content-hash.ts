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
  let s = raw.toString('latin1'); // one character per byte, reversible
  if (s.includes('\n')) s = s.replace(/\r\n|\n\r|\n/g, '\r');
  s = s.replace(/\r+$/, '') + '\r';
  const p = s.indexOf('MSH');
  if (p >= 0 && p + 3 < s.length) {
    const fs = s[p + 3]!;
    const end = s.indexOf('\r', p);
    const parts = s.slice(p, end).split(fs);
    if (parts.length >= 7) {
      parts[6] = ''; // parts[0] = 'MSH', parts[1] = MSH-2, ..., parts[6] = MSH-7
      s = s.slice(0, p) + parts.join(fs) + s.slice(end);
    }
  }
  return sha256(Buffer.from(s, 'latin1'));
}

/** Content already in a canonical form (a call note re-serialised after validation): its bytes. */
export function bytesContentHash(raw: Buffer): Buffer {
  return sha256(raw);
}

const sha256 = (b: Buffer): Buffer => createHash('sha256').update(b).digest();
