// Acknowledgements (HL7 v2 2.9): original mode AA/AE/AR, enhanced mode CA/CE/CR then AA/AE/AR.
// MSA-2 always echoes the sender's MSH-10, even when the message could not be parsed: the header is
// sniffed from the raw text for that.
import { DEFAULT_DELIMITERS, type Delimiters, escapeValue, NOT_A_DELIMITER } from './encoding.js';
import { toStorableText } from '../text/index.js';
import { HL7_ERROR_TEXT, type Hl7ErrorCondition, type Hl7Location } from './errors.js';
import type { Hl7Message } from './message.js';

export type AckCode = 'AA' | 'AE' | 'AR' | 'CA' | 'CE' | 'CR';

/** The parts of the sender's MSH an ACK needs. */
export interface AckHeader {
  sendingApplication: string;
  sendingFacility: string;
  receivingApplication: string;
  receivingFacility: string;
  controlId: string;
  processingId: string;
  version: string;
  event: string;
  delimiters: Delimiters;
}

export interface AckError {
  condition: Hl7ErrorCondition;
  text: string;
  location?: Hl7Location;
}

export interface AckOptions {
  code: AckCode;
  header: AckHeader;
  /** MSH-10 of the ACK itself. */
  ackControlId: string;
  now: Date;
  error?: AckError;
  /** Who we are when the sender left MSH-5/6 empty. */
  selfApplication?: string;
}

/** What an ACK needs from a parsed message. */
export function ackHeaderOf(m: Hl7Message): AckHeader {
  const h = m.header;
  return {
    sendingApplication: h.sendingApplication, sendingFacility: h.sendingFacility,
    receivingApplication: h.receivingApplication, receivingFacility: h.receivingFacility,
    controlId: h.controlId, processingId: h.processingId, version: h.version, event: h.type.event, delimiters: m.delimiters,
  };
}

/** Reads what an ACK needs from raw text without validating it (for messages that failed to parse). */
export function sniffHeader(text: string): AckHeader {
  const start = text.indexOf('MSH');
  const line = start < 0 ? '' : (text.slice(start).split(/\r|\n/, 1)[0] ?? '');
  const fsCandidate = line[3] ?? '|';
  // a letter, digit, space or control character cannot be a delimiter: answer with '|'
  const fs = NOT_A_DELIMITER.test(fsCandidate) ? '|' : fsCandidate;
  const parts = line.split(fs);
  const encRaw = parts[1] ?? '';
  const cs = encRaw[0] && !NOT_A_DELIMITER.test(encRaw[0]) && encRaw[0] !== fs ? encRaw[0] : '^';
  // control characters read as U+FFFD, as the parser reads them: a NUL cannot be stored as text at all
  const field = (n: number) => toStorableText((parts[n - 1] ?? '').split(cs)[0]!.slice(0, 199)).text;
  const d: Delimiters = fs === '|' && cs === '^' ? DEFAULT_DELIMITERS : { ...DEFAULT_DELIMITERS, field: fs, component: cs };
  return {
    sendingApplication: field(3),
    sendingFacility: field(4),
    receivingApplication: field(5),
    receivingFacility: field(6),
    controlId: field(10),
    processingId: field(11) || 'P',
    version: field(12),
    event: (parts[8] ?? '').split(cs)[1]?.slice(0, 3) ?? '',
    delimiters: d,
  };
}

/** HL7 DTM in UTC: YYYYMMDDHHMMSS+0000. */
export function hl7Timestamp(now: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}+0000`;
}

const ERR_V25 = new Set(['2.5', '2.5.1', '2.6', '2.7', '2.7.1', '2.8', '2.8.1', '2.8.2', '2.9']);

export function buildAck(o: AckOptions): string {
  const h = o.header;
  const d = h.delimiters;
  const e = (s: string) => escapeValue(s, d);
  const version = h.version || '2.5.1';
  const structured = ERR_V25.has(version);
  const enc = d.component + d.repetition + d.escape + d.subcomponent + d.truncation;
  const msh = [
    'MSH', enc,
    e(h.receivingApplication || o.selfApplication || 'SWITCHBOARD'), e(h.receivingFacility),
    e(h.sendingApplication), e(h.sendingFacility),
    hl7Timestamp(o.now), '',
    ackType(h.event, structured, d),
    e(o.ackControlId), e(h.processingId || 'P'), e(version),
  ].join(d.field);
  const msa = ['MSA', o.code, e(h.controlId), o.error ? e(o.error.text.slice(0, 80)) : ''].join(d.field).replace(new RegExp(`\\${d.field}+$`), '');
  const segs = [msh, msa];
  if (o.error) segs.push(errSegment(o.error, d, structured));
  return segs.join('\r') + '\r';
}

/** MSH-9 of the ACK: ACK^<event>^ACK from v2.5 (message structure), ACK^<event> before. */
function ackType(event: string, structured: boolean, d: Delimiters): string {
  if (!/^[A-Z0-9]{3}$/.test(event)) return 'ACK';
  return structured ? ['ACK', event, 'ACK'].join(d.component) : ['ACK', event].join(d.component);
}

function errSegment(err: AckError, d: Delimiters, structured: boolean): string {
  const e = (s: string) => escapeValue(s, d);
  const loc = err.location;
  const where = loc ? [loc.segment, loc.sequence ?? '', loc.field ?? ''].join(d.component).replace(new RegExp(`\\${d.component}+$`), '') : '';
  const codeText = HL7_ERROR_TEXT[err.condition];
  if (!structured) {
    // v2.1-2.4: ERR-1 error code and location (CM): segment^sequence^field^code&text&HL70357
    const parts = [loc?.segment ?? '', loc?.sequence ?? '', loc?.field ?? '', [err.condition, codeText, 'HL70357'].join(d.subcomponent)];
    return ['ERR', parts.join(d.component)].join(d.field);
  }
  // v2.5+: ERR-2 location (ERL), ERR-3 HL7 error code (CWE, table 0357), ERR-4 severity, ERR-8 user message
  return ['ERR', '', where, [err.condition, codeText, 'HL70357'].join(d.component), 'E', '', '', '', e(err.text)].join(d.field);
}

/** Reads MSA-1 and MSA-2 from an ACK (for clients and tests). */
export function readAck(text: string): { code: string; controlId: string; text: string } {
  const msa = text.split(/\r|\n/).find((s) => s.startsWith('MSA'));
  if (!msa) return { code: '', controlId: '', text: '' };
  const fs = msa[3] ?? '|';
  const f = msa.split(fs);
  return { code: f[1] ?? '', controlId: f[2] ?? '', text: f[3] ?? '' };
}
