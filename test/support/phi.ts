// The fixtures' patient identifiers (names, MRNs, birth dates), read from every HL7 and call-note
// fixture, and a scan of outgoing text for any of them: push and webhook payloads must carry none.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fixture, ROOT } from './fixtures.js';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

function fromHl7(text: string): string[] {
  const out: string[] = [];
  const fieldSep = /MSH(.)/.exec(text)?.[1] ?? '|';
  const encoding = text.slice(text.indexOf('MSH') + 4, text.indexOf('MSH') + 8);
  const comp = encoding[0] ?? '^';
  const rep = encoding[1] ?? '~';
  for (const seg of text.split(/\r\n|\r|\n/)) {
    if (!seg.startsWith(`PID${fieldSep}`)) continue;
    const f = seg.split(fieldSep);
    for (const r of (f[3] ?? '').split(rep)) out.push(r.split(comp)[0] ?? '');
    for (const r of (f[5] ?? '').split(rep)) out.push(...r.split(comp).slice(0, 2));
    const dob = /^(\d{4})(\d{2})(\d{2})/.exec(f[7] ?? '');
    if (dob) out.push(`${dob[1]}${dob[2]}${dob[3]}`, `${dob[1]}-${dob[2]}-${dob[3]}`);
  }
  return out;
}

function fromCallNote(json: string): string[] {
  try {
    const p = (JSON.parse(json) as { patient?: { name?: string; mrn?: string; birthDate?: string } }).patient;
    return [p?.name, p?.mrn, p?.birthDate, ...(p?.name ?? '').split(/\s+/)].filter((x): x is string => typeof x === 'string');
  } catch {
    return [];
  }
}

let cached: string[] | undefined;

/** Every patient name part, MRN and birth date in fixtures/ (3+ characters, so initials and blanks do not count). */
export function fixturePhi(): string[] {
  if (cached) return cached;
  const all = files(path.join(ROOT, 'fixtures')).flatMap((f) => {
    if (f.endsWith('.hl7')) return fromHl7(readFileSync(f, 'latin1'));
    if (f.includes(`${path.sep}calls${path.sep}`) && f.endsWith('.json') && !f.endsWith('.expected.json')) return fromCallNote(readFileSync(f, 'utf8'));
    return [];
  });
  cached = [...new Set(all.map((s) => s.trim()).filter((s) => s.length >= 3 && !/^(MR|MRN)$/i.test(s)))];
  return cached;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
let patterns: { value: string; re: RegExp }[] | undefined;

/**
 * The fixture PHI values found in `text`: each as written in the fixtures (HL7 names are upper
 * case, so the JSON key `type` is not the surname TYPE), as a whole token (not inside a longer word or id).
 */
export function findPhi(text: string): string[] {
  patterns ??= fixturePhi().map((value) => ({ value, re: new RegExp(`(?<![A-Za-z0-9])${escape(value)}(?![A-Za-z0-9])`) }));
  return patterns.filter((p) => p.re.test(text)).map((p) => p.value);
}

/**
 * The call notes' callback numbers (as written and as bare digits) and their free text (reason,
 * notes): not patient identifiers as such, but PHI the store must not hold in clear either.
 */
export function fixtureCallText(): string[] {
  const out = files(path.join(ROOT, 'fixtures')).flatMap((f) => {
    if (!(f.includes(`${path.sep}calls${path.sep}`) && f.endsWith('.json') && !f.endsWith('.expected.json'))) return [];
    try {
      const n = JSON.parse(readFileSync(f, 'utf8')) as { caller?: { callbackNumber?: string }; reason?: string; notes?: string };
      const cb = n.caller?.callbackNumber;
      return [cb, cb?.replace(/\D/g, ''), n.reason, n.notes].filter((x): x is string => typeof x === 'string' && x.length >= 7);
    } catch {
      return [];
    }
  });
  return [...new Set(out)];
}

/** A test app's POST /hl7 limit: the few fixtures past it test size limits, not patient data. */
const MAX_HL7_BYTES = 64 * 1024;

/** The single-message HL7 fixtures under that limit (paths below fixtures/): what a PHI scan sends. */
export const phiHl7Files: readonly string[] = ['hl7/oru', 'hl7/adt']
  .flatMap((d) => readdirSync(path.join(ROOT, 'fixtures', d)).filter((f) => f.endsWith('.hl7')).map((f) => `${d}/${f}`))
  .concat(['spine/oru-r01.hl7', 'spine/adt-a01.hl7', 'spine/utf8.hl7', 'spine/latin1-8859-1.hl7'])
  .filter((f) => fixture(f).length <= MAX_HL7_BYTES);

/** The call-note fixtures (their .expected.json files are outputs, not inputs). */
export const phiCallFiles: readonly string[] = readdirSync(path.join(ROOT, 'fixtures/hl7/calls'))
  .filter((f) => f.endsWith('.json') && !f.endsWith('.expected.json')).map((f) => `hl7/calls/${f}`);
