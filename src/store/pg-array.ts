// PostgreSQL array literals (PostgreSQL docs, arrays.html#ARRAYS-IO), built here for the columns of
// a multi-row write: each column one parameter, `$n::text[]`, unnested together on the server
// (`rowsOf` below makes the derived table of such rows for an UPDATE, DELETE or INSERT). Every
// element is double-quoted, so only `"` and `\` are escaped, and any text (empty, 'NULL', braces,
// commas, spaces, newlines, any Unicode) comes back as it went; NULL is the unquoted word. A row's list
// (its tokens) is one element holding the list's own literal, which the server casts to text[].
//
// postgres.js serialises a JS array alike, but with two regex replaces per element; and a list per
// row has no wire form there but JSON, whose parse and unpacking (jsonb_to_recordset, one
// jsonb_array_elements_text subquery per list) cost the database more than array_in.
import type postgres from 'postgres';
import type { Sql, TransactionSql } from './db.js';

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


/** The SQL type of a `rowsOf` column. */
export type RowColumnType = 'text' | 'bigint' | 'integer' | 'smallint' | 'boolean' | 'timestamptz' | 'jsonb' | 'bytea' | 'text[]';

/** A value of one row (`bytea`: a Buffer; `text[]`: a list; `jsonb`: any JSON value, null being SQL NULL). */
export type RowValue = string | number | boolean | Date | Buffer | readonly string[] | object | null;

/** One column of `rowsOf`: its name in the derived table, its SQL type, a value per row. */
export interface RowColumn {
  readonly name: string;
  readonly type: RowColumnType;
  readonly values: readonly RowValue[];
}

/** The array parameter's type per column type: lists and bytes travel as text (see `columnValue`). */
const CASTS: Record<RowColumnType, string> = {
  text: 'text[]', bigint: 'bigint[]', integer: 'integer[]', smallint: 'smallint[]', boolean: 'boolean[]',
  timestamptz: 'timestamptz[]', jsonb: 'jsonb[]', bytea: 'text[]', 'text[]': 'text[]',
};

/** The array literal of one column's values, one element per row. */
function columnLiteral(c: RowColumn): string {
  switch (c.type) {
    case 'text[]':
      return textListsLiteral(c.values.map((v) => (v ?? []) as readonly string[]));
    case 'bytea':
      return textArrayLiteral(c.values.map((v) => (v === null ? null : (v as Buffer).toString('base64'))));
    case 'jsonb':
      return textArrayLiteral(c.values.map((v) => (v === null ? null : JSON.stringify(v))));
    case 'timestamptz':
      return textArrayLiteral(c.values.map((v) => (v === null ? null : v instanceof Date ? v.toISOString() : String(v))));
    case 'boolean':
      return textArrayLiteral(c.values.map((v) => (v === null ? null : v ? 't' : 'f')));
    default:
      return textArrayLiteral(c.values.map((v) => (v === null ? null : String(v))));
  }
}

/** A column's unnested element as the derived table shows it: a list cast back, bytes decoded. */
function columnValue(c: RowColumn, i: number): string {
  if (c.type === 'text[]') return `u.c${i}::text[]`;
  if (c.type === 'bytea') return `decode(u.c${i}, 'base64')`;
  return `u.c${i}`;
}

const SQL_NAME = /^[a-z_][a-z0-9_]*$/;

/**
 * Rows given column by column, as the derived table `(SELECT … FROM unnest(…)) AS alias` for an
 * `UPDATE … FROM`, `DELETE … USING` or `INSERT … SELECT`: each column one array parameter (the
 * literals above), unnested together on the server. A JSON document unpacked by jsonb_to_recordset
 * is taken by the planner for 100 rows whatever it holds, and costs a document parse; arrays are
 * planned for their own length and parsed by array_in, so a join to a large table probes its index
 * for the rows given. Names must be lower-case SQL identifiers and types come from a closed list:
 * nothing of the statement's text is built from data.
 */
export function rowsOf(sql: Sql | TransactionSql, alias: string, columns: readonly RowColumn[]): postgres.Fragment {
  if (!SQL_NAME.test(alias) || columns.length === 0 || columns.some((c) => !SQL_NAME.test(c.name))) {
    throw new Error('rowsOf: names must be lower-case SQL identifiers, and there must be a column');
  }
  const n = columns[0]!.values.length;
  if (columns.some((c) => c.values.length !== n)) throw new Error('rowsOf: every column must hold a value per row');
  const select = columns.map((c, i) => `${columnValue(c, i)} AS ${c.name}`).join(', ');
  const names = columns.map((_, i) => `c${i}`).join(', ');
  const arrays = columns.slice(1).reduce(
    (acc, c) => sql`${acc}, ${columnLiteral(c)}::${sql.unsafe(CASTS[c.type])}`,
    sql`${columnLiteral(columns[0]!)}::${sql.unsafe(CASTS[columns[0]!.type])}`,
  );
  return sql`(SELECT ${sql.unsafe(select)} FROM unnest(${arrays}) AS u(${sql.unsafe(names)})) AS ${sql.unsafe(alias)}`;
}

/**
 * `rowsOf` for rows that are objects: a column per entry of `types`, named and valued after the
 * field of that name in each row.
 */
export function objectRows<R extends object>(sql: Sql | TransactionSql, alias: string, rows: readonly R[], types: Partial<Record<keyof R & string, RowColumnType>>): postgres.Fragment {
  return rowsOf(sql, alias, Object.entries(types).map(([name, type]) => ({
    name, type: type as RowColumnType, values: rows.map((r) => (r as Record<string, unknown>)[name] as RowValue),
  })));
}
