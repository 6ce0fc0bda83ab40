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

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Returns a deep copy of `value` where every `reference` string found in `map` is replaced. Only the
 * `reference` element of a Reference is touched (FHIR R4 references.html#Reference), never text.
 */
export function rewriteReferences<T>(value: T, map: ReadonlyMap<string, string>): T {
  return walk(value, map) as T;
}

function walk(value: unknown, map: ReadonlyMap<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => walk(v, map));
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = k === 'reference' && typeof v === 'string' ? (map.get(v) ?? v) : walk(v, map);
  }
  return out;
}

/** Every `reference` string in `value` (to find unresolved urn:uuid: placeholders). */
export function collectReferences(value: unknown, into: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) collectReferences(v, into);
  else if (isObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'reference' && typeof v === 'string') into.push(v);
      else collectReferences(v, into);
    }
  }
  return into;
}
