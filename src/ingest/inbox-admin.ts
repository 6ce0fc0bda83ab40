// What integration engineers and the CLI see of the inbox: list rows, retry failed ones, list rejects.
import {
  countInboxByState, getInboxRow, getRejectedRow, listInboxRows, listRejectedRows, requeueInboxRow, type InboxListRow, type Sql,
} from '../store/index.js';
import { decodeHl7 } from '../hl7/index.js';

export const INBOX_STATES = ['received', 'processing', 'processed', 'failed'] as const;
export type InboxState = (typeof INBOX_STATES)[number];

export interface InboxListItem {
  id: string;
  source: string;
  sender: string;
  controlId: string;
  type: string;
  state: string;
  receivedAt: string;
  attempts: number;
  errorCode: string | null;
  /** stored although an earlier message from this sender has the same control id (other content) */
  controlIdReused: boolean;
  /** the organisation the message belongs to (its sender's, a call note's submitter's) */
  organization: string;
}

/**
 * Whose rows a reader sees (src/http's gate decides, src/auth/policy.ts): `organization` limits every
 * view to that organisation's rows; `none`, no row at all; neither, every row (the CLI, an admin).
 * Refused input belongs to no organisation (it was never accepted from a known sender), so a reader
 * limited to one finds none of it either.
 */
export interface Reader {
  organization?: string | undefined;
  none?: boolean | undefined;
}

const seesNoRejected = (r: Reader): boolean => r.none === true || r.organization !== undefined;

const toListItem = (r: InboxListRow): InboxListItem => ({
  id: r.id, source: r.source, sender: [r.sender_app, r.sender_facility].filter(Boolean).join('|'), controlId: r.control_id, type: r.message_type,
  state: r.state, receivedAt: r.received_at.toISOString(), attempts: r.attempts, errorCode: r.error_code,
  controlIdReused: r.control_id_reused, organization: r.organization,
});

/** Stored bytes (an ACK, a refused input) as text: UTF-8 when valid, else ISO-8859-1 — as intake reads them. */
const asText = (b: Buffer): string => decodeHl7(b, '').text;

/** Rows per page: 100 unless asked, at most 1,000. */
export const LIST_DEFAULT_LIMIT = 100;
export const LIST_MAX_LIMIT = 1000;

/** One page of a list; `next` is the id to continue from (`after` / `before`) when more rows follow. */
export interface ListPage<T> {
  items: T[];
  next?: string;
}

const clampLimit = (limit: number | undefined): number => Math.min(Math.max(Math.trunc(limit ?? LIST_DEFAULT_LIMIT), 1), LIST_MAX_LIMIT);

/** One more row than the page is read: it says whether another page follows without a count. */
function pageOf<R extends { id: string }, T>(rows: R[], limit: number, map: (r: R) => T): ListPage<T> {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { items: page.map(map), ...(rows.length > limit && last ? { next: last.id } : {}) };
}

/** Inbox rows in id order (oldest first) after `afterId`. */
export async function listInbox(sql: Sql, opts: { state?: InboxState; limit?: number; afterId?: string } & Reader = {}): Promise<ListPage<InboxListItem>> {
  if (opts.none) return { items: [] };
  const limit = clampLimit(opts.limit);
  const rows = await listInboxRows(sql, {
    ...(opts.state ? { state: opts.state } : {}), ...(opts.afterId ? { afterId: opts.afterId } : {}), limit: limit + 1,
    ...(opts.organization !== undefined ? { organization: opts.organization } : {}),
  });
  return pageOf(rows, limit, toListItem);
}

export interface InboxDetail extends InboxListItem {
  messageType: string;
  version: string | null;
  charset: string | null;
  ackMode: string;
  error: string | null;
  processedAt: string | null;
  /** the ACK sent when the message was stored (replayed for resends) */
  ack: string | null;
  /** enhanced mode: the application ACK built when the message was processed */
  appAck: string | null;
  mappingReport: unknown;
  routing: unknown;
}

/** One inbox row with its ACKs, mapping report and routing decision (not the raw message). */
export async function getInbox(sql: Sql, id: string, reader: Reader = {}): Promise<InboxDetail | undefined> {
  if (!/^\d{1,18}$/.test(id) || reader.none) return undefined;
  const r = await getInboxRow(sql, id, reader.organization);
  if (!r) return undefined;
  const text = (b: Buffer | null) => (b ? asText(b) : null);
  return {
    ...toListItem(r),
    messageType: r.message_type, version: r.version, charset: r.charset, ackMode: r.ack_mode, error: r.error,
    processedAt: r.processed_at?.toISOString() ?? null, ack: text(r.ack), appAck: text(r.app_ack), mappingReport: r.mapping_report, routing: r.routing ?? null,
  };
}

/** Puts a failed (or stuck) row back in the queue. Returns false when no such row may be retried. */
export async function retryInbox(sql: Sql, id: string, reader: Reader = {}): Promise<boolean> {
  if (!/^\d{1,18}$/.test(id) || reader.none) return false;
  return (await requeueInboxRow(sql, id, reader.organization)) === 1;
}

export interface RejectedItem {
  id: string;
  source: string;
  receivedAt: string;
  controlId: string | null;
  errorCode: string;
  reason: string;
  bytes: number;
}

/** Refused inputs, newest first, older than `beforeId`. */
export async function listRejected(sql: Sql, opts: { limit?: number; beforeId?: string } & Reader = {}): Promise<ListPage<RejectedItem>> {
  if (seesNoRejected(opts)) return { items: [] };
  const limit = clampLimit(opts.limit);
  const rows = await listRejectedRows(sql, { ...(opts.beforeId ? { beforeId: opts.beforeId } : {}), limit: limit + 1 });
  return pageOf(rows, limit, (r) => ({ id: r.id, source: r.source, receivedAt: r.received_at.toISOString(), controlId: r.control_id, errorCode: r.error_code, reason: r.reason, bytes: r.bytes }));
}

export interface RejectedDetail extends RejectedItem {
  /** the bytes as received, as text (UTF-8 when valid, else ISO-8859-1), segments kept as sent */
  message: string;
  /** the ACK that was sent back */
  ack: string | null;
}

/** One refused input with its bytes, for an integration engineer working out what went wrong. */
export async function getRejected(sql: Sql, id: string, reader: Reader = {}): Promise<RejectedDetail | undefined> {
  if (!/^\d{1,18}$/.test(id) || seesNoRejected(reader)) return undefined;
  const r = await getRejectedRow(sql, id);
  if (!r) return undefined;
  return {
    id: r.id, source: r.source, receivedAt: r.received_at.toISOString(), controlId: r.control_id, errorCode: r.error_code, reason: r.reason,
    bytes: r.raw.length, message: asText(r.raw), ack: r.ack ? asText(r.ack) : null,
  };
}

/** Rows waiting or failed, per state (for /metrics, scraped every few seconds; cheap, see countInboxByState). */
export async function queueDepth(sql: Sql): Promise<Record<string, number>> {
  const r = await countInboxByState(sql);
  return { received: r?.received ?? 0, processing: r?.processing ?? 0, failed: r?.failed ?? 0 };
}
