// HL7 v2 intake, shared by MLLP and POST /hl7: parse, check, store, then acknowledge.
// The positive ACK is built before the write (so it can be stored for duplicates) and released only
// after the commit. Every failure gets an answer: AR/AE with an ERR segment for bad input (the raw
// bytes kept in `rejected`), AE/CE when the store is down so the sender resends.
import { randomUUID } from 'node:crypto';
import {
  ackCodeFor, ackHeaderOf, buildAck, checkSupported, encodeHl7, HL7_ERROR, Hl7Error, type Hl7Message,
  isHl7Error, parseHl7Input, hl7Timestamp, escapeValue, DEFAULT_DELIMITERS, positiveAck, sniffHeader, OVERSIZE_HEAD_BYTES,
} from '../hl7/index.js';
import type { MllpHandlers } from '../mllp/index.js';
import { insertRejected, isUnavailable, STORE_DOWN, type Sql, type StoreHealth } from '../store/index.js';
import type { Logger } from '../obs/index.js';
import type { Metrics } from '../obs/index.js';
import type { InboxWriter } from './inbox-writer.js';
import { mayWantAppAck, replyToAddress, type AppAckRouter, type Reply } from './app-ack.js';
import type { AppAckDestination, Origin, SenderPolicy } from './senders.js';
import { metricType } from './metric-type.js';
import { hl7ContentHash } from './content-hash.js';
import { hl7OrderFields, type OrderFields } from './order-fields.js';
import { DEFAULT_SITE_CONFIG, type SiteConfig } from '../mapping/index.js';

export interface Hl7IntakeDeps {
  sql: Sql;
  writer: InboxWriter;
  metrics: Metrics;
  log: Logger;
  appName: string;
  /** where enhanced-mode application ACKs are sent from once the message is processed */
  appAcks?: AppAckRouter;
  /**
   * Who may send from where (SENDERS_FILE; loopback only without one): a sender it refuses gets AR
   * and its input is kept in `rejected`. Without it (tests, tools) every sender is taken, and
   * application ACKs are stored only.
   */
  senders?: SenderPolicy;
  /**
   * Whether the store answers now: while it is known down every message is answered AE/CE at once,
   * and one waiting for its commit when the store goes down is answered then (no ACK waits for a
   * frozen database). Without it, each message waits for its own store call.
   */
  health?: StoreHealth;
  /** most refused inputs kept (default REJECTED_MAX_ROWS) */
  rejectedMaxRows?: number;
  /** most bytes of refused input kept (default REJECTED_MAX_BYTES) */
  rejectedMaxBytes?: number;
  now?: () => Date;
  /** the site's triage rules, for the intake-time priority (default: DEFAULT_SITE_CONFIG's) */
  triage?: SiteConfig;
}

export interface IntakeContext {
  source: 'mllp' | 'http';
  peer: string | null;
  /** where it came from, for the sender check (an address; the TLS client certificate's subject) */
  origin?: Origin;
  /** MLLP: the way back for an enhanced-mode application ACK */
  reply?: Reply;
}

export interface IntakeResult {
  ack: Buffer;
  code: string;
  /** accepted/duplicate: stored; rejected: fix and resend; unavailable: resend as is later */
  outcome: 'accepted' | 'duplicate' | 'rejected' | 'unavailable';
  /** inbox ids of the stored messages (new or original) */
  ids: string[];
}

/**
 * Refused input kept for inspection: the newest 100,000 by default (REJECTED_MAX_ROWS; typically
 * ~1 KiB each, an oversize frame keeps only its first 8 KiB), so a misbehaving peer cannot fill the
 * disk. The store trims it (insertRejected).
 */
export const REJECTED_MAX_ROWS = 100_000;

/** And at most 256 MiB of them: a peer sending large refused frames fills bytes long before rows. */
export const REJECTED_MAX_BYTES = 256 * 1024 * 1024;

/** MSH-10 of our ACKs: 20 characters, the length v2.3-v2.5 allow for MSH-10. */
export const newAckControlId = () => randomUUID().replace(/-/g, '').slice(0, 20);

export class Hl7Intake {
  private readonly now: () => Date;
  /** bytes of refused input stored since the last byte trim (this process) */
  private rejectedBytes = 0;

  constructor(private readonly deps: Hl7IntakeDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async receive(bytes: Buffer, ctx: IntakeContext): Promise<IntakeResult> {
    const started = performance.now();
    try {
      const parsed = parseHl7Input(bytes);
      if (parsed.kind === 'message') return await this.receiveOne(parsed.message, bytes, ctx);
      // a batch: each member is its own inbox row and gets its own ACK, all in one batch reply
      const answers = await Promise.all(parsed.messages.map((m) => this.receiveOne(m, encodeHl7(m.text, m.charset), ctx)));
      return this.batchAck(parsed.controlId, answers);
    } catch (e) {
      return this.refuse(bytes, ctx, e);
    } finally {
      this.deps.metrics.ackLatency.observe({ source: ctx.source }, (performance.now() - started) / 1000);
    }
  }

  /** The MLLP listener's handlers: every frame (or oversize frame) answered by this intake. */
  mllpHandlers(maxFrameBytes: number): MllpHandlers {
    return {
      message: async (payload, conn) => (await this.receive(payload, { source: 'mllp', peer: conn.peer, origin: originOf(conn), reply: conn.send })).ack,
      oversize: async (head, size, conn) => (await this.oversize(head, size, maxFrameBytes, { source: 'mllp', peer: conn.peer, origin: originOf(conn) })).ack,
    };
  }

  /** A frame over the size limit: answered AR from its first bytes; the head is kept in `rejected`. */
  async oversize(head: Buffer, size: number, limit: number, ctx: IntakeContext): Promise<IntakeResult> {
    const err = new Hl7Error('ERR_HL7_FRAME_TOO_LARGE', HL7_ERROR.applicationInternalError, `message of ${size} bytes exceeds the limit of ${limit} bytes; only its first ${head.length} bytes were kept`);
    return this.refuse(head, ctx, err);
  }

  /** One frame held a batch: the reply is a batch of ACKs, BHS-12 naming the batch it answers. */
  private batchAck(batchControlId: string, answers: IntakeResult[]): IntakeResult {
    const worst = answers.find((a) => a.outcome === 'unavailable') ?? answers.find((a) => a.outcome === 'rejected') ?? answers[0]!;
    const bhs = `BHS|^~\\&|${this.deps.appName}||||${hl7Timestamp(this.now())}||||${newAckControlId()}|${escapeValue(batchControlId, DEFAULT_DELIMITERS)}\r`;
    const bts = `BTS|${answers.length}\r`;
    return { ack: Buffer.concat([Buffer.from(bhs, 'latin1'), ...answers.map((a) => a.ack), Buffer.from(bts, 'latin1')]), code: worst.code, outcome: worst.outcome, ids: answers.flatMap((a) => a.ids) };
  }

  private async receiveOne(message: Hl7Message, raw: Buffer, ctx: IntakeContext): Promise<IntakeResult> {
    const { metrics } = this.deps;
    const type = metricType(message.typeName);
    metrics.received.inc({ source: ctx.source, type });
    try {
      checkSupported(message);
    } catch (e) {
      return this.refuse(raw, ctx, e, message);
    }
    const h = message.header;
    const allowed = this.deps.senders?.check(h.sendingApplication, h.sendingFacility, ctx.origin ?? { address: null });
    if (allowed && !allowed.ok) {
      // no MSH-3/4 in the log or the text: the peer and the reason say enough
      this.deps.log.warn('sender_refused', { source: ctx.source, peer: ctx.peer ?? undefined, code: allowed.reason, messageType: type });
      return this.refuse(raw, ctx, new Hl7Error('ERR_SENDER_NOT_ALLOWED', HL7_ERROR.applicationInternalError,
        'sender not allowed: this sending application and facility may not send from this connection'), message);
    }
    const header = ackHeaderOf(message);
    const enhanced = message.enhancedMode;
    const ack = encodeHl7(buildAck({ code: positiveAck(enhanced), header, ackControlId: newAckControlId(), now: this.now(), selfApplication: this.deps.appName }), message.charset);
    try {
      const r = await this.stored(() => this.deps.writer.accept({
        source: ctx.source, senderApp: h.sendingApplication, senderFacility: h.sendingFacility, controlId: h.controlId,
        messageType: message.typeName, version: h.version, charset: message.charset, raw, peer: ctx.peer,
        ackMode: enhanced ? 'enhanced' : 'original', ack, contentHash: hl7ContentHash(raw),
        ...this.orderFields(message),
        // the sender's organisation (SENDERS_FILE), which decides who may read the message
        ...(allowed?.ok && allowed.organization !== undefined ? { organization: allowed.organization } : {}),
      }));
      (r.duplicate ? metrics.duplicates : metrics.accepted).inc({ source: ctx.source, type });
      if (r.controlIdReused) {
        // stored and processed like any message; said so the sender's integration can be looked at
        metrics.controlIdReused.inc({ source: ctx.source, type });
        this.deps.log.warn('inbox_control_id_reused', { inboxId: r.id, source: ctx.source, messageType: type });
      }
      const way = !r.duplicate && this.deps.appAcks && mayWantAppAck(h.applicationAckType) ? this.appAckReply(allowed?.ok ? allowed.appAck : { to: 'stored' }, ctx) : undefined;
      if (way) this.deps.appAcks!.register(r.id, way);
      return { ack: r.ack ?? ack, code: positiveAck(enhanced), outcome: r.duplicate ? 'duplicate' : 'accepted', ids: [r.id] };
    } catch (e) {
      metrics.unavailable.inc({ source: ctx.source });
      // while the store is known down each message is not worth a line: store_down said it once
      if ((e as { code?: string })?.code !== STORE_DOWN) this.deps.log.error('inbox_write_failed', { source: ctx.source, messageType: type, errorCode: (e as { code?: string }).code, errorName: (e as Error).name });
      const code = enhanced ? 'CE' : 'AE';
      const text = isUnavailable(e) ? 'message store unavailable; not stored, please resend' : 'message could not be stored; not stored, please resend';
      const nack = buildAck({ code, header, ackControlId: newAckControlId(), now: this.now(), selfApplication: this.deps.appName, error: { condition: HL7_ERROR.applicationInternalError, text } });
      return { ack: encodeHl7(nack, message.charset), code, outcome: 'unavailable', ids: [] };
    }
  }

  /** The patient and first triage the claim orders by (src/ingest/order-fields.ts); never fails intake. */
  private orderFields(message: Hl7Message): OrderFields {
    try {
      return hl7OrderFields(message, this.deps.triage ?? DEFAULT_SITE_CONFIG);
    } catch {
      return { orderPatient: null, priority: 0 };
    }
  }

  /** Where this message's application ACK goes (the sender's `appAck`); undefined: stored only. */
  private appAckReply(dest: AppAckDestination, ctx: IntakeContext): Reply | undefined {
    if (dest.to === 'connection') return ctx.reply;
    if (dest.to === 'address') return replyToAddress(dest, this.deps.log);
    return undefined;
  }

  /** A store call, given up at once while the store is known down (see `health`). */
  private stored<T>(call: () => Promise<T>): Promise<T> {
    return this.deps.health ? this.deps.health.guard(call) : call();
  }

  private async refuse(raw: Buffer, ctx: IntakeContext, e: unknown, message?: Hl7Message): Promise<IntakeResult> {
    const err = isHl7Error(e) ? e : new Hl7Error('ERR_INTERNAL', HL7_ERROR.applicationInternalError, 'internal error while reading the message');
    if (!isHl7Error(e)) this.deps.log.error('hl7_intake_internal_error', { source: ctx.source, errorName: (e as Error)?.name });
    const header = message ? ackHeaderOf(message) : sniffHeader(raw.subarray(0, OVERSIZE_HEAD_BYTES).toString('latin1'));
    const enhanced = message ? message.enhancedMode : false;
    const code = ackCodeFor(err.code, enhanced);
    const ackText = buildAck({ code, header, ackControlId: newAckControlId(), now: this.now(), selfApplication: this.deps.appName, error: { condition: err.condition, text: err.message, ...(err.location ? { location: err.location } : {}) } });
    const ack = encodeHl7(ackText, message?.charset ?? '');
    this.deps.metrics.rejected.inc({ source: ctx.source, type: message ? metricType(message.typeName) : 'unreadable', code: err.code });
    try {
      // a byte trim reads the whole table: once per tenth of the cap stored here
      const keepBytes = this.deps.rejectedMaxBytes ?? REJECTED_MAX_BYTES;
      this.rejectedBytes += raw.length + ack.length;
      const trimBytes = this.rejectedBytes >= keepBytes / 10;
      if (trimBytes) this.rejectedBytes = 0;
      await this.stored(() => insertRejected(this.deps.sql, {
        source: ctx.source, peer: ctx.peer, controlId: header.controlId || null, errorCode: err.code, reason: err.message, raw, ack,
      }, { keep: this.deps.rejectedMaxRows ?? REJECTED_MAX_ROWS, keepBytes, trimBytes }));
    } catch (se) {
      this.deps.log.error('rejected_write_failed', { source: ctx.source, errorCode: (se as { code?: string }).code });
    }
    return { ack, code, outcome: 'rejected', ids: [] };
  }
}

const originOf = (conn: { address: string | null; certSubject?: string }): Origin =>
  conn.certSubject ? { address: conn.address, certSubject: conn.certSubject } : { address: conn.address };
