// Reference handling: normalising literal references to `Type/id` (FHIR R4 references.html#literal)
// and rewriting a transaction Bundle's `urn:uuid:` placeholders (http.html#trules).
import { FHIR_ID } from './resource-types.js';

const LITERAL = /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/;

/**
 * `Patient/1`, `https://ehr.example/fhir/Patient/1` and `Patient/1/_history/2` all become `Patient/1`;
 * anything else (urn:uuid:, #contained, a bare id) is returned unchanged.
 */
export function normalizeReference(reference: string): string {
  if (reference.startsWith('urn:') || reference.startsWith('#')) return reference;
  const m = LITERAL.exec(reference);
  return m ? `${m[1]}/${m[2]}` : reference;
}

/** `Type/id` split; undefined when it is not one. */
export function parseTypedReference(reference: string): { type: string; id: string } | undefined {
  const slash = reference.indexOf('/');
  if (slash <= 0) return undefined;
  const type = reference.slice(0, slash);
  const id = reference.slice(slash + 1);
  return /^[A-Z][A-Za-z]+$/.test(type) && FHIR_ID.test(id) ? { type, id } : undefined;
}

/**
 * `value` with every `reference` string found in `map` replaced. Only the `reference` element of a
 * Reference is touched (FHIR R4 references.html#Reference), never text. `value` is never modified:
 * the objects and arrays on the way to a replaced reference are copied, the rest are shared with it
 * (a mapped Observation has a few references among dozens of objects; copying them all was most of
 * this function's time and of the garbage it left).
 */
export function rewriteReferences<T>(value: T, map: ReadonlyMap<string, string>): T {
  return walk(value, map) as T;
}

function walk(value: unknown, map: ReadonlyMap<string, string>): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      const w = walk(v, map);
      if (w !== v) (out ??= value.slice())[i] = w;
    }
    return out ?? value;
  }
  const o = value as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  for (const k in o) {
    if (!Object.hasOwn(o, k)) continue;
    const v = o[k];
    const w = k === 'reference' && typeof v === 'string' ? (map.get(v) ?? v) : walk(v, map);
    if (w !== v) (out ??= { ...o })[k] = w;
  }
  return out ?? value;
}

/** Every `reference` string in `value` (to find unresolved urn:uuid: placeholders). */
export function collectReferences(value: unknown, into: string[] = []): string[] {
  if (typeof value !== 'object' || value === null) return into;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) collectReferences(value[i], into);
    return into;
  }
  const o = value as Record<string, unknown>;
  for (const k in o) {
    if (!Object.hasOwn(o, k)) continue;
    const v = o[k];
    if (k === 'reference' && typeof v === 'string') into.push(v);
    else collectReferences(v, into);
  }
  return into;
}
