// Parsing search parameter values (FHIR R4 search.html#escaping, search.html#token). Pure.

/** Splits on `sep` where it is not escaped with a backslash, then unescapes `\,` `\|` `\$` `\\`. */
export function splitEscaped(raw: string, sep: ',' | '|'): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (ch === '\\' && i + 1 < raw.length) {
      cur += raw[i + 1];
      i++;
    } else if (ch === sep) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
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

const unescape = (s: string): string => s.replace(/\\(.)/g, '$1');

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

/** A plain code token (status, priority): `code` or `system|code`; the system is not stored, so dropped. */
export function parseCodeToken(raw: string): string | undefined {
  const [a, b] = splitToken(raw);
  const code = unescape(b ?? a);
  return code === '' ? undefined : code;
}
