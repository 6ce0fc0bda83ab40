// What leaves the gateway on push and webhooks (pure): ids, priority, step and a link — no PHI.
// No patient name, MRN, birth date, phone number, note or result value ever goes to a push service
// or a paging/SMS/voice gateway; the provider's app fetches the content with the provider's token.
import type { ClaimedAttempt } from '../store/index.js';

export interface NotificationPayload {
  readonly type: 'notification' | 'renotify' | 'forward' | 'digest';
  /** the message (CommunicationRequest id); null for a digest */
  readonly messageId: string | null;
  /** the notification (FHIR Communication id), or the digest id; the same as `webhook-id` */
  readonly notificationId: string;
  readonly priority: string;
  /** the escalation step (a re-notification or forward carries the step the run was at); null for a digest */
  readonly step: number | null;
  /** the practitioner notified (schedule id) */
  readonly practitioner: string;
  /** where the app reads the content, with the provider's token */
  readonly link: string;
  /** a digest's messages */
  readonly messageIds?: readonly string[];
}

const TYPES = { step: 'notification', renotify: 'renotify', forward: 'forward' } as const;

export function payloadOf(a: ClaimedAttempt, publicBaseUrl: string): NotificationPayload {
  const base = publicBaseUrl.replace(/\/+$/, '');
  if (a.digest_id !== null) {
    return {
      type: 'digest', messageId: null, notificationId: a.digest_id, priority: 'routine', step: null, practitioner: a.recipient,
      link: `${base}/me/messages?status=open`, messageIds: a.digest_request_ids ?? [],
    };
  }
  return {
    type: TYPES[a.kind ?? 'step'],
    messageId: a.request_id,
    notificationId: a.notification_id!,
    priority: a.priority ?? 'routine',
    step: a.kind === 'step' ? a.seq : a.run_step,
    practitioner: a.recipient,
    link: `${base}/me/messages/${encodeURIComponent(a.request_id ?? '')}`,
  };
}
