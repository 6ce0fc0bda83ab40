// The SQL of Web Push: providers' subscriptions (delivery_push_subscription) and the one VAPID key
// pair all replicas share (delivery_vapid).
import type { Sql, TransactionSql } from './db.js';

type Queryable = Sql | TransactionSql;

export interface PushSubscriptionRow {
  id: string;
  practitioner: string;
  endpoint: string;
  p256dh: string;
  auth: string;
  created_at: Date;
}

/** Registers (or re-assigns, when the endpoint is known) a subscription. Returns its id. */
export async function upsertPushSubscription(sql: Queryable, s: { practitioner: string; endpoint: string; p256dh: string; auth: string; now: Date }): Promise<string> {
  const [r] = await sql<{ id: string }[]>`
    INSERT INTO delivery_push_subscription (practitioner, endpoint, p256dh, auth, created_at)
    VALUES (${s.practitioner}, ${s.endpoint}, ${s.p256dh}, ${s.auth}, ${s.now})
    ON CONFLICT (endpoint) DO UPDATE SET practitioner = EXCLUDED.practitioner, p256dh = EXCLUDED.p256dh, auth = EXCLUDED.auth
    RETURNING id::text`;
  return r!.id;
}

export function listPushSubscriptions(sql: Queryable, practitioner: string): Promise<PushSubscriptionRow[]> {
  return sql<PushSubscriptionRow[]>`
    SELECT id::text, practitioner, endpoint, p256dh, auth, created_at FROM delivery_push_subscription
    WHERE practitioner = ${practitioner} ORDER BY delivery_push_subscription.id`;
}

/** Removes a subscription: the push service said it is gone (404/410), or its owner deleted it. */
export async function deletePushSubscription(sql: Queryable, id: string, practitioner?: string): Promise<number> {
  const r = practitioner === undefined
    ? await sql`DELETE FROM delivery_push_subscription WHERE id = ${id} RETURNING id`
    : await sql`DELETE FROM delivery_push_subscription WHERE id = ${id} AND practitioner = ${practitioner} RETURNING id`;
  return r.length;
}

/** The shared VAPID key pair: the stored one, else `made` stored now (the first replica to start wins a race). */
export async function vapidKeys(sql: Sql, made: () => { publicKey: string; privateKey: string }, now: Date): Promise<{ publicKey: string; privateKey: string }> {
  const read = async () => (await sql<{ public_key: string; private_key: string }[]>`SELECT public_key, private_key FROM delivery_vapid WHERE id = 1`)[0];
  const found = await read();
  if (found) return { publicKey: found.public_key, privateKey: found.private_key };
  const k = made();
  await sql`INSERT INTO delivery_vapid (id, public_key, private_key, created_at) VALUES (1, ${k.publicKey}, ${k.privateKey}, ${now}) ON CONFLICT (id) DO NOTHING`;
  const stored = await read();
  return { publicKey: stored!.public_key, privateKey: stored!.private_key };
}
