// Parsing search parameter values (FHIR R4 search.html#escaping, search.html#token). Pure.

/**
 * Splits a parameter value into its comma-separated alternatives (search.html#escaping), keeping every
 * escape as written: a `\|` inside an alternative must still read as a literal `|` when its token is
 * split (parseToken), so nothing is unescaped here. Use `unescape` on parts that are not tokens.
 */
export function splitAlternatives(raw: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === '\\') i++;
    else if (raw[i] === ',') {
      parts.push(raw.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(raw.slice(start));
  return parts;
}

/** Splits on the first unescaped `|` only (the value of a token may not be split further). */
function splitToken(raw: string): [string, string | undefined] {
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === '\\') i++;
    else if (raw[i] === '|') return [raw.slice(0, i), raw.slice(i + 1)];
  }
  return [raw, undefined];
}

/** `\,` `\|` `\$` `\\` -> the character after the backslash. */
export const unescape = (s: string): string => s.replace(/\\(.)/g, '$1');

/**
 * FHIR R4 search.html#token for identifier:
 *   `system|value` -> exact; `|value` -> value with no system; `value` -> any system; `system|` -> any value.
 * Stored identifiers are 'system|value' strings (search-columns.ts), so each form is one SQL test.
 */
export type IdentifierToken =
  | { kind: 'exact'; key: string }
  | { kind: 'value'; value: string }
  | { kind: 'system'; system: string };

export function parseIdentifierToken(raw: string): IdentifierToken | undefined {
  const [a, b] = splitToken(raw);
  if (b === undefined) return a === '' ? undefined : { kind: 'value', value: unescape(a) };
  if (b === '') return a === '' ? undefined : { kind: 'system', system: unescape(a) };
  return { kind: 'exact', key: `${unescape(a)}|${unescape(b)}` };
}

/**
 * A token value in its four forms (FHIR R4 search.html#token): `system|code` exact; `|code` a code
 * with no system (exact with system ''); `code` under any system; `system|` any code of the system.
 */
export type TokenValue =
  | { kind: 'exact'; system: string; code: string }
  | { kind: 'code'; code: string }
  | { kind: 'system'; system: string };

/** undefined for an empty token (`|` or ''). */
export function parseToken(raw: string): TokenValue | undefined {
  const [a, b] = splitToken(raw);
  if (b === undefined) return a === '' ? undefined : { kind: 'code', code: unescape(a) };
  if (b === '') return a === '' ? undefined : { kind: 'system', system: unescape(a) };
  return { kind: 'exact', system: unescape(a), code: unescape(b) };
}
