// Reading the keyring from where the installation keeps it (the I/O edge of src/crypto):
//   PHI_KEYS         the key document itself, in the environment (a secret store injects it)
//   PHI_KEY_FILE     a key document on disk; default DATA_DIR/keys/phi-keys.json, made on first start (0600)
//   PHI_KMS_MODULE   a module exporting `unwrapKey({ id, wrapped })` -> 32 bytes: the document then holds
//                    wrapped keys (`"wrapped": true`), each unwrapped once at start by the KMS
// The key document (JSON):
//   { "version": 1, "active": "k1", "keys": { "k1": "<base64 32 bytes>", ... }, "search": "<base64 >= 32 bytes>" }
// A document that cannot be read or is malformed stops the start (fail closed); nothing of its content
// is put in the error.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { DATA_KEY_BYTES, KEY_ID } from './envelope.js';
import { PhiCryptoError } from './errors.js';
import { Keyring, type KeyringInit } from './keyring.js';

const keyDocument = z.object({
  version: z.literal(1),
  active: z.string().regex(KEY_ID),
  keys: z.record(z.string().regex(KEY_ID), z.string().min(1)),
  search: z.string().min(1),
  /** the keys (and the search key) are wrapped by a KMS: PHI_KMS_MODULE unwraps them */
  wrapped: z.boolean().optional(),
});
export type KeyDocument = z.infer<typeof keyDocument>;

/**
 * The KMS hook: given a wrapped key (the bytes the document holds, base64-decoded) and its id
 * ('search' for the search key), returns the 32 raw key bytes. Plug one in with PHI_KMS_MODULE, a
 * module whose `unwrapKey` export is this function (AWS KMS Decrypt, GCP KMS decrypt, Vault transit
 * decrypt ...). Called once per key at start; the unwrapped keys live only in this process's memory.
 */
export type UnwrapKey = (k: { id: string; wrapped: Buffer }) => Promise<Buffer>;

export interface KeySourceSettings {
  PHI_KEYS?: string | undefined;
  PHI_KEY_FILE?: string | undefined;
  PHI_KMS_MODULE?: string | undefined;
  DATA_DIR: string;
}

/** Where the keys come from, for `keys rotate` (it can add a key only to a file it may write) and for messages. */
export type KeySource = { kind: 'env' } | { kind: 'file'; path: string };

export const defaultKeyFile = (dataDir: string): string => path.join(dataDir, 'keys', 'phi-keys.json');

export function keySourceOf(s: KeySourceSettings): KeySource {
  if (s.PHI_KEYS) return { kind: 'env' };
  return { kind: 'file', path: s.PHI_KEY_FILE ?? defaultKeyFile(s.DATA_DIR) };
}

const invalid = (where: string, why: string) => new PhiCryptoError('ERR_PHI_KEYS_INVALID', `${where}: ${why}`);

export function parseKeyDocument(text: string, where: string): KeyDocument {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw invalid(where, 'not JSON');
  }
  const r = keyDocument.safeParse(json);
  // the path of the problem, never the value there
  if (!r.success) throw invalid(where, `malformed key document at ${r.error.issues.map((i) => i.path.join('.') || '(root)').join(', ')}`);
  if (!(r.data.active in r.data.keys)) throw invalid(where, 'the active key is not among the keys');
  return r.data;
}

function readDocument(s: KeySourceSettings, source: KeySource): KeyDocument | undefined {
  if (source.kind === 'env') return parseKeyDocument(s.PHI_KEYS!, 'PHI_KEYS');
  if (!existsSync(source.path)) return undefined;
  let text: string;
  try {
    text = readFileSync(source.path, 'utf8');
  } catch {
    throw invalid('PHI_KEY_FILE', 'cannot be read');
  }
  return parseKeyDocument(text, 'PHI_KEY_FILE');
}

async function loadUnwrap(modulePath: string): Promise<UnwrapKey> {
  let mod: { unwrapKey?: unknown };
  try {
    mod = (await import(pathToFileURL(path.resolve(modulePath)).href)) as { unwrapKey?: unknown };
  } catch {
    throw invalid('PHI_KMS_MODULE', 'cannot be loaded');
  }
  if (typeof mod.unwrapKey !== 'function') throw invalid('PHI_KMS_MODULE', 'exports no unwrapKey function');
  return mod.unwrapKey as UnwrapKey;
}

/**
 * CSPRNG bytes drawn 4 KiB at a time and handed out once each: an IV per sealed value costs a slice
 * instead of a randomBytes call (~3 µs each measured, as much as a fifth of sealing a resource).
 */
export function pooledRandom(): (n: number) => Buffer {
  let pool = Buffer.alloc(0);
  let at = 0;
  return (n: number) => {
    if (n > 4096) return randomBytes(n);
    if (at + n > pool.length) { pool = randomBytes(4096); at = 0; }
    const out = Buffer.from(pool.subarray(at, at + n)); // a copy: the pool's bytes are never handed out twice
    at += n;
    return out;
  };
}

/** The raw keys of a keyring: what a worker thread of this process installs its own Keyring from (the bytes never leave the process). */
export type KeyMaterial = Omit<KeyringInit, 'random'>;

/** The keyring of a document (its keys unwrapped by the KMS hook when the document says so). */
export async function keyringFromDocument(doc: KeyDocument, opts: { unwrap?: UnwrapKey; random?: (n: number) => Buffer } = {}): Promise<Keyring> {
  return new Keyring({ ...(await keyMaterialFromDocument(doc, opts)), random: opts.random ?? pooledRandom() });
}

/**
 * The key material of the configured source, read again (unwrapped by the KMS module when wrapped;
 * no key file is made): a thread of the gateway installs its keyring from it. Fails closed like loadKeys.
 */
export async function loadKeyMaterial(s: KeySourceSettings): Promise<KeyMaterial> {
  const doc = readDocument(s, keySourceOf(s));
  if (!doc) throw new PhiCryptoError('ERR_PHI_KEYS_MISSING', 'no PHI keys found (PHI_KEYS or PHI_KEY_FILE)');
  const unwrap = s.PHI_KMS_MODULE ? await loadUnwrap(s.PHI_KMS_MODULE) : undefined;
  return keyMaterialFromDocument(doc, unwrap ? { unwrap } : {});
}

/** The raw key bytes of a document (unwrapped by the KMS hook when the document says so). */
async function keyMaterialFromDocument(doc: KeyDocument, opts: { unwrap?: UnwrapKey } = {}): Promise<KeyMaterial> {
  const raw = async (id: string, b64: string): Promise<Buffer> => {
    const bytes = Buffer.from(b64, 'base64');
    if (!doc.wrapped) return bytes;
    if (!opts.unwrap) throw invalid('PHI_KMS_MODULE', 'the key document is wrapped but no KMS module is configured');
    try {
      return await opts.unwrap({ id, wrapped: bytes });
    } catch {
      throw invalid('PHI_KMS_MODULE', `unwrapping key ${id} failed`);
    }
  };
  const keys = await Promise.all(Object.entries(doc.keys).map(async ([id, b64]) => ({ id, key: await raw(id, b64) })));
  return { keys, active: doc.active, searchKey: await raw('search', doc.search) };
}

/** A fresh document: one data key and the search key, 256 bits each from the system's CSPRNG. */
export function newKeyDocument(now: Date, random: (n: number) => Buffer = randomBytes): KeyDocument {
  const id = keyIdAt(now, []);
  return { version: 1, active: id, keys: { [id]: random(DATA_KEY_BYTES).toString('base64') }, search: random(32).toString('base64') };
}

/** 'k20261205' (its day), or 'k20261205-2', -3 ... when the day's id is taken. */
export function keyIdAt(now: Date, taken: readonly string[]): string {
  const base = `k${now.toISOString().slice(0, 10).replace(/-/g, '')}`;
  let id = base;
  for (let n = 2; taken.includes(id); n++) id = `${base}-${n}`;
  return id;
}

/** Writes the document with mode 0600, atomically (a temporary file renamed over the old one). */
export function writeKeyFile(file: string, doc: KeyDocument): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

export interface LoadedKeys {
  keyring: Keyring;
  source: KeySource;
  /** true when this load made the key file (first start) */
  created: boolean;
  document: KeyDocument;
}

/**
 * Loads the keyring from its source. `mayCreate`: with no PHI_KEYS and no key file, make the file
 * (the first start of an installation); false when the database already holds encrypted values (a
 * new key could not open them, so the start fails closed instead: ERR_PHI_KEYS_MISSING).
 */
export async function loadKeys(s: KeySourceSettings, opts: { mayCreate: boolean; now: Date }): Promise<LoadedKeys> {
  const source = keySourceOf(s);
  let doc = readDocument(s, source);
  let created = false;
  if (!doc) {
    if (source.kind !== 'file' || !opts.mayCreate) {
      throw new PhiCryptoError('ERR_PHI_KEYS_MISSING', 'no PHI keys found (PHI_KEYS or PHI_KEY_FILE) and the database holds encrypted data: restore the key file');
    }
    doc = newKeyDocument(opts.now);
    writeKeyFile(source.path, doc);
    created = true;
  }
  const unwrap = s.PHI_KMS_MODULE ? await loadUnwrap(s.PHI_KMS_MODULE) : undefined;
  return { keyring: await keyringFromDocument(doc, unwrap ? { unwrap } : {}), source, created, document: doc };
}

/** `keys rotate` on a key file: a new data key, made active; the old keys stay. Returns the new document. */
export function addKeyToFile(file: string, now: Date, random: (n: number) => Buffer = randomBytes): KeyDocument {
  const doc = parseKeyDocument(readFileSync(file, 'utf8'), 'PHI_KEY_FILE');
  if (doc.wrapped) throw invalid('PHI_KEY_FILE', 'wrapped keys are added through the KMS, not by switchboard');
  const id = keyIdAt(now, Object.keys(doc.keys));
  const next: KeyDocument = { ...doc, active: id, keys: { ...doc.keys, [id]: random(DATA_KEY_BYTES).toString('base64') } };
  writeKeyFile(file, next);
  return next;
}

/**
 * The keyring read again from its source, synchronously (a reload after `keys rotate`): a key file
 * that is not KMS-wrapped. Undefined for PHI_KEYS (a process's environment does not change) and for
 * wrapped keys (unwrapping is asynchronous: restart the gateways after adding a KMS key).
 */
export function reloadKeysSync(s: KeySourceSettings): Keyring | undefined {
  const source = keySourceOf(s);
  if (source.kind !== 'file') return undefined;
  try {
    const doc = readDocument(s, source);
    if (!doc || doc.wrapped) return undefined;
    const keys = Object.entries(doc.keys).map(([id, b64]) => ({ id, key: Buffer.from(b64, 'base64') }));
    return new Keyring({ keys, active: doc.active, searchKey: Buffer.from(doc.search, 'base64'), random: pooledRandom() });
  } catch {
    return undefined;
  }
}
