// The encode/decode points of PHI at rest (README "Security and PHI"): every column that holds patient
// data is written through these and read back through them, so the rest of src/store, and everything
// above it, sees plaintext while the database holds only envelopes (src/crypto: AES-256-GCM under the
// active data key) and keyed hashes. Each envelope's additional authenticated data is its row's
// identity, so a value copied into another row does not open.
//
//   inbox.raw          the message bytes; AAD: the dedupe key (sender, control id, content hash),
//                      known before the group-commit insert assigns the id
//   rejected.raw       refused input; AAD: the row id (taken from its sequence before the insert)
//   fhir_resource.body the resource JSON without meta.versionId/lastUpdated (those are the row's
//                      version_id and last_updated, put back on read); AAD: type and id.
//                      content_digest: a keyed digest of the same JSON text, so an unchanged resource is
//                      still found unchanged in SQL (the envelope differs on every write)
//   fhir_resource.identifiers  'H(system|value)|H(value)': the same two-part shape as the clear
//                      'system|value', so both GIN indexes (migration 010) serve conditional creates;
//                      a UUID URN value (an opaque id) is stored as its bytes (crypto/opaque.ts)
//
// Values stored before encryption (no envelope: their first byte is not 0x00) are read as they are
// until `encryptExisting` (phi-keys.ts) has converted them, which the gateway runs at start.
import type { Resource } from 'fhir/r4.js';
import { isEnvelope, isOpaqueId, opaqueKey, openPhi, phiKeyring, URN_SYSTEM } from '../crypto/index.js';

const SEP = '\u0000';

/** The AAD of an inbox row's raw bytes: its dedupe key. */
export function inboxAad(r: { sender_app: string; sender_facility: string; control_id: string; content_hash: Buffer }): string {
  return ['inbox', r.sender_app, r.sender_facility, r.control_id, r.content_hash.toString('hex')].join(SEP);
}

export const rejectedAad = (id: string): string => ['rejected', id].join(SEP);
export const resourceAad = (type: string, id: string): string => ['fhir_resource', type, id].join(SEP);

/** Seals bytes under the active key; an empty value (a purged message) stays empty. */
export function sealBytes(plain: Buffer, aad: string): Buffer {
  return plain.length === 0 ? plain : phiKeyring().seal(plain, aad);
}

/** Opens an envelope; bytes stored before encryption (and an empty, purged value) come back as they are. */
export function openBytes(stored: Buffer, aad: string): Buffer {
  return isEnvelope(stored) ? openPhi(stored, aad) : stored;
}

/** The resource as it is sealed: meta.versionId and meta.lastUpdated belong to the row, not the body. */
function withoutVersionMeta(resource: Resource): Resource {
  if (!resource.meta || (resource.meta.versionId === undefined && resource.meta.lastUpdated === undefined)) return resource;
  const { versionId: _v, lastUpdated: _l, ...meta } = resource.meta;
  const out = { ...resource, meta };
  if (Object.keys(meta).length === 0) delete (out as { meta?: unknown }).meta;
  return out;
}

const resourceText = (resource: Resource): Buffer => Buffer.from(JSON.stringify(withoutVersionMeta(resource)), 'utf8');

/**
 * The sealed body of a resource and its keyed content digest (column content_digest), both of one
 * JSON text. The digest follows the text, key order included: the mapper builds a message's
 * resources in one order every time, so a replayed message finds its resources unchanged; content
 * that differs only in key order would be a new version, never a lost one. (Sorting keys first
 * tripled the cost of sealing a mapped ORU: 11 µs of the ~35 µs per resource measured with
 * `npm run bench -- phi`.)
 */
export function sealResource(type: string, id: string, resource: Resource): { body: Buffer; digest: Buffer } {
  const text = resourceText(resource);
  const k = phiKeyring();
  return { body: k.seal(text, resourceAad(type, id)), digest: k.digest('fhir_resource', text) };
}

/** The keyed content digest of a resource, hex: what content_digest holds once it is saved (sealResource's digest). */
export const resourceDigest = (resource: Resource): string => phiKeyring().digest('fhir_resource', resourceText(resource)).toString('hex');

/** A stored row's resource: the opened body with the row's version and time as meta, or (stored before encryption) the clear jsonb. */
export function openResource(r: { resource_type: string; id: string; version_id: number; last_updated: Date; body: Buffer | null; resource?: unknown }): Resource {
  if (r.body === null) {
    if (r.resource === null || r.resource === undefined) throw new Error(`fhir_resource ${r.resource_type}/${r.id} has no body`);
    return r.resource as Resource;
  }
  const resource = JSON.parse(openPhi(r.body, resourceAad(r.resource_type, r.id)).toString('utf8')) as Resource;
  // FHIR R4 resource.html#Meta: versionId and lastUpdated are the server's, from the row
  resource.meta = { ...resource.meta, versionId: String(r.version_id), lastUpdated: r.last_updated.toISOString() };
  return resource;
}

/** A clear entry of the URN system: 'urn:ietf:rfc:3986|'. */
const URN_PREFIX = `${URN_SYSTEM}|`;

/** The part of a clear identifier entry after its first '|' (fhir_identifier_values reads the stored form alike). */
const valueOf = (entry: string): string => entry.slice(entry.indexOf('|') + 1);

/** A value under any system, as stored: the second part of every entry (a UUID URN's own bytes, crypto/opaque.ts). */
export const identifierValueKey = (value: string): string => (isOpaqueId(value) ? opaqueKey(value) : phiKeyring().searchHash('identifier-value', value));

/**
 * A clear 'system|value' entry as stored: 'H(system|value)|H(value)'. A UUID URN under the URN system
 * (the mapper's synthetic identifiers) is '~K|~K', K its bytes (crypto/opaque.ts): no hash is computed
 * for it. Neither part can be the other form's: a hash is 16 base64url characters, never a '~'.
 */
export const identifierEntry = (entry: string): string => {
  const value = valueOf(entry);
  if (isOpaqueId(value) && entry.startsWith(URN_PREFIX)) {
    const key = opaqueKey(value);
    return `${key}|${key}`;
  }
  return `${phiKeyring().searchHash('identifier', entry)}|${identifierValueKey(value)}`;
};
