// UUID URNs in the columns that otherwise hold keyed hashes (the `identifiers` column and the
// `identifier` search entries). A `urn:uuid:` identifier is an opaque id: random, or, for the
// mapper's synthetic identifiers (system `urn:ietf:rfc:3986`), a keyed MAC of the business key under
// the installation's secret, as the resource ids stored in clear beside it are. A keyed hash of it
// hides nothing more, and cost two HMACs per entry on every write and lookup: an ORU^R01 with 15
// results carries 17 of them (each Observation, its Encounter and its CommunicationRequest). Such a
// value is stored as its 16 bytes instead, in base64url after a '~' (23 characters for 45: the
// search entries stay as short as the hashes, whose '#' or 16 base64url characters it cannot be).
// Lower case only, as the mapper and RFC 4122 write them; any other form is hashed like any value.
const UUID_URN = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The system of URN values (FHIR R4 datatypes.html#Identifier): its UUID URNs need no system part of their own. */
export const URN_SYSTEM = 'urn:ietf:rfc:3986';

/** Whether an identifier value is a UUID URN (stored as opaqueKey, not hashed). */
export const isOpaqueId = (value: string): boolean => value.length === 45 && UUID_URN.test(value);

/** A UUID URN as stored: '~' and its 16 bytes in base64url. Only for values isOpaqueId accepts. */
export const opaqueKey = (value: string): string =>
  `~${Buffer.from(value.slice(9, 17) + value.slice(18, 22) + value.slice(23, 27) + value.slice(28, 32) + value.slice(33), 'hex').toString('base64url')}`;
