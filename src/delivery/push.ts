// Web Push channel (RFC 8030, VAPID RFC 8292, payload encryption RFC 8291) through the `web-push`
// library. The VAPID key pair lives in the database, made by whichever replica starts first: every
// replica signs with the key the browsers subscribed with (a key per data folder would make a
// subscription registered through one replica unusable from the others).
import webpush from 'web-push';
import { deletePushSubscription, listPushSubscriptions, vapidKeys, type Sql } from '../store/index.js';
import type { SendResult } from './webhook.js';

export interface PushSettings {
  /** VAPID `sub`: a mailto: or https: URL where the push service can reach the operator */
  readonly subject: string;
  readonly timeoutMs: number;
}

export interface PushChannel {
  readonly publicKey: string;
  send(practitioner: string, body: string, urgent: boolean): Promise<SendResult & { removed: number }>;
}

/** Loads (or makes, once for all replicas) the VAPID keys. */
export async function openPushChannel(sql: Sql, s: PushSettings, now: Date): Promise<PushChannel> {
  const keys = await vapidKeys(sql, () => webpush.generateVAPIDKeys(), now);
  const vapidDetails = { subject: s.subject, publicKey: keys.publicKey, privateKey: keys.privateKey };
  return {
    publicKey: keys.publicKey,
    async send(practitioner, body, urgent) {
      const subs = await listPushSubscriptions(sql, practitioner);
      if (subs.length === 0) return { outcome: 'skipped', code: 'ERR_PUSH_NO_SUBSCRIPTION', removed: 0 };
      let delivered: number | null = null;
      let retry: SendResult | null = null;
      let removed = 0;
      let last: SendResult = { outcome: 'dead', status: null, code: 'ERR_PUSH_FAILED' };
      for (const sub of subs) {
        try {
          const r = await webpush.sendNotification({ endpoint: sub.endpoint, keys: { p256dh: sub.p256dh, auth: sub.auth } }, body, {
            vapidDetails, TTL: urgent ? 3600 : 86_400, urgency: urgent ? 'high' : 'normal', timeout: s.timeoutMs,
          });
          delivered = r.statusCode;
        } catch (e) {
          const status = (e as { statusCode?: unknown }).statusCode;
          if (status === 404 || status === 410) {
            // RFC 8030 §7.3: the subscription is gone for good
            removed += await deletePushSubscription(sql, sub.id);
          } else if (typeof status === 'number' && (status >= 500 || status === 429 || status === 408)) {
            retry = { outcome: 'retry', status, code: `ERR_PUSH_HTTP_${status}` };
          } else if (typeof status === 'number') {
            last = { outcome: 'dead', status, code: `ERR_PUSH_HTTP_${status}` };
          } else {
            retry = { outcome: 'retry', status: null, code: 'ERR_PUSH_NETWORK' };
          }
        }
      }
      if (delivered !== null) return { outcome: 'delivered', status: delivered, removed };
      if (retry !== null) return { ...retry, removed };
      if (removed === subs.length) return { outcome: 'skipped', code: 'ERR_PUSH_SUBSCRIPTION_GONE', removed };
      return { ...last, removed };
    },
  };
}
