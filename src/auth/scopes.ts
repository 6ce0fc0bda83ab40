// SMART v2 scopes (`system/Communication.rs`, `user/*.cruds`) plus the gateway's own operation
// scopes (`hl7.write`, `calls.write`, `inbox.read`, `inbox.write`, `admin`). Deny by default.

export type Access = 'c' | 'r' | 'u' | 'd' | 's';

/** True when one of the granted scopes allows `access` on FHIR `resourceType`. */
export function allowsFhir(scopes: readonly string[], resourceType: string, access: Access): boolean {
  return scopes.some((s) => {
    const m = /^(system|user|patient)\/([A-Za-z]+|\*)\.([cruds]+|\*|read|write)$/.exec(s);
    if (!m) return false;
    const [, , type, perms] = m;
    if (type !== '*' && type !== resourceType) return false;
    // SMART v1 spellings: read = rs, write = cud, * = all
    const granted = perms === '*' ? 'cruds' : perms === 'read' ? 'rs' : perms === 'write' ? 'cud' : perms!;
    return granted.includes(access);
  });
}

/** True when the operation scope (or `admin`) was granted. */
export function allowsOperation(scopes: readonly string[], operation: string): boolean {
  return scopes.includes(operation) || scopes.includes('admin');
}

/** What `switchboard token` grants unless told otherwise: everything a first-time user tries. */
export const DEFAULT_LOCAL_SCOPES = ['admin', 'system/*.rs'];
