// At start (gateway and `switchboard migrate`): the installation's resource-id key, and, once, the
// re-keying of resources stored under the unkeyed MurmurHash3 ids that came before keyed ids. Every
// stored message that may have written resources is mapped with both schemes (src/mapping rekey.ts)
// to pair each old id with its new one; then, in one transaction, every stored resource's id, its
// references and synthetic identifiers, and the inbox's routing records are rewritten
// (src/store/id-key.ts). Replicas agree: the key is created by one statement, and the re-keying
// holds the key row's lock, so a second replica finds it done.
//
// Upgrade all replicas together (stop, start one, then the rest): a replica still running the old
// version would keep storing unkeyed ids after the re-keying.
import { callNoteSchema } from './calls/index.js';
import { parseHl7Input } from './hl7/index.js';
import { callNoteIdPairs, hl7IdPairs, type SiteConfig } from './mapping/index.js';
import type { Logger } from './obs/index.js';
import { ensureIdKey, rekeyPending, type RekeySource, rekeySources, rekeyStoredResources, resourceIdsHeldElsewhere, type Sql } from './store/index.js';

/** Stored messages read per round while pairing ids. */
const PAGE = 500;

const UUIDS = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/** RFC 9562 version 8, variant 10: what every unkeyed id was (a keyed id is of this shape 1 time in 64). */
const LEGACY_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export interface PrepareIdsOptions {
  /** MAPPING_ID_KEY: pins the key a fresh installation stores (tests, reproducible set-ups). */
  pinned?: Uint8Array;
  /** The site config the stored messages were mapped with (identifier systems enter the keys). */
  config: SiteConfig;
  log: Logger;
}

/** The installation's id key, after re-keying what was stored under the old ids (once). */
export async function prepareResourceIds(sql: Sql, opts: PrepareIdsOptions): Promise<Buffer> {
  const idKey = await ensureIdKey(sql, opts.pinned);
  if (await rekeyPending(sql)) await rekey(sql, idKey, opts);
  return idKey;
}

async function rekey(sql: Sql, idKey: Buffer, opts: PrepareIdsOptions): Promise<void> {
  const started = Date.now();
  const pairs = new Map<string, string>();
  let mapped = 0;
  let unmappable = 0;
  for (let after = '0'; ;) {
    const rows = await rekeySources(sql, after, PAGE);
    if (rows.length === 0) break;
    for (const row of rows) {
      const found = idPairsOf(row, idKey, opts.config);
      if (found) {
        mapped++;
        for (const [old, now] of found) pairs.set(old, now);
      } else {
        unmappable++;
      }
    }
    after = rows[rows.length - 1]!.id;
  }
  // ids delivery keeps and derives its own from stay: the resource keeps its id, its references
  // stay valid, and its synthetic identifier (another UUID, still re-keyed) is what a replay matches
  const held = await resourceIdsHeldElsewhere(sql);
  for (const id of held) pairs.delete(id);
  if (held.size) opts.log.info('resource_ids_rekey_held_by_delivery', { count: held.size });
  const rewrite = (s: string): string => (s.length < 36 ? s : s.replace(UUIDS, (u) => pairs.get(u) ?? u));
  let legacyLeft = 0;
  const rewriteId = (id: string): string => {
    const now = pairs.get(id);
    if (now === undefined && LEGACY_SHAPE.test(id)) legacyLeft++;
    return now ?? id;
  };
  const counts = await rekeyStoredResources(sql, rewrite, rewriteId);
  if (!counts) return; // another replica re-keyed first
  opts.log.info('resource_ids_rekeyed', { count: counts.rewritten, ms: Date.now() - started });
  opts.log.info('resource_ids_rekey_messages_mapped', { count: mapped });
  if (counts.merged) opts.log.info('resource_ids_rekey_merged', { count: counts.merged });
  if (unmappable) opts.log.warn('resource_ids_rekey_messages_not_mappable', { count: unmappable });
  // a resource whose id no stored message maps to (its message deleted, or the site config changed
  // since): it keeps its id, and its references stay intact; a new message for it makes a new one
  if (legacyLeft) opts.log.warn('resource_ids_rekey_left_unkeyed', { count: legacyLeft });
}

/** old -> new ids of one stored message, or undefined when it no longer maps (then it stored nothing new). */
function idPairsOf(row: RekeySource, idKey: Buffer, config: SiteConfig): Map<string, string> | undefined {
  try {
    if (row.source === 'calls') {
      const note = callNoteSchema.safeParse(JSON.parse(row.raw.toString('utf8')));
      return note.success ? callNoteIdPairs(note.data, { id: row.id, receivedAt: row.receivedAt.toISOString() }, config, { idKey }) : undefined;
    }
    const input = parseHl7Input(row.raw);
    return input.kind === 'message' ? hl7IdPairs(input.message, config, { idKey }) : undefined;
  } catch {
    return undefined; // a message that failed to map stored no resources
  }
}
