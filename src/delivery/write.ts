// Writing what delivery decided, in the caller's transaction: notifications (each with its FHIR
// Communication), outbox rows, timeline entries and the live events for providers' apps. Persist,
// then act: channel sends happen after the commit, from the outbox.
import { saveResources } from '../fhir/index.js';
import { insertAttempts, insertNotifications, notifyLiveEvents, readRequestHeads, type NotificationInsert, type NotificationRow, type TransactionSql } from '../store/index.js';
import { toCommunication, type RequestHead } from './communication.js';
import type { Rows } from './dispatch.js';
import { insertEvents } from './audit.js';

const live = (n: NotificationInsert) => ({ p: n.recipient, m: n.request_id, n: n.id, k: n.kind === 'step' ? 'notified' : n.kind === 'renotify' ? 'renotified' : 'forwarded' });

/** Returns the notifications inserted now (one that existed already is neither rewritten nor re-sent). */
export async function writeRows(tx: TransactionSql, rows: Rows, heads: ReadonlyMap<string, RequestHead>, now: Date): Promise<NotificationInsert[]> {
  // statements that do not wait on each other's results go out together, pipelined on the
  // transaction's connection: each round trip awaited alone costs a turn of a busy event loop
  const [ids] = await Promise.all([insertNotifications(tx, rows.notifications), insertEvents(tx, rows.events, heads)]);
  const inserted = new Set(ids);
  const fresh = rows.notifications.filter((n) => inserted.has(n.id));
  const comms = fresh.map((n) => toCommunication({ ...n, delivered_at: null, read_at: null, acknowledged_at: null, responded_at: null }, heads.get(n.request_id) ?? { priority: 'routine', subject: null }));
  await Promise.all([
    insertAttempts(tx, rows.attempts.filter((a) => a.notification_id === null || inserted.has(a.notification_id))),
    saveResources(tx, comms, { now }),
    notifyLiveEvents(tx, fresh.map(live)),
  ]);
  return fresh;
}

/** Rewrites the Communications of notifications whose receipts changed (a new version each). */
export async function refreshCommunications(tx: TransactionSql, changed: readonly NotificationRow[], now: Date): Promise<void> {
  if (changed.length === 0) return;
  const stored = await readRequestHeads(tx, changed.map((n) => n.request_id));
  await saveResources(tx, changed.map((n) => {
    const h = stored.get(n.request_id);
    return toCommunication(n, { priority: h?.priority ?? 'routine', subject: h?.subject ?? null });
  }), { now });
}
