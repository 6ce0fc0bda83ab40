// Checks on a JSON body before any parser or schema walks it: the media type, and the nesting depth.
// JSON.parse itself copes with deep nesting, but what walks the value next (a schema, a stringify)
// recurses once per level, and 50,000 levels overflow the stack: a 500, or a process in trouble. A
// linear scan that counts brackets outside strings refuses such a body first, in O(length).
import { badRequest, unsupportedMediaType } from '../outcome/index.js';

/** RFC 8259 11 `application/json`, and RFC 6839 3.1 structured-suffix types (`application/fhir+json`). */
const JSON_TYPE = /^application\/(?:[A-Za-z0-9!#$&^_.-]+\+)?json\s*(?:;|$)/i;

export function checkJsonContentType(contentType: string | undefined): void {
  if (contentType === undefined || !JSON_TYPE.test(contentType.trim())) {
    throw unsupportedMediaType('body must be JSON (Content-Type: application/json)', { code: 'ERR_CONTENT_TYPE' });
  }
}

/** The deepest nesting of arrays and objects in `text` (strings skipped, escapes included). */
export function jsonDepth(text: string, stopAbove = Infinity): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c) i++; // backslash: the next character is escaped
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x7b || ch === 0x5b) {
      if (++depth > max) max = depth;
      if (max > stopAbove) return max;
    } else if (ch === 0x7d || ch === 0x5d) depth--;
  }
  return max;
}

export function checkJsonDepth(text: string, maxDepth: number): void {
  if (jsonDepth(text, maxDepth) > maxDepth) {
    throw badRequest(`JSON body nests deeper than ${maxDepth} levels`, { code: 'ERR_JSON_TOO_DEEP', issue: 'too-costly' });
  }
}
