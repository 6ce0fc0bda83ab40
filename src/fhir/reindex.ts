// Re-extracting the search columns of rows an older extractor wrote (search_version below
// SEARCH_COLUMNS_VERSION): after an upgrade that adds a search parameter, stored resources become
// searchable by it. Runs at start, before the HTTP API serves; one pass over the table in batches.
import type { Resource } from 'fhir/r4.js';
import { listStaleSearchRows, updateSearchColumns, type Sql } from '../store/index.js';
import { SEARCH_COLUMNS_VERSION, extractSearchColumns } from './search-columns.js';

/** Rows per statement: one jsonb parameter each way, well under a second. */
const REINDEX_BATCH = 500;

/** Returns how many rows were brought up to date. */
export async function reindexSearchColumns(sql: Sql, opts: { batch?: number } = {}): Promise<number> {
  let from: { type: string; id: string } | null = null;
  let done = 0;
  for (;;) {
    const rows = await listStaleSearchRows(sql, SEARCH_COLUMNS_VERSION, from, opts.batch ?? REINDEX_BATCH);
    const last = rows[rows.length - 1];
    if (!last) return done;
    done += await updateSearchColumns(sql, rows.map((r) => ({
      resource_type: r.resource_type, id: r.id, version_id: r.version_id, ...extractSearchColumns(r.resource as Resource),
    })));
    from = { type: last.resource_type, id: last.id };
  }
}
