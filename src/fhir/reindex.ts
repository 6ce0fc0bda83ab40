// Re-extracting the search columns of rows an older extractor wrote (search_version below
// SEARCH_COLUMNS_VERSION): after an upgrade that adds a search parameter, stored resources become
// searchable by it. Runs at start, before the HTTP API serves; one pass over the table in batches.
import type { Resource } from 'fhir/r4.js';
import { listStaleSearchRows, updateSearchColumns, type Sql } from '../store/index.js';
import { SEARCH_COLUMNS_VERSION, extractSearchColumns } from './search-columns.js';

/** Rows per statement: one jsonb parameter each way, well under a second. */
const REINDEX_BATCH = 500;
/** How often a running pass reports its progress, ms. */
const REINDEX_PROGRESS_MS = 10_000;

/**
 * Returns how many rows were brought up to date. The next batch is read while this one is
 * extracted and written: its rows come after this one's in key order, so neither statement touches
 * the other's rows, and the server's work on one batch overlaps this process's on the other
 * (opening and extracting). One at a time, the two alternated and each waited for the other.
 */
export async function reindexSearchColumns(sql: Sql, opts: { batch?: number; onProgress?: (done: number) => void; progressEveryMs?: number } = {}): Promise<number> {
  const list = (from: { type: string; id: string } | null) => listStaleSearchRows(sql, SEARCH_COLUMNS_VERSION, from, opts.batch ?? REINDEX_BATCH);
  let rows = await list(null);
  let done = 0;
  // a pass over a large store takes minutes: whoever waits on it hears how far it got, every so often
  let told = Date.now();
  for (;;) {
    if (opts.onProgress && Date.now() - told >= (opts.progressEveryMs ?? REINDEX_PROGRESS_MS)) {
      told = Date.now();
      opts.onProgress(done);
    }
    const last = rows[rows.length - 1];
    if (!last) return done;
    const next = list({ type: last.resource_type, id: last.id });
    // a failed write ends the pass; the read sent beside it must not be left unhandled
    next.catch(() => {});
    done += await updateSearchColumns(sql, rows.map((r) => ({
      resource_type: r.resource_type, id: r.id, version_id: r.version_id, ...extractSearchColumns(r.resource as Resource),
    })));
    rows = await next;
  }
}
