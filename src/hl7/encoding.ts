// Delimiters (MSH-1, MSH-2) and the escape sequences of HL7 v2 section 2.7.
import { toStorableText } from '../text/index.js';
import { HL7_ERROR, Hl7Error } from './errors.js';

export interface Delimiters {
  field: string;
  component: string;
  repetition: string;
  escape: string;
  subcomponent: string;
  /** v2.7+ truncation character (5th encoding character), '' when absent. */
  truncation: string;
}

export const DEFAULT_DELIMITERS: Delimiters = {
  field: '|', component: '^', repetition: '~', escape: '\\', subcomponent: '&', truncation: '',
};

/** Something the parser read leniently, reported with the message (the mapping report's warnings). */
export interface ParseRepair {
  code: 'DOUBLED_ESCAPE' | 'CONTROL_CHARACTERS';
  /** where: 'MSH-2', or 'message' */
  at: string;
  text: string;
}

/**
 * Letters, digits, whitespace and control characters are never delimiters (HL7 v2 2.5.4). Also how an
 * unreadable header is sniffed for the ACK (ack.ts).
 */
export const NOT_A_DELIMITER = /[A-Za-z0-9\s\u0000-\u001f\u007f]/;


/**
 * Reads MSH-1 and MSH-2. Accepts the 4 standard characters and the v2.7 5th (truncation) character.
 * One repair is made and reported: `^~\\&`, the escape character doubled, as produced when a message
 * is copied out of a Java/JSON string literal; it is read as `^~\&`.
 */
export function readDelimiters(field: string, encodingChars: string): { delimiters: Delimiters; repair?: ParseRepair } {
  let enc = encodingChars;
  let repair: ParseRepair | undefined;
  if (enc.length === 5 && enc[2] === enc[3] && enc[2] === '\\') {
    enc = enc.slice(0, 3) + enc.slice(4);
    repair = { code: 'DOUBLED_ESCAPE', at: 'MSH-2', text: 'MSH-2 had a doubled escape character (^~\\\\&); read as ^~\\&' };
  }
  const chars = [field, ...enc];
  const bad = (why: string): never => {
    throw new Hl7Error('ERR_HL7_BAD_DELIMITERS', HL7_ERROR.dataType, `bad encoding characters in MSH-1/MSH-2: ${why}`, { segment: 'MSH', sequence: 1, field: 2 });
  };
  if (field.length !== 1) bad('MSH-1 must be one character');
  if (enc.length < 4 || enc.length > 5) bad(`MSH-2 must have 4 or 5 characters, found ${enc.length}`);
  if (chars.some((c) => NOT_A_DELIMITER.test(c))) bad('letters, digits, spaces, line breaks and control characters cannot be delimiters');
  if (new Set(chars).size !== chars.length) bad('each delimiter must be distinct');
  const [component, repetition, escape, subcomponent, truncation = ''] = [...enc] as [string, string, string, string, string?];
  return { delimiters: { field, component, repetition, escape, subcomponent, truncation }, ...(repair ? { repair } : {}) };
}

/**
 * Decodes the escape sequences of one primitive value (HL7 v2 2.7): \F\ \S\ \T\ \R\ \E\ \P\ (the
 * truncation char), \Xhh..\ (hex bytes, read as ISO-8859-1 / UTF-8 when valid), \.br\ (line break),
 * \.sp\ \.in\ \.ti\ \.ce\ \.sk\ (formatting: whitespace), \H\ \N\ (highlighting: dropped), \Cxxyy\ and
 * \Mxxyyzz\ (charset switches: dropped), \Zxx\ (locally defined: kept as written).
 * An escape character without a closing one is kept literally (seen in the wild: "\r" as text).
 */
export function unescapeValue(raw: string, d: Delimiters): string {
  const esc = d.escape;
  if (raw.indexOf(esc) < 0) return raw;
  let out = '';
  let i = 0;
  while (i < raw.length) {
    const start = raw.indexOf(esc, i);
    if (start < 0) { out += raw.slice(i); break; }
    const end = raw.indexOf(esc, start + 1);
    if (end < 0) { out += raw.slice(i); break; }
    out += raw.slice(i, start);
    const body = raw.slice(start + 1, end);
    const decoded = decodeSequence(body, d);
    if (decoded === undefined) {
      // not a known sequence: keep the escape char and resume just after it
      out += esc;
      i = start + 1;
    } else {
      out += decoded;
      i = end + 1;
    }
  }
  return out;
}

function decodeSequence(body: string, d: Delimiters): string | undefined {
  switch (body) {
    case 'F': return d.field;
    case 'S': return d.component;
    case 'T': return d.subcomponent;
    case 'R': return d.repetition;
    case 'E': return d.escape;
    case 'P': return d.truncation || undefined;
    case 'H': case 'N': return '';
    case '.br': return '\n';
    case '.sp': return '\n';
    case '.fi': case '.nf': return '';
    case '.sk': return ' ';
    default: break;
  }
  const c = body[0];
  if (c === 'X' && /^X(?:[0-9A-Fa-f]{2})+$/.test(body)) return hexText(body.slice(1));
  if ((c === 'C' || c === 'M') && /^[CM][0-9A-Fa-f]{4,6}$/.test(body)) return '';
  if (c === 'Z' && body.length > 1) return d.escape + body + d.escape;
  if (/^\.(sp|in|ti|sk)[+-]?\d*$/.test(body)) return body.startsWith('.sp') ? '\n' : ' ';
  if (body === '.ce') return '\n';
  return undefined;
}

/** One strict decoder for every \Xhh..\ sequence (a decode without `stream` keeps no state between calls). */
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

function hexText(hex: string): string {
  const bytes = Buffer.from(hex, 'hex');
  let text: string;
  try {
    // a decoder made per sequence cost ~10x the decode itself (64,000 sequences: 92 ms against 9)
    text = STRICT_UTF8.decode(bytes);
  } catch {
    text = bytes.toString('latin1');
  }
  return toStorableText(text).text; // \X0D\ (a line break) stays; \X00\ cannot be FHIR text
}

/** Escapes text so it can stand in a field (the inverse of unescapeValue for delimiters and line breaks). */
export function escapeValue(text: string, d: Delimiters): string {
  let out = '';
  for (const ch of text) {
    if (ch === d.escape) out += `${d.escape}E${d.escape}`;
    else if (ch === d.field) out += `${d.escape}F${d.escape}`;
    else if (ch === d.component) out += `${d.escape}S${d.escape}`;
    else if (ch === d.subcomponent) out += `${d.escape}T${d.escape}`;
    else if (ch === d.repetition) out += `${d.escape}R${d.escape}`;
    else if (d.truncation && ch === d.truncation) out += `${d.escape}P${d.escape}`;
    else if (ch === '\n') out += `${d.escape}.br${d.escape}`;
    else if (ch === '\r') continue;
    else out += ch;
  }
  return out;
}
