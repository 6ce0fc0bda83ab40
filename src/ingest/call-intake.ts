// Call notes from operators (POST /calls, the console): validated, stored in the inbox like any
// message (so the same worker maps them), deduplicated by the client's Idempotency-Key. A key names
// one request: the same key with the same body is a duplicate (200, nothing new); with another body
// it is refused (409), never answered as a duplicate — the second note would be lost — and never
// stored beside the first (the key would then name two calls).
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { callNoteSchema, type CallNote } from '../calls/index.js';
import type { Metrics } from '../obs/index.js';
import type { InboxWriter } from './inbox-writer.js';
import { conflict } from '../outcome/index.js';
import { isCallKeyConflict } from '../store/index.js';
import { bytesContentHash } from './content-hash.js';
import { callOrderFields } from './order-fields.js';
import type { SiteConfig } from '../mapping/index.js';

export type CallIntakeResult =
  | { ok: true; id: string; duplicate: boolean }
  | { ok: false; issues: { path: string; message: string }[] };

/** Idempotency keys are opaque client strings; bounded and printable. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,128}$/;

export function isValidIdempotencyKey(k: string): boolean {
  return IDEMPOTENCY_KEY.test(k);
}

/** A field name shown back only when it looks like one: an unknown key is request text. */
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;

/**
 * A schema issue as a path and a message that quote nothing of the note: zod's own text for an
 * unknown key names the key ("Unrecognized key: …"), so each unknown key becomes its own issue, at its
 * path when its name looks like a field name.
 */
function issueOf(i: z.core.$ZodIssue): { path: string; message: string }[] {
  const path = i.path.map(String).join('.');
  if (i.code !== 'unrecognized_keys') return [{ path, message: i.message }];
  // FHIRPath `$this`: the note itself, when the unknown key is at its top level
  return i.keys.map((k) => (FIELD_NAME.test(k) ? { path: path ? `${path}.${k}` : k, message: 'unknown field' } : { path: path || '$this', message: 'unknown field (name not shown)' }));
}

export async function receiveCall(writer: InboxWriter, metrics: Metrics, body: unknown, opts: { idempotencyKey?: string; submitter: string; peer: string | null; triage?: SiteConfig; organization?: string }): Promise<CallIntakeResult> {
  metrics.received.inc({ source: 'calls', type: 'CALL' });
  const parsed = callNoteSchema.safeParse(body);
  if (!parsed.success) {
    metrics.rejected.inc({ source: 'calls', type: 'CALL', code: 'ERR_CALL_INVALID' });
    return { ok: false, issues: parsed.error.issues.flatMap(issueOf) };
  }
  const note: CallNote = parsed.data;
  // the validated note re-serialised: key order and spacing of the request do not make it another body
  const raw = Buffer.from(JSON.stringify(note), 'utf8');
  let r;
  try {
    r = await writer.accept({
      source: 'calls',
      // dedupe scope: the submitting principal; without a key every POST is a new call
      senderApp: 'calls', senderFacility: opts.submitter.slice(0, 200), controlId: opts.idempotencyKey ?? randomUUID(),
      messageType: 'CALL', version: null, charset: 'UNICODE UTF-8', raw,
      peer: opts.peer, ackMode: 'none', ack: null, contentHash: bytesContentHash(raw),
      ...callOrderFields(note, opts.triage),
      // the submitter's organisation (an operator's answering service); none: the default one
      ...(opts.organization !== undefined ? { organization: opts.organization } : {}),
    });
  } catch (e) {
    if (!isCallKeyConflict(e)) throw e;
    metrics.rejected.inc({ source: 'calls', type: 'CALL', code: 'ERR_IDEMPOTENCY_KEY_REUSED' });
    throw conflict('Idempotency-Key was already used for a different request body; use a new key for a new call', { code: 'ERR_IDEMPOTENCY_KEY_REUSED' });
  }
  (r.duplicate ? metrics.duplicates : metrics.accepted).inc({ source: 'calls', type: 'CALL' });
  return { ok: true, id: r.id, duplicate: r.duplicate };
}
