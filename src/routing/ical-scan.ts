/**
 * A linear first pass over an iCalendar text (RFC 5545 3.1) before ical.js parses it: it unfolds
 * lines, checks each content line's shape (`name *(";" param) ":" value`), bounds line length
 * and component nesting, and records the line of each VEVENT, so that problems are reported by
 * line number — never by quoting the line — and ical.js only ever sees text of a bounded shape.
 */

export interface ScanLimits {
  /** Longest unfolded content line, characters. */
  readonly maxLineChars: number;
  /** Deepest BEGIN/END nesting (VCALENDAR > VEVENT > VALARM is 3). */
  readonly maxDepth: number;
}

export const DEFAULT_SCAN_LIMITS: ScanLimits = {
  // RFC 5545 3.1 folds at 75 octets; unfolded DESCRIPTIONs of real feeds stay far below 64 KiB.
  maxLineChars: 64 * 1024,
  // VCALENDAR > VEVENT > VALARM, VCALENDAR > VTIMEZONE > STANDARD: 3; room for extensions.
  maxDepth: 8,
};

export type ScanResult =
  | { readonly ok: true; readonly eventLines: readonly number[] }
  | { readonly ok: false; readonly line: number; readonly problem: string };

// RFC 5545 3.1: name = iana-token / x-name (ALPHA, DIGIT, "-"); then params or the value.
const CONTENT_LINE = /^[A-Za-z0-9-]+[;:]/;

/** Scans `text`; on success the (1-based, physical) line of each top-level VEVENT's BEGIN, in order. */
export const scanICalendar = (text: string, limits: ScanLimits = DEFAULT_SCAN_LIMITS): ScanResult => {
  const eventLines: number[] = [];
  const stack: string[] = [];
  let calendars = 0;
  let physical = 0;
  let current = '';
  let currentLine = 0;

  const finish = (): ScanResult | undefined => {
    if (current === '') return undefined;
    const line = currentLine;
    if (!CONTENT_LINE.test(current)) return { ok: false, line, problem: 'not a content line (name:value)' };
    const colon = current.indexOf(':');
    const name = current.slice(0, Math.min(colon < 0 ? current.length : colon, semicolonOr(current))).toUpperCase();
    if (name === 'BEGIN' || name === 'END') {
      const component = current.slice(colon + 1).trim().toUpperCase();
      if (name === 'BEGIN') {
        if (stack.length === 0) {
          if (component !== 'VCALENDAR' || ++calendars > 1) return { ok: false, line, problem: 'the text must be one VCALENDAR' };
        }
        if (stack.length >= limits.maxDepth) return { ok: false, line, problem: `components nested deeper than ${limits.maxDepth}` };
        if (component === 'VEVENT' && stack.length === 1) eventLines.push(line);
        stack.push(component);
      } else if (stack.pop() !== component) return { ok: false, line, problem: 'END does not match its BEGIN' };
    } else if (stack.length === 0) return { ok: false, line, problem: 'content outside BEGIN:VCALENDAR ... END:VCALENDAR' };
    current = '';
    return undefined;
  };

  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    physical++;
    const raw = text.slice(start, end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end);
    start = end + 1;
    if (raw.length > 0 && (raw.charCodeAt(0) === 32 || raw.charCodeAt(0) === 9)) {
      // RFC 5545 3.1: a line starting with a space or tab continues the previous one
      if (current === '') return { ok: false, line: physical, problem: 'a continuation line with nothing to continue' };
      current += raw.slice(1);
    } else {
      const failed = finish();
      if (failed !== undefined) return failed;
      current = raw.trim() === '' ? '' : raw;
      currentLine = physical;
    }
    if (current.length > limits.maxLineChars) return { ok: false, line: currentLine, problem: `a content line longer than ${limits.maxLineChars} characters` };
    if (end === text.length) break;
  }
  const failed = finish();
  if (failed !== undefined) return failed;
  if (calendars === 0) return { ok: false, line: 1, problem: 'no BEGIN:VCALENDAR' };
  if (stack.length > 0) return { ok: false, line: physical, problem: 'a component is not closed (END missing)' };
  return { ok: true, eventLines };
};

const semicolonOr = (s: string): number => {
  const i = s.indexOf(';');
  return i < 0 ? s.length : i;
};
