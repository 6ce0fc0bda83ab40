// The processing stage: claims stored inbox rows (FOR UPDATE SKIP LOCKED, so any number of gateway
// replicas share one database), maps each to FHIR and saves the result in the same transaction that
// marks the row processed. A row whose worker died is claimed again when its claim expires; a row
// that cannot be mapped is left `failed` with its reason, re-processable with `inbox retry`.
import { parseHl7Input, ackHeaderOf, buildAck, encodeHl7, HL7_ERROR, type Hl7Message } from '../hl7/index.js';
import { callNoteSchema } from '../calls/index.js';
import { mapCallNote, mapHl7Message, MappingError, type MappingResult, type SiteConfig } from '../mapping/index.js';
import { bundleRefusal, saveTransactionBundle } from '../fhir/index.js';
import {
  claimInboxRows, ensureIdKey, listenInbox, markInboxFailed, markInboxProcessed, markInboxSaveFailed, type ClaimedInboxRow, type Sql,
} from '../store/index.js';
import type { Logger, Metrics } from '../obs/index.js';
import { newAckControlId } from './hl7-intake.js';
import type { RoutingRecord, ScheduleService } from '../oncall/index.js';
import { escalationStarts, startEscalations } from '../delivery/index.js';
import { applyDecision, routingAttributes } from './route-result.js';
import { wantsAppAck, type AppAckRouter } from './app-ack.js';
import { metricType } from './metric-type.js';

export interface WorkerOptions {
  sql: Sql;
  config: SiteConfig;
  log: Logger;
  metrics: Metrics;
  /** rows claimed per round */
  batch?: number;
  claimMs: number;
  pollMs: number;
  maxAttempts: number;
  appName: string;
  /** on-call routing for messages that need a human; null: map only (tests, `map`) */
  schedules: ScheduleService | null;
  /** enhanced mode: sends application ACKs back over the originating connection */
  appAcks?: AppAckRouter;
  /** the installation's resource-id key (mapHl7Message `idKey`); read from the store when absent */
  idKey?: Uint8Array;
  /** delivery: told after a commit that started escalation runs, so it fires them without waiting for the NOTIFY */
  delivery?: { poke(): void };
  now?: () => Date;
}

export type Outcome = { kind: 'processed'; result: MappingResult } | { kind: 'failed'; code: string; reason: string };

/** A row read once: the mapping outcome, and the parsed HL7 message (for the application ACK). */
interface Mapped {
  outcome: Outcome;
  message: Hl7Message | null;
}

/** After routing: what is saved, the routing record, and a failure that still keeps the mapped resources. */
interface Routed {
  bundle: MappingResult['bundle'];
  routing: unknown;
  /** the decision when routed (null: not routed, or routing failed) */
  record: RoutingRecord | null;
  failure: { code: string; reason: string } | null;
}

export class InboxWorker {
  private readonly now: () => Date;
  private stopped = true;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private unlisten: (() => Promise<void>) | undefined;

  constructor(private readonly o: WorkerOptions) {
    this.now = o.now ?? (() => new Date());
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.unlisten = await listenInbox(this.o.sql, () => this.wake?.());
    this.loop = this.run();
  }

  /** New rows were stored by this process: look now instead of at the next poll. */
  poke(): void {
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    await this.unlisten?.().catch(() => {});
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let n = 0;
      try {
        n = await this.processBatch();
      } catch (e) {
        this.o.log.error('worker_round_failed', { errorCode: (e as { code?: string }).code, errorName: (e as Error).name });
      }
      if (n === 0 && !this.stopped) await new Promise<void>((r) => { this.wake = r; setTimeout(r, this.o.pollMs).unref(); });
    }
  }

  /**
   * Claims and processes one round of rows; returns how many were claimed.
   *
   * Per-sender order (an A08 must not overtake its A01): a claim skips every sender that has a
   * message being processed by another worker or replica (claimInboxRows). The rows one claim takes
   * are processed in id order, so each sender's messages are processed one after another, in the
   * order they were stored.
   */
  async processBatch(): Promise<number> {
    const idKey = await this.idKey();
    const rows = await claimInboxRows(this.o.sql, { claimMs: this.o.claimMs, limit: this.o.batch ?? 32 });
    rows.sort((a, b) => Number(a.id) - Number(b.id));
    for (const row of rows) await this.processRow(row, idKey);
    return rows.length;
  }

  private key: Uint8Array | undefined;

  /** The installation's id key: the one given, else the stored one (created at the first start), read once. */
  private async idKey(): Promise<Uint8Array> {
    this.key ??= this.o.idKey ?? (await ensureIdKey(this.o.sql));
    return this.key;
  }

  private async processRow(row: ClaimedInboxRow, idKey: Uint8Array): Promise<void> {
    const { outcome, message } = this.mapRow(row, idKey);
    try {
      await this.finish(row, outcome, message);
    } catch (e) {
      const refusal = bundleRefusal(e);
      if (refusal && outcome.kind === 'processed') {
        // The FHIR store refused the mapped resources for what is in them (e.g. a Patient identifier
        // that two stored Patients share: a conditional request matching both is 412 by the spec).
        // Retrying cannot help; the row fails now with the store's reason, which names the entry and
        // the resource type, never a value.
        const code = `ERR_FHIR_${refusal.code.toUpperCase().replace(/-/g, '_')}`;
        const refused: Outcome = { kind: 'failed', code, reason: `the FHIR store refused the mapped resources: ${refusal.reason}` };
        try {
          await this.finish(row, refused, message);
          return;
        } catch (again) {
          return this.saveFailed(row, again);
        }
      }
      await this.saveFailed(row, e);
    }
  }

  /** Store trouble: the claim is left to expire and the row retried, until its attempts are used up. */
  private async saveFailed(row: ClaimedInboxRow, e: unknown): Promise<void> {
    this.o.log.error('worker_save_failed', { inboxId: row.id, attempts: row.attempts, errorCode: (e as { code?: string }).code });
    if (row.attempts >= this.o.maxAttempts) {
      await markInboxSaveFailed(this.o.sql, row.id).catch(() => {});
    }
  }

  /** Routes, saves the outcome in one transaction, then sends the application ACK when one is due. */
  private async finish(row: ClaimedInboxRow, outcome: Outcome, message: Hl7Message | null): Promise<void> {
    const { sql, metrics } = this.o;
    const routed = outcome.kind === 'processed' ? await this.route(outcome.result) : null;
    const failure = outcome.kind === 'failed' ? outcome.reason : (routed?.failure?.reason ?? null);
    const appAck = row.ack_mode === 'enhanced' && message ? this.appAck(message, failure) : null;
    const started = await sql.begin(async (tx) => {
      if (outcome.kind === 'processed' && routed) {
        // the mapped resources are kept even when routing failed: the row is retried as a whole
        const savedIds = await saveTransactionBundle(tx, routed.bundle, { inboxId: row.id });
        await markInboxProcessed(tx, row.id, { failure: routed.failure, mappingReport: outcome.result.report, routing: routed.routing, appAck: appAck?.bytes ?? null });
        // --- delivery: one escalation run per routed CommunicationRequest, in this transaction (persist, then act)
        if (routed.record !== null && routed.failure === null) {
          return startEscalations(tx, escalationStarts({ bundle: routed.bundle, savedIds, routing: routed.record, inboxId: row.id, receivedAt: row.received_at }), this.now());
        }
      } else if (outcome.kind === 'failed') {
        await markInboxFailed(tx, row.id, { code: outcome.code, reason: outcome.reason, appAck: appAck?.bytes ?? null });
      }
      return 0;
    });
    if (started > 0) this.o.delivery?.poke();
    // after the commit: the application ACK never reports work that could still roll back
    if (appAck && wantsAppAck(appAck.condition, failure !== null)) {
      const sent = this.o.appAcks?.deliver(row.id, appAck.bytes) ?? false;
      this.o.log.info(sent ? 'app_ack_sent' : 'app_ack_stored_only', { inboxId: row.id });
    }
    metrics.processed.inc({ type: metricType(row.message_type), outcome: outcome.kind });
  }

  /**
   * Messages that need a human (triage not null) are routed to the on-call provider at this instant;
   * the others (a normal result, an ADT event that does not notify) are stored without routing.
   */
  private async route(result: MappingResult): Promise<Routed> {
    if (!result.triage || !this.o.schedules) return { bundle: result.bundle, routing: null, record: null, failure: null };
    const decision = await this.o.schedules.route(routingAttributes(result), this.now().getTime());
    if (!decision.ok) {
      this.o.metrics.routed.inc({ outcome: 'unrouted' });
      const reason = decision.error.message;
      return { bundle: result.bundle, routing: { error: decision.error.code, reason }, record: null, failure: { code: decision.error.code, reason: `not routed: ${reason}` } };
    }
    const routed = applyDecision(result, decision.value);
    // nobody covering the role at this instant is not a failure (escalation takes the chain), but it is counted
    this.o.metrics.routed.inc({ outcome: routed.record.oncall.primary === null && routed.record.recipient.kind === 'role' ? 'no_coverage' : 'routed' });
    return { bundle: routed.bundle, routing: routed.record, record: routed.record, failure: null };
  }

  /** Pure part: raw row -> mapping outcome, parsing the bytes once. Never throws. */
  mapRow(row: Pick<ClaimedInboxRow, 'id' | 'source' | 'raw' | 'received_at'>, idKey: Uint8Array): Mapped {
    let message: Hl7Message | null = null;
    try {
      if (row.source === 'calls') {
        const parsed = callNoteSchema.safeParse(JSON.parse(row.raw.toString('utf8')));
        if (!parsed.success) return { outcome: { kind: 'failed', code: 'ERR_CALL_INVALID', reason: 'stored call note no longer validates' }, message };
        return { outcome: { kind: 'processed', result: mapCallNote(parsed.data, { id: row.id, receivedAt: row.received_at.toISOString() }, this.o.config, { idKey }) }, message };
      }
      const input = parseHl7Input(row.raw);
      if (input.kind !== 'message') return { outcome: { kind: 'failed', code: 'ERR_HL7_BAD_BATCH', reason: 'a stored row holds a batch' }, message };
      message = input.message;
      return { outcome: { kind: 'processed', result: mapHl7Message(message, this.o.config, { idKey }) }, message };
    } catch (e) {
      if (e instanceof MappingError) return { outcome: { kind: 'failed', code: e.code, reason: e.message }, message };
      const code = (e as { code?: string }).code;
      return { outcome: { kind: 'failed', code: typeof code === 'string' ? code : 'ERR_MAPPING_INTERNAL', reason: (e as Error).message ?? 'mapping failed' }, message };
    }
  }

  /** Enhanced mode: the application ACK (AA, or AE with the reason) and MSH-16, which says when to send it. */
  private appAck(message: Hl7Message, failure: string | null): { bytes: Buffer; condition: string } {
    const text = buildAck({
      code: failure ? 'AE' : 'AA', ackControlId: newAckControlId(), now: this.now(), selfApplication: this.o.appName, header: ackHeaderOf(message),
      ...(failure ? { error: { condition: HL7_ERROR.applicationInternalError, text: failure } } : {}),
    });
    return { bytes: encodeHl7(text, message.charset), condition: message.header.applicationAckType };
  }
}
