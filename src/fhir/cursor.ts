// The opaque paging cursor (FHIR R4 http.html#paging: the server owns the next-link format). It holds
// the keyset position (last_updated, id) of the last row of a page and the sort it was made for, so a
// page never repeats or skips a row that existed when the search started, whatever is inserted since.
import { FHIR_ID } from './resource-types.js';

export type SortOrder = 'asc' | 'desc';

export interface Cursor {
  /** last_updated of the page's last row, ISO instant with microseconds */
  lastUpdated: string;
  id: string;
  sort: SortOrder;
}

const INSTANT_US = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.lastUpdated, c.id, c.sort]), 'utf8').toString('base64url');
}

/** undefined when the text is not a cursor this server made. */
export function decodeCursor(text: string): Cursor | undefined {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(v) || v.length !== 3) return undefined;
  const [t, id, sort] = v as unknown[];
  if (typeof t !== 'string' || !INSTANT_US.test(t) || Number.isNaN(Date.parse(t))) return undefined;
  if (typeof id !== 'string' || !FHIR_ID.test(id)) return undefined;
  if (sort !== 'asc' && sort !== 'desc') return undefined;
  return { lastUpdated: t, id, sort };
}
