// Webhook channel for paging, SMS and voice gateways, signed per the Standard Webhooks spec
// (standardwebhooks.com): `webhook-id` (stable across retries, so the receiver deduplicates),
// `webhook-timestamp` (seconds) and `webhook-signature` (`v1,` + base64 HMAC-SHA256 of
// `id.timestamp.body` with the contact's `whsec_` secret, by the `standardwebhooks` library).
// Timeouts, network errors, 5xx, 408 and 429 are retried; any other answer is final.
import { Webhook } from 'standardwebhooks';
import { parseRetryAfter } from './backoff.js';

export type SendResult =
  | { readonly outcome: 'delivered'; readonly status: number }
  | { readonly outcome: 'retry'; readonly status: number | null; readonly code: string; readonly retryAfterMs?: number | undefined }
  | { readonly outcome: 'dead'; readonly status: number | null; readonly code: string }
  | { readonly outcome: 'skipped'; readonly code: string };

export interface WebhookRequest {
  readonly url: string;
  readonly secret: string;
  readonly id: string;
  readonly body: string;
  readonly at: Date;
  readonly timeoutMs: number;
}

const RETRY_STATUS = new Set([408, 429]);

export async function postWebhook(r: WebhookRequest, fetchImpl: typeof fetch = fetch): Promise<SendResult> {
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'switchboard-webhooks',
    'webhook-id': r.id,
    'webhook-timestamp': String(Math.floor(r.at.getTime() / 1000)),
    'webhook-signature': new Webhook(r.secret).sign(r.id, r.at, r.body),
  };
  let res: Response;
  try {
    res = await fetchImpl(r.url, { method: 'POST', headers, body: r.body, redirect: 'manual', signal: AbortSignal.timeout(r.timeoutMs) });
  } catch (e) {
    const name = (e as { name?: string }).name;
    if (name === 'TimeoutError' || name === 'AbortError') return { outcome: 'retry', status: null, code: 'ERR_WEBHOOK_TIMEOUT' };
    const cause = (e as { cause?: { code?: unknown } }).cause?.code;
    return { outcome: 'retry', status: null, code: typeof cause === 'string' && /^E[A-Z_]+$/.test(cause) ? `ERR_WEBHOOK_NETWORK_${cause}` : 'ERR_WEBHOOK_NETWORK' };
  }
  // the answer's body is never read: nothing a receiver says reaches our logs or the timeline
  await res.body?.cancel().catch(() => {});
  if (res.status >= 200 && res.status < 300) return { outcome: 'delivered', status: res.status };
  if (res.status >= 500 || RETRY_STATUS.has(res.status)) {
    return { outcome: 'retry', status: res.status, code: `ERR_WEBHOOK_HTTP_${res.status}`, retryAfterMs: parseRetryAfter(res.headers.get('retry-after'), r.at.getTime()) };
  }
  return { outcome: 'dead', status: res.status, code: `ERR_WEBHOOK_HTTP_${res.status}` };
}
