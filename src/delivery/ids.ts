// Deterministic ids: an effect redone after a crash gets the same id, so its unique key and the
// receiver's deduplication (Standard Webhooks `webhook-id`) both recognise it.
import { createHash } from 'node:crypto';

/** A UUID-shaped id (RFC 9562 version 8: custom) from SHA-256 of the key's parts. */
export const hashId = (...parts: readonly (string | number)[]): string => {
  const h = createHash('sha256').update(parts.join('\u001f')).digest('hex');
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

/** One notification per (request, kind, seq, recipient): also the FHIR Communication id and the webhook-id. */
export const notificationId = (requestId: string, kind: string, seq: number, recipient: string): string =>
  hashId('notification', requestId, kind, seq, recipient);

export const digestId = (recipient: string, digestAt: number): string => hashId('digest', recipient, digestAt);

export const replyId = (requestId: string, practitioner: string, at: number): string => hashId('reply', requestId, practitioner, at);
