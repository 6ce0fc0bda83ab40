// Saving a transaction Bundle from mapping (FHIR R4 http.html#transaction): conditional creates and
// updates resolved against the store on identifier, urn:uuid: placeholders rewritten to Type/id, then
// one saveResources call, all in one database transaction.
import type { Bundle, BundleEntry, Resource } from 'fhir/r4.js';
import { findResourcesByIdentifier, lockResourceIdentifiers, resourceDigest, type IdentifierCondition, type IdentifierMatch, type TransactionSql } from '../store/index.js';
import { badRequest, isOutcomeError, notSupported, preconditionFailed } from '../outcome/index.js';
import { collectReferences, rewriteReferences } from './references.js';
import { FHIR_ID } from './resource-types.js';
import { saveResourceGroups, saveResources, type Queryable, type SaveOptions } from './resource-store.js';
import { parseIdentifierToken, type IdentifierToken } from './search-values.js';

/**
 * 'create' = POST + ifNoneExist (http.html#ccreate); 'upsert' = PUT Type?identifier= (http.html#cond-update);
 * 'put' = PUT Type/id or POST without a condition: the entry's own id.
 */
type Plan = { entry: number; type: string; id: string; resource: Resource; fullUrl?: string } & (
  | { mode: 'put' }
  | { mode: 'create' | 'upsert'; token: Exclude<IdentifierToken, { kind: 'system' }> }
);

const UUID_URN = /^urn:uuid:([0-9a-fA-F-]{36})$/;

function conditionToken(query: string, what: string): Exclude<IdentifierToken, { kind: 'system' }> {
  const params = [...new URLSearchParams(query)];
  const only = params[0];
  if (params.length !== 1 || !only || only[0] !== 'identifier') {
    throw notSupported(`${what}: only a single identifier=system|value condition is supported`);
  }
  const token = parseIdentifierToken(only[1]);
  if (!token || token.kind === 'system') throw badRequest(`${what}: identifier condition needs a value`);
  return token;
}

function planEntry(e: BundleEntry, i: number): Plan {
  const resource = e.resource;
  if (!resource || typeof resource.resourceType !== 'string') throw badRequest(`Bundle.entry[${i}].resource is missing`);
  const type = resource.resourceType;
  const fromUrn = e.fullUrl ? UUID_URN.exec(e.fullUrl)?.[1]?.toLowerCase() : undefined;
  let id = resource.id ?? fromUrn;
  const method = e.request?.method ?? 'PUT';
  const url = e.request?.url ?? `${type}/${id ?? ''}`;
  const base = { entry: i, type, resource, ...(e.fullUrl ? { fullUrl: e.fullUrl } : {}) };
  const q = url.indexOf('?');
  if (method === 'PUT' && q >= 0) {
    if (url.slice(0, q) !== type) throw badRequest(`Bundle.entry[${i}].request.url does not name ${type}`);
    const token = conditionToken(url.slice(q + 1), `Bundle.entry[${i}].request.url`);
    if (!id || !FHIR_ID.test(id)) throw badRequest(`Bundle.entry[${i}]: ${type} has no valid id`);
    return { ...base, id, mode: 'upsert', token };
  }
  if (method === 'PUT') {
    const m = /^([A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/.exec(url);
    if (!m || m[1] !== type) throw badRequest(`Bundle.entry[${i}].request.url must be ${type}/[id]`);
    if (resource.id && resource.id !== m[2]) throw badRequest(`Bundle.entry[${i}]: resource id differs from request.url`);
    id = m[2]!;
  } else if (method !== 'POST') {
    throw notSupported(`Bundle.entry[${i}].request.method ${method} is not supported`);
  }
  if (!id || !FHIR_ID.test(id)) throw badRequest(`Bundle.entry[${i}]: ${type} has no valid id`);
  if (method === 'POST' && e.request?.ifNoneExist) {
    return { ...base, id, mode: 'create', token: conditionToken(e.request.ifNoneExist, `Bundle.entry[${i}].request.ifNoneExist`) };
  }
  return { ...base, id, mode: 'put' };
}

type Conditional = Extract<Plan, { mode: 'create' | 'upsert' }>;
const conditionKey = (p: Conditional): string =>
  `${p.type}\u001f${p.token.kind}\u001f${p.token.kind === 'exact' ? p.token.key : p.token.value}`;

const conditionOf = (c: Conditional): IdentifierCondition => ({ type: c.type, kind: c.token.kind, key: c.token.kind === 'exact' ? c.token.key : c.token.value });

/** The lookup's rows for conds (conditions offset .. offset + conds.length) by condition; 412 when one matches several (http.html#ccreate). */
function collectMatches(conds: readonly Conditional[], rows: readonly IdentifierMatch[], offset: number): Map<Conditional, IdentifierMatch> {
  const found = new Map<Conditional, IdentifierMatch>();
  for (const match of rows) {
    const cond = conds[match.condition - offset];
    if (cond === undefined) continue;
    const prev = found.get(cond);
    if (prev && prev.id !== match.id) throw preconditionFailed(`Bundle.entry[${cond.entry}]: the ${cond.type} condition matches more than one resource`);
    found.set(cond, match);
  }
  return found;
}

/** The stored resources matching each condition; 412 when one matches several (http.html#ccreate). */
async function findMatches(tx: TransactionSql, conds: readonly Conditional[]): Promise<Map<Conditional, IdentifierMatch>> {
  if (conds.length === 0) return new Map();
  const conditions = conds.map(conditionOf);
  // Serialise concurrent transactions creating the same identifier, or both would miss and both insert:
  // the locks are held until this transaction ends, so the lookup and the saves below are one step.
  // One round trip: the connection runs the lookup after the lock statement, once every lock is held.
  const [, rows] = await Promise.all([lockResourceIdentifiers(tx, conditions), findResourcesByIdentifier(tx, conditions)]);
  return collectMatches(conds, rows, 0);
}

/**
 * Saves a transaction Bundle and returns each entry's resulting `Type/id`, in entry order.
 *
 * Conditional create (POST + ifNoneExist identifier=...) when a stored resource matches: the entry
 * resolves to the stored resource's id and references to it are rewritten accordingly. Nothing is
 * merged. The stored version is kept, unless the Bundle is newer: `Bundle.timestamp` (mapping sets it
 * from MSH-7) later than the stored `last_updated`; then the new content replaces the stored one under
 * the stored id, as a new version. So a replayed or out-of-order older message never overwrites a
 * patient, and a message sent after the last write does update it.
 * Conditional update (PUT Type?identifier=...) always replaces the matched resource (http.html#cond-update);
 * unchanged content does not create a version (saveResources). Several stored matches -> 412.
 * Runs in its own transaction unless it is handed one (a TransactionSql).
 */
/**
 * Whether saveTransactionBundle refused the Bundle for its content (an OperationOutcome with the
 * reason: invalid, not supported, a condition matching several resources), as opposed to the store
 * failing: a refusal is final, a store failure may be retried. Returns the outcome's issue code.
 */
export function bundleRefusal(e: unknown): { code: string; reason: string } | undefined {
  return isOutcomeError(e) ? { code: e.issueCode, reason: e.message } : undefined;
}

export async function saveTransactionBundle(sql: Queryable, bundle: Bundle, opts: SaveOptions = {}): Promise<string[]> {
  if (bundle.resourceType !== 'Bundle' || bundle.type !== 'transaction') throw badRequest('Bundle.type must be transaction');
  const plans = (bundle.entry ?? []).map(planEntry);
  const work = (tx: TransactionSql) => saveInTransaction(tx, bundle, plans, opts);
  // The ingest worker passes its own transaction, so marking its inbox row processed and these resources commit together
  // (persist, then ACK). The boundary is decided here, not in the store: the advisory locks, the lookup
  // and the writes must share one transaction, and only this file knows they belong together.
  if ('begin' in sql) return (await sql.begin(work)) as string[];
  return work(sql);
}

async function saveInTransaction(tx: TransactionSql, bundle: Bundle, plans: readonly Plan[], opts: SaveOptions): Promise<string[]> {
  const conds = plans.filter((p): p is Conditional => p.mode !== 'put');
  const { finalIds, resources } = resolvePlans(bundle, plans, await findMatches(tx, conds));
  await saveResources(tx, resources, opts);
  return finalIds;
}

/**
 * The plans with the store's matches applied: each entry's `Type/id` (in entry order) and the
 * resources to write, references rewritten. Pure; throws the refusal (400) of a dangling reference.
 */
function resolvePlans(bundle: Bundle, plans: readonly Plan[], matches: ReadonlyMap<Conditional, IdentifierMatch>): { finalIds: string[]; resources: Resource[] } {
  const bundleTime = bundle.timestamp ? Date.parse(bundle.timestamp) : NaN;
  const firstInBundle = new Map<string, string>(); // condition key -> id given to it by an earlier entry
  const finalIds: string[] = [];
  const toSave: Plan[] = [];
  for (const p of plans) {
    let id = p.id;
    let save = true;
    if (p.mode !== 'put') {
      const match = matches.get(p);
      const key = conditionKey(p);
      const earlier = firstInBundle.get(key);
      if (match) {
        id = match.id;
        if (p.mode === 'create') save = bundleTime > match.lastUpdated.getTime();
      } else if (earlier !== undefined) {
        id = earlier;
        if (p.mode === 'create') save = false;
      }
      if (!firstInBundle.has(key)) firstInBundle.set(key, id);
    }
    finalIds.push(id);
    if (save) toSave.push({ ...p, id });
  }
  const refMap = new Map<string, string>();
  plans.forEach((p, i) => {
    const ref = `${p.type}/${finalIds[i]!}`;
    if (p.fullUrl) refMap.set(p.fullUrl, ref);
    if (p.id !== finalIds[i]) refMap.set(`${p.type}/${p.id}`, ref);
  });
  const resources = toSave.map((p) => ({ ...rewriteReferences(p.resource, refMap), id: p.id }));
  for (const [i, r] of resources.entries()) {
    const dangling = collectReferences(r).find((ref) => ref.startsWith('urn:uuid:'));
    if (dangling) throw badRequest(`Bundle.entry[${toSave[i]!.entry}]: reference to an entry not in the Bundle`);
  }
  return { finalIds: plans.map((p, i) => `${p.type}/${finalIds[i]!}`), resources };
}

/** One message's Bundle in a batch (saveTransactionBundles). */
export interface BundleItem {
  bundle: Bundle;
  /** the inbox message the resources come from */
  inboxId: string | null;
}

/**
 * A Bundle of a batch: saved (each entry's `Type/id`), refused for its content with the outcome's
 * issue code, or deferred (nothing written: it needed a wave past `maxWaves`; save it later).
 */
export type BundleSaveResult = { ok: true; savedIds: string[]; deferred?: undefined } | { ok: false; code: string; reason: string; deferred?: undefined } | { ok: false; deferred: true };

interface Prepared {
  index: number;
  item: BundleItem;
  plans: Plan[];
  conds: Conditional[];
  /** what the Bundle reads or writes by identifier or id: two Bundles sharing one are saved one after the other */
  keys: Set<string>;
}

/** A value-part identifier key, as lockResourceIdentifiers forms its lock keys. */
const identifierKey = (type: string, value: string): string => `${type}|${value}`;

function prepare(item: BundleItem, index: number): Prepared {
  const { bundle } = item;
  if (bundle.resourceType !== 'Bundle' || bundle.type !== 'transaction') throw badRequest('Bundle.type must be transaction');
  const plans = (bundle.entry ?? []).map(planEntry);
  const conds = plans.filter((p): p is Conditional => p.mode !== 'put');
  const keys = new Set<string>();
  for (const c of conds) keys.add(identifierKey(c.type, c.token.kind === 'exact' ? c.token.key.slice(c.token.key.indexOf('|') + 1) : c.token.value));
  for (const p of plans) {
    if (p.mode === 'put') keys.add(`${p.type}/${p.id}`);
    const ids = (p.resource as { identifier?: unknown }).identifier;
    if (Array.isArray(ids)) for (const i of ids as { value?: unknown }[]) if (typeof i?.value === 'string') keys.add(identifierKey(p.type, i.value));
  }
  return { index, item, plans, conds, keys };
}

/**
 * The Bundles of the next wave (none shares an identifier or a resource id with an earlier one of
 * it), the rest in order, and the lookup of the wave's conditions, sent now (`rows`: its matches).
 */
function nextWave(tx: TransactionSql, remaining: readonly Prepared[]): { wave: Prepared[]; later: Prepared[]; conditions: IdentifierCondition[]; rows: Promise<IdentifierMatch[]> } {
  const wave: Prepared[] = [];
  const later: Prepared[] = [];
  const blocked = new Set<string>();
  for (const p of remaining) {
    const free = ![...p.keys].some((k) => blocked.has(k));
    (free ? wave : later).push(p);
    for (const k of p.keys) blocked.add(k);
  }
  const conditions = wave.flatMap((p) => p.conds.map(conditionOf));
  return { wave, later, conditions, rows: conditions.length ? findResourcesByIdentifier(tx, conditions) : Promise.resolve([]) };
}

/**
 * Saves several messages' transaction Bundles in the caller's transaction with the same outcome,
 * Bundle by Bundle, as saveTransactionBundle called for each in order — in a few multi-row statements:
 *
 * - one statement takes the identifier locks of every Bundle (sorted, so replicas never deadlock);
 * - the Bundles go in waves: a wave holds Bundles that share no identifier (conditions and the
 *   identifiers their resources carry) and no resource id, so none can see another's writes and
 *   their order does not matter; a Bundle sharing one with an earlier Bundle waits for a later wave.
 *   Per wave one lookup statement (every condition) and one upsert statement (every resource).
 *   Messages of different patients share nothing: a batch is usually one wave.
 *
 * A Bundle the store refuses (invalid, a condition matching several resources: 412) is refused
 * alone, with nothing of it written; the others are saved. With `maxWaves`, the Bundles a later
 * wave would take are deferred (nothing of them written). Store errors throw (the caller rolls back).
 */
export async function saveTransactionBundles(tx: TransactionSql, items: readonly BundleItem[], opts: { now?: Date; maxWaves?: number } = {}): Promise<BundleSaveResult[]> {
  const results: BundleSaveResult[] = new Array(items.length);
  const refuse = (index: number, e: unknown): void => {
    const r = bundleRefusal(e);
    if (!r) throw e;
    results[index] = { ok: false, code: r.code, reason: r.reason };
  };
  let remaining: Prepared[] = [];
  items.forEach((item, i) => {
    try {
      remaining.push(prepare(item, i));
    } catch (e) {
      refuse(i, e);
    }
  });
  // JIT compiling the batch's lookup (a nested loop over hundreds of index probes, costed high)
  // took 100 ms where running it takes a few: not for these statements. Sent with the locks and the
  // first wave's lookup, in one round trip: the transaction's connection runs them in order, so
  // the lookup reads only once every lock is held.
  let next = remaining.length > 0 && (opts.maxWaves === undefined || opts.maxWaves > 0) ? nextWave(tx, remaining) : undefined;
  await Promise.all([tx`SET LOCAL jit = off`, lockResourceIdentifiers(tx, remaining.flatMap((p) => p.conds.map(conditionOf))), next?.rows]);
  const now = opts.now ?? new Date();
  let waves = 0;
  while (remaining.length > 0) {
    if (opts.maxWaves !== undefined && waves >= opts.maxWaves) {
      // the rest share identifiers with Bundles saved above: left for a later transaction, so this
      // one (which holds the batch's identifier locks) stays short
      for (const p of remaining) results[p.index] = { ok: false, deferred: true };
      break;
    }
    waves++;
    const { wave, later, conditions, rows: pending } = next ?? nextWave(tx, remaining);
    next = undefined;
    const rows = await pending;
    // the stored digest of each resource the lookup found: a write of the same content is skipped
    // (saveResources would leave the row alone; skipped, it is neither sent nor locked)
    const storedDigest = new Map<string, string>();
    for (const r of rows) if (r.digest !== null) storedDigest.set(`${conditions[r.condition]!.type}/${r.id}`, r.digest);
    const groups: { resources: Resource[]; inboxId: string | null }[] = [];
    const saved: { p: Prepared; finalIds: string[] }[] = [];
    const taken = new Set<string>(); // resource `Type/id`s written by earlier Bundles of this wave
    let offset = 0;
    for (const p of wave) {
      const from = offset;
      offset += p.conds.length;
      try {
        const mine = rows.filter((r) => r.condition >= from && r.condition < from + p.conds.length);
        const { finalIds, resources } = resolvePlans(p.item.bundle, p.plans, collectMatches(p.conds, mine, from));
        const writes = resources.map((r) => `${r.resourceType}/${r.id!}`);
        if (writes.some((w) => taken.has(w))) {
          // two conditions matched one stored resource: written in a later wave, after the earlier Bundle
          later.push(p);
          for (const w of writes) taken.add(w);
          continue;
        }
        for (const w of writes) taken.add(w);
        // a resource with no stored digest (new) is digested once, when the store seals it
        const changed = (r: Resource, i: number): boolean => {
          const stored = storedDigest.get(writes[i]!);
          return stored === undefined || stored !== resourceDigest(r);
        };
        groups.push({ resources: resources.filter(changed), inboxId: p.item.inboxId });
        saved.push({ p, finalIds });
      } catch (e) {
        refuse(p.index, e);
      }
    }
    await saveResourceGroups(tx, groups, { now });
    for (const s of saved) results[s.p.index] = { ok: true, savedIds: s.finalIds };
    remaining = later.sort((a, b) => a.index - b.index);
  }
  return results;
}
