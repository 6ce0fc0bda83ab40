// PostgreSQL array literals (PostgreSQL docs, arrays.html#ARRAYS-IO), built here for the columns of
// a multi-row write: each column one parameter, `$n::text[]`, unnested together on the server. Every
// element is double-quoted, so only `"` and `\` are escaped, and any text (empty, 'NULL', braces,
// commas, spaces, newlines, any Unicode) comes back as it went; NULL is the unquoted word. A row's list
// (its tokens) is one element holding the list's own literal, which the server casts to text[].
//
// postgres.js serialises a JS array alike, but with two regex replaces per element; and a list per
// row has no wire form there but JSON, whose parse and unpacking (jsonb_to_recordset, one
// jsonb_array_elements_text subquery per list) cost the database more than array_in.

const NEEDS_ESCAPE = /["\\]/;

/** The text of an element inside double quotes. */
const escaped = (s: string): string => (NEEDS_ESCAPE.test(s) ? s.replace(/["\\]/g, '\\$&') : s);

/**
 * The text of an element of a list's literal that is itself inside double quotes (escaped twice):
 * `\` is `\\` in the inner literal and `\\\\` in the outer, `"` is `\"` and then `\\\"`.
 */
const escapedTwice = (s: string): string => (NEEDS_ESCAPE.test(s) ? s.replace(/\\/g, '\\\\\\\\').replace(/"/g, '\\\\\\"') : s);

/** `{"a","b",NULL}`: a text[] literal. */
export function textArrayLiteral(values: readonly (string | null)[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (i > 0) out += ',';
    out += v === null ? 'NULL' : `"${escaped(v)}"`;
  }
  return `${out}}`;
}

/**
 * A text[] literal whose every element is the text[] literal of one row's list: `{"{\"a\",\"b\"}","{}"}`.
 * `(x)::text[]` on the server turns each element back into the row's list.
 */
export function textListsLiteral(lists: readonly (readonly string[])[]): string {
  let out = '{';
  for (let i = 0; i < lists.length; i++) {
    const list = lists[i]!;
    if (i > 0) out += ',';
    out += '"{';
    for (let j = 0; j < list.length; j++) {
      if (j > 0) out += ',';
      out += `\\"${escapedTwice(list[j]!)}\\"`;
    }
    out += '}"';
  }
  return `${out}}`;
}

/** `{1,2,3}`: an int[]/smallint[] literal of integers. */
export const numberArrayLiteral = (values: readonly number[]): string => `{${values.join(',')}}`;
