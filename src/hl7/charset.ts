// MSH-18 character sets -> decoders. HL7 v2 table 0211 names the sets; the message header itself is
// always ASCII, so MSH-18 can be read from the raw bytes before the body is decoded.
import { HL7_ERROR, Hl7Error } from './errors.js';
import { table } from '../text/index.js';

type Decode = (bytes: Uint8Array) => string;

const latin1: Decode = (b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const utf8: Decode = (b) => strictUtf8.decode(b);

const isoDecoder = (label: string): Decode => {
  const d = new TextDecoder(label, { fatal: false });
  return (b) => d.decode(b);
};

/** Table 0211 values we read, and what they decode with. 8859/1 is decoded as true ISO-8859-1. */
const CHARSETS: Readonly<Record<string, Decode | undefined>> = table({
  'ASCII': latin1,
  'ISO IR6': latin1,
  '8859/1': latin1,
  'ISO IR100': latin1,
  '8859/2': isoDecoder('iso-8859-2'),
  '8859/3': isoDecoder('iso-8859-3'),
  '8859/4': isoDecoder('iso-8859-4'),
  '8859/5': isoDecoder('iso-8859-5'),
  '8859/6': isoDecoder('iso-8859-6'),
  '8859/7': isoDecoder('iso-8859-7'),
  '8859/8': isoDecoder('iso-8859-8'),
  '8859/9': isoDecoder('iso-8859-9'),
  '8859/15': isoDecoder('iso-8859-15'),
  'UNICODE UTF-8': utf8,
  'UTF-8': utf8,
});

export const SUPPORTED_CHARSETS = Object.keys(CHARSETS);

/**
 * Decodes a message's bytes by its declared MSH-18. With no MSH-18 the bytes are read as UTF-8 when
 * they are valid UTF-8 (many senders send UTF-8 without saying so), else as ISO-8859-1, so no byte is
 * ever lost or replaced. A declared but unknown set is an error the sender must fix.
 */
export function decodeHl7(bytes: Uint8Array, declared: string): { text: string; charset: string } {
  const name = declared.trim().toUpperCase();
  if (name === '') {
    if (isAscii(bytes)) return { text: latin1(bytes), charset: 'ASCII' };
    try {
      return { text: utf8(bytes), charset: 'UNICODE UTF-8' };
    } catch {
      return { text: latin1(bytes), charset: '8859/1' };
    }
  }
  const decode = CHARSETS[name];
  if (!decode) {
    throw new Hl7Error('ERR_HL7_BAD_CHARSET', HL7_ERROR.tableValueNotFound, `unsupported character set in MSH-18: '${declared.slice(0, 32)}'`, { segment: 'MSH', sequence: 1, field: 18 });
  }
  try {
    return { text: decode(bytes), charset: name };
  } catch {
    throw new Hl7Error('ERR_HL7_BAD_CHARSET', HL7_ERROR.dataType, `bytes are not valid ${name} as declared in MSH-18`, { segment: 'MSH', sequence: 1, field: 18 });
  }
}

/** Encodes text (an ACK) back into the sender's character set. */
export function encodeHl7(text: string, charset: string): Buffer {
  return charset.toUpperCase().includes('UTF-8') ? Buffer.from(text, 'utf8') : Buffer.from(text, 'latin1');
}

function isAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! > 0x7f) return false;
  return true;
}
