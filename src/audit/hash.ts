// The audit chain's hashing, pure: each row's hash is SHA-256 — or HMAC-SHA256 under AUDIT_HMAC_KEY —
// over a canonical encoding of its fields and the previous row's hash. Changing, removing, inserting
// or reordering a row breaks a link; with the HMAC key, nobody without it can compute a consistent
// replacement chain. Node's crypto (no dependency).
import { createHash, createHmac } from 'node:crypto';
import type { AuditRow } from '../store/index.js';

/** The prev_hash of the first row ever appended (and of an empty chain's head). */
export const GENESIS_HASH = '0'.repeat(64);

/** What the caller says happened (the fields an append adds: seq, mac, hashes). */
export interface AuditEventInput {
  at: Date;
  actor: string;
  actorKind: ActorKind;
  action: AuditAction;
  type: string;
  entityType?: string | null;
  entityIds?: readonly string[];
  patient?: string | null;
  outcome: 'success' | 'failure';
  outcomeCode?: string | null;
  source?: string | null;
  requestId?: string | null;
}

export type ActorKind = 'user' | 'practitioner' | 'system' | 'sender' | 'cli';
/** FHIR R4 AuditEvent.action (audit-event-action): Create, Read, Update, Delete, Execute. */
export type AuditAction = 'C' | 'R' | 'U' | 'D' | 'E';

/** A row as stored (src/store's AuditRow). `at` is kept to the millisecond, so it reads back exactly as it was hashed. */
export type AuditRecord = AuditRow;

/** An HMAC key and its id (the first 16 hex digits of SHA-256 of the key): rows name the key that sealed them. */
export interface ChainKey {
  id: string;
  secret: Buffer;
}

export function chainKey(secret: Buffer): ChainKey {
  return { id: createHash('sha256').update(secret).digest('hex').slice(0, 16), secret };
}

export const macOf = (key: ChainKey | undefined): string => (key ? `hmac-sha256:${key.id}` : 'sha256');

/**
 * The canonical encoding: a JSON array of the fields in a fixed order (JSON.stringify escapes strings
 * one way only, so equal fields give equal bytes), version-tagged so the encoding can evolve.
 */
export function canonical(r: Omit<AuditRecord, 'hash'>): string {
  return JSON.stringify([
    'sb-audit-1', r.seq, r.at.toISOString(), r.actor, r.actorKind, r.action, r.type, r.entityType, r.entityIds,
    r.patient, r.outcome, r.outcomeCode, r.source, r.requestId, r.mac, r.prevHash,
  ]);
}

export function hashRecord(r: Omit<AuditRecord, 'hash'>, key: ChainKey | undefined): string {
  const text = canonical(r);
  return key ? createHmac('sha256', key.secret).update(text).digest('hex') : createHash('sha256').update(text).digest('hex');
}

/** Field limits: an audit row holds ids and codes, never free text (and never an unbounded one). */
const MAX_TEXT = 256;
const MAX_IDS = 200;
const clip = (s: string | null | undefined): string | null => (s == null ? null : s.slice(0, MAX_TEXT));

/** Chains `events` after the head (seq, hash): each row's prev_hash is the one before's hash. */
export function chainRecords(head: { seq: string; hash: string }, events: readonly AuditEventInput[], key: ChainKey | undefined): AuditRecord[] {
  let seq = BigInt(head.seq);
  let prev = head.hash;
  const mac = macOf(key);
  return events.map((e) => {
    seq += 1n;
    const base: Omit<AuditRecord, 'hash'> = {
      seq: seq.toString(), at: new Date(e.at.getTime()), actor: e.actor.slice(0, MAX_TEXT), actorKind: e.actorKind, action: e.action, type: e.type.slice(0, 64),
      entityType: clip(e.entityType), entityIds: (e.entityIds ?? []).slice(0, MAX_IDS).map((i) => i.slice(0, MAX_TEXT)), patient: clip(e.patient),
      outcome: e.outcome, outcomeCode: clip(e.outcomeCode), source: clip(e.source), requestId: clip(e.requestId), mac, prevHash: prev,
    };
    const hash = hashRecord(base, key);
    prev = hash;
    return { ...base, hash };
  });
}
