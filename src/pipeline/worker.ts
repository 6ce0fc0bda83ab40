// The processing stage (README "Processing"): claims stored inbox rows in batches (one statement,
// FOR UPDATE SKIP LOCKED, so any number of workers and replicas share one database), maps them off
// the event loop (map-pool.ts) with no transaction open, routes those that need a human, then saves
// the whole batch in one transaction: every row's resources (saveTransactionBundles: a few multi-row
// statements), their escalation runs, and the rows marked processed or failed in one UPDATE. A row
// whose worker died is claimed again when its claim expires; a row that cannot be mapped is left
// `failed` with its reason, re-processable with `inbox retry`.
import { buildAck, encodeHl7, HL7_ERROR } from '../hl7/index.js';
import type { MappingResult, SiteConfig } from '../mapping/index.js';
import { bundleRefusal, saveTransactionBundle, saveTransactionBundles } from '../fhir/index.js';
import {
  claimInboxRows, ensureIdKey, listenInbox, markInboxRows, markInboxSaveFailed, releaseInboxRows, type ClaimedInboxRow, type InboxOutcomeRow, type PriorityRange, type Sql, type TransactionSql,
} from '../store/index.js';
import { appendAudit, messageProcessedEvents, messageReceivedEvent, type AuditEventInput } from '../audit/index.js';
import type { Logger } from '../obs/index.js';
import type { RoutingRecord, ScheduleService } from '../oncall/index.js';
import { escalationStarts, startEscalations, type EscalationStart, type HoldDefaults, type HoldSettings, type Started } from '../delivery/index.js';
import { applyDecision, routingAttributes } from './route-result.js';
import { metricType, newAckControlId, wantsAppAck } from '../ingest/index.js';
import { mapInboxRow, type AckFacts, type MappedRow, type Outcome, type RowToMap } from './map-row.js';
import type { RowMapper } from './map-pool.js';
import { Wakeup } from '../threads/index.js';
import { takesAll, type Lane } from './shared-lane.js';

export type { Outcome } from './map-row.js';

/**
 * The counters a worker adds to: the gateway's registry (Metrics), or, in the processing thread, a
 * tally posted to the main thread's registry.
 */
export interface WorkerMetrics {
  processed: { inc(labels: { type: string; outcome: string }): void };
  routed: { inc(labels: { outcome: string }): void };
}

export interface WorkerOptions {
  sql: Sql;
  config: SiteConfig;
  log: Logger;
  metrics: WorkerMetrics;
  /** rows claimed per round (default 32) */
  batch?: number;
  /** claim only rows at least this urgent (intake priority, 0 routine .. 3 stat): the critical lane */
  minPriority?: number;
  /**
   * This process's critical lane (a worker with `minPriority`). While it runs, this worker claims
   * only rows less urgent than the lane takes, so an urgent row is never saved inside a routine
   * batch; while the lane is busy with a round, a round of this worker that finds no such row
   * takes urgent rows alone (the lane's batch), so a burst of them is not left to the lane only.
   * Without a running lane this worker claims every row. The lane InboxWorker itself, or its state
   * shared from another thread (shared-lane.ts).
   */
  lane?: Lane;
  /** told this worker's lane state whenever it changes (a critical lane shares it with the processing thread) */
  onLaneState?: (lane: Lane) => void;
  claimMs: number;
  pollMs: number;
  /**
   * WORKER_GATHER_MS: after a claim of less than half a batch, wait this long before the next claim
   * (rows gather: fewer, larger transactions at a steady arrival rate); not a critical lane's, and
   * not while the lane this worker helps is busy. Absent or 0: claim at once.
   */
  gatherMs?: number;
  maxAttempts: number;
  appName: string;
  /** on-call routing for messages that need a human; null: map only (tests, `map`) */
  schedules: ScheduleService | null;
  /**
   * enhanced mode: sends application ACKs back over the originating connection (AppAckRouter: true
   * when sent); undefined: handed to the thread holding the connections, which sends and logs it
   */
  appAcks?: { deliver(inboxId: string, bytes: Buffer): boolean | undefined };
  /** the installation's resource-id key (mapHl7Message `idKey`); read from the store when absent */
  idKey?: Uint8Array;
  /**
   * delivery: told after a commit that started escalation runs, so it fires them without waiting for
   * the NOTIFY; with `fireUrgentIn` (the gateway's own delivery, on this thread), a transaction that
   * started urgent runs fires their first steps itself before it commits (DeliveryService.fireUrgentIn)
   */
  delivery?: { poke(what?: { urgent: boolean }): void; fireUrgentIn?(tx: TransactionSql): Promise<() => void> };
  /**
   * delivery's start of day and stale limit (DeliverySettings): with `schedules`, a routine run that
   * waits for its digest starts held (startEscalations `hold`); absent: every run starts due, for
   * the scheduler's first look to decide
   */
  hold?: HoldDefaults;
  /** where rows are mapped: the gateway's thread pool; absent: in this thread (tests, tools) */
  mapper?: RowMapper;
  /**
   * Rows up to this many bytes are mapped in this thread even with a `mapper`, one at a time with
   * the event loop served between them (MAP_INLINE_MAX_BYTES; 0: never). A message of a few KB maps
   * in about a millisecond, less than handing it to a thread and back costs; a thread that stays
   * busy costs ~35 MB. The mapper's limits bound the time of a message this small.
   */
  inlineMaxBytes?: number;
  /**
   * Waves of the batch's FHIR save per transaction (saveTransactionBundles `maxWaves`; default 4;
   * no limit for the critical lane or a batch holding an urgent row): rows sharing identifiers
   * with earlier rows of the batch past that are handed back for the next claim, so the identifier
   * locks a critical row may wait for are held for a few statements, not one per row of a chain.
   */
  maxWaves?: number;
  /** told the time each stage of a round took (benchmarks) */
  onStages?: (s: StageTimes) => void;
  now?: () => Date;
}

/** Milliseconds one round spent per stage, and how many rows it claimed. */
export interface StageTimes {
  rows: number;
  claim: number;
  map: number;
  route: number;
  save: number;
  commit: number;
}

/** After routing: what is saved, the routing record, and a failure that still keeps the mapped resources. */
interface Routed {
  bundle: MappingResult['bundle'];
  routing: unknown;
  /** the decision when routed (null: not routed, or routing failed) */
  record: RoutingRecord | null;
  failure: { code: string; reason: string } | null;
}

/** One claimed row through the round. */
interface Work {
  row: ClaimedInboxRow;
  mapped: MappedRow;
  routed: Routed | null;
}

export class InboxWorker implements Lane {
  private readonly now: () => Date;
  private stopped = true;
  private readonly wakeup = new Wakeup();
  private loop: Promise<void> | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  private inRound = false;

  constructor(private readonly o: WorkerOptions) {
    this.now = o.now ?? (() => new Date());
  }

  /** The least urgent priority this worker claims while it runs (a critical lane), else undefined. */
  get urgentFrom(): number | undefined {
    return this.stopped || !this.o.minPriority ? undefined : this.o.minPriority;
  }

  /** In a round (claiming, mapping or saving a batch). */
  get busy(): boolean {
    return this.inRound;
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.o.onLaneState?.(this);
    this.unlisten = await listenInbox(this.o.sql, (p) => this.poke(p));
    this.loop = this.run();
  }

  /**
   * New rows were stored (here, or by another replica: NOTIFY): look now instead of at the next poll.
   * With the rows' priorities, a critical lane ignores a wake-up for rows it does not take (each
   * wake-up costs it a claim statement or two, and routine intake wakes it hundreds of times a
   * second while a backlog drains), and a routine worker one for rows only its idle lane takes
   * (takesAll): its claims would find nothing, four statements per wake-up on the cores that lane's
   * critical message needs.
   */
  poke(priorities?: PriorityRange): void {
    if (priorities !== undefined && this.o.minPriority && priorities.max < this.o.minPriority) return;
    if (!this.o.minPriority && this.o.lane && takesAll(this.o.lane, priorities)) return;
    this.wakeup.poke();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.o.onLaneState?.(this);
    this.wakeup.poke();
    await this.loop;
    await this.unlisten?.().catch(() => {});
  }

  private async run(): Promise<void> {
    const gather = this.o.minPriority ? 0 : (this.o.gatherMs ?? 0);
    while (!this.stopped) {
      let n = 0;
      this.wakeup.begin();
      this.inRound = true;
      this.o.onLaneState?.(this);
      try {
        n = await this.processBatch();
      } catch (e) {
        this.o.log.error('worker_round_failed', { errorCode: (e as { code?: string }).code, errorName: (e as Error).name });
      } finally {
        this.inRound = false;
        this.o.onLaneState?.(this);
      }
      // a round that found work goes straight on; an empty one sleeps until woken (or the poll),
      // unless a wake-up came while it ran (rows stored after its claim)
      if (n === 0 && !this.stopped) await this.wakeup.sleep(this.o.pollMs, { unref: true });
      // a thin claim: let the rows arriving meanwhile gather into the next one (a backlog's full
      // claims go straight on; the lane's rows never wait on this)
      if (gather > 0 && n < this.batch / 2 && !this.stopped && !this.o.lane?.busy) await new Promise((r) => setTimeout(r, gather).unref());
    }
  }

  /**
   * Claims and processes one batch; returns how many rows were claimed.
   *
   * Order per (sender, patient): the claim takes a patient's consecutive pending rows together and
   * never a row while an earlier row of the same sender and patient is in flight elsewhere
   * (claimInboxRows); the batch is saved in id order (saveTransactionBundles puts a Bundle after
   * the earlier Bundles it shares a patient with). No transaction is open while mapping.
   */
  async processBatch(): Promise<number> {
    const t0 = performance.now();
    const idKey = await this.idKey();
    const rows = await this.claim();
    if (rows.length === 0) return 0;
    const t1 = performance.now();
    // large rows to the threads (all at once), small ones here, one per turn of the event loop
    // (the critical lane's few rows at once: they do not wait behind the turns of routine batches)
    const inline = this.o.inlineMaxBytes ?? 0;
    const threaded = rows.map((row) => (this.o.mapper && row.raw.length > inline ? this.mapOne(row, idKey) : undefined));
    const mapped: MappedRow[] = [];
    for (const [i, row] of rows.entries()) {
      const t = threaded[i];
      if (t) { mapped.push(await t); continue; }
      if (!this.o.minPriority) await new Promise<void>((r) => setImmediate(r));
      mapped.push(await this.mapOne(row, idKey, true));
    }
    const t2 = performance.now();
    const work: Work[] = [];
    for (const [i, row] of rows.entries()) {
      const m = mapped[i]!;
      work.push({ row, mapped: m, routed: m.outcome.kind === 'processed' ? await this.route(m.outcome.result) : null });
    }
    const t3 = performance.now();
    let times = { save: 0, commit: 0 };
    try {
      times = await this.saveBatch(work);
    } catch (e) {
      // one transaction for the batch failed: row by row, in id order, so one bad row cannot hold up
      // the others; after a row left to be retried, its sender's later rows of the batch are handed
      // back unsaved (saving them first would break their order)
      this.o.log.warn('worker_batch_save_failed', { rows: work.length, errorCode: (e as { code?: string }).code });
      const stuck = new Set<string>();
      const handBack: string[] = [];
      for (const w of work) {
        const sender = `${w.row.sender_app}\u001f${w.row.sender_facility}`;
        if (stuck.has(sender)) { handBack.push(w.row.id); continue; }
        if (!(await this.saveOne(w))) stuck.add(sender);
      }
      await releaseInboxRows(this.o.sql, handBack).catch(() => {});
    }
    this.o.onStages?.({ rows: rows.length, claim: t1 - t0, map: t2 - t1, route: t3 - t2, save: times.save, commit: times.commit });
    return rows.length;
  }

  /** This round's rows: every row, or, beside a running critical lane, the rows it leaves (README "Processing"). */
  private async claim(): Promise<ClaimedInboxRow[]> {
    const base = { claimMs: this.o.claimMs, limit: this.o.batch ?? 32 };
    if (this.o.minPriority) return claimInboxRows(this.o.sql, { ...base, minPriority: this.o.minPriority });
    const urgent = this.o.lane?.urgentFrom;
    if (urgent === undefined) return claimInboxRows(this.o.sql, base);
    const rows = await claimInboxRows(this.o.sql, { ...base, maxPriority: urgent - 1 });
    if (rows.length > 0 || !this.o.lane!.busy) return rows;
    return claimInboxRows(this.o.sql, { claimMs: this.o.claimMs, limit: this.o.lane!.batch, minPriority: urgent });
  }

  /** Rows claimed per round. */
  get batch(): number {
    return this.o.batch ?? 32;
  }

  private key: Uint8Array | undefined;

  /** The installation's id key: the one given, else the stored one (created at the first start), read once. */
  private async idKey(): Promise<Uint8Array> {
    this.key ??= this.o.idKey ?? (await ensureIdKey(this.o.sql));
    return this.key;
  }

  private async mapOne(row: ClaimedInboxRow, idKey: Uint8Array, here = false): Promise<MappedRow> {
    if (row.attempts > this.o.maxAttempts) {
      // claimed once more than allowed: earlier attempts ended with the process (a crash while this
      // row was in flight) or the store failing; it is not tried again
      return { outcome: { kind: 'failed', code: 'ERR_ATTEMPTS_EXHAUSTED', reason: `not processed after ${this.o.maxAttempts} attempts` }, ack: null };
    }
    const input: RowToMap = { id: row.id, source: row.source, raw: row.raw, received_at: row.received_at };
    return this.o.mapper && !here ? this.o.mapper.map(input, { urgent: row.priority > 0 }) : mapInboxRow(input, this.o.config, idKey);
  }

  /** The row's end as stored, its application ACK (enhanced mode), and whether it failed. */
  private ending(w: Work, refused: { code: string; reason: string } | null): { end: InboxOutcomeRow; appAck: { bytes: Buffer; condition: string } | null; failed: boolean } {
    const { row, mapped, routed } = w;
    const o = mapped.outcome;
    const failure = refused ?? (o.kind === 'failed' ? { code: o.code, reason: o.reason } : routed?.failure ?? null);
    const appAck = row.ack_mode === 'enhanced' && mapped.ack ? this.appAck(mapped.ack, failure?.reason ?? null) : null;
    const kept = o.kind === 'processed' && refused === null;
    return {
      end: {
        id: row.id, state: failure ? 'failed' : 'processed', errorCode: failure?.code ?? null, error: failure?.reason ?? null,
        mappingReport: kept ? o.result.report : null, routing: kept ? (routed?.routing ?? null) : null, appAck: appAck?.bytes ?? null,
      },
      appAck, failed: failure !== null,
    };
  }

  /** The escalation runs of a saved, routed row (persist, then act). */
  private starts(w: Work, savedIds: readonly string[]): EscalationStart[] {
    const r = w.routed;
    if (!r || r.record === null || r.failure !== null) return [];
    return escalationStarts({ bundle: r.bundle, savedIds, routing: r.record, inboxId: w.row.id, receivedAt: w.row.received_at });
  }

  /** The whole batch in one transaction: resources, escalation runs, row outcomes. */
  private async saveBatch(all: readonly Work[]): Promise<{ save: number; commit: number }> {
    const toSave = all.filter((w) => w.routed !== null);
    let tSave = 0;
    let tEnd = 0;
    const t0 = performance.now();
    // a batch holding an urgent row saves every wave: handed back, the row would wait for a later claim
    const maxWaves = this.o.minPriority || all.some((w) => w.row.priority > 0) ? undefined : (this.o.maxWaves ?? 4);
    const hold = toSave.length > 0 ? await this.holdSettings() : undefined;
    const { ends, started, paged } = await this.o.sql.begin(async (tx) => {
      const saved = await saveTransactionBundles(tx, toSave.map((w) => ({ bundle: w.routed!.bundle, inboxId: w.row.id })), { now: this.now(), ...(maxWaves ? { maxWaves } : {}) });
      const result = new Map(toSave.map((w, i) => [w, saved[i]!]));
      // a deferred row, and every later row of its order group, go back to the queue unsaved
      const later = new Set<string>();
      const handBack: string[] = [];
      const work = all.filter((w) => {
        const group = orderGroup(w.row);
        if (result.get(w)?.deferred || later.has(group)) { later.add(group); handBack.push(w.row.id); return false; }
        return true;
      });
      await releaseInboxRows(tx, handBack);
      const ends = work.map((w) => {
        const r = result.get(w);
        return { w, ...this.ending(w, r && !r.ok && !r.deferred ? refusalFailure(r) : null) };
      });
      const starts = work.flatMap((w) => { const r = result.get(w); return r?.ok ? this.starts(w, r.savedIds) : []; });
      const audit = ends.flatMap((e) => { const r = result.get(e.w); return this.auditEvents(e.w, r?.ok ? r.savedIds : [], e.end); });
      const { started, paged } = await this.endRows(tx, work, starts, ends.map((e) => e.end), audit, hold);
      tSave = performance.now();
      return { ends, started, paged };
    });
    tEnd = performance.now();
    this.afterCommit(ends, started, paged);
    return { save: tSave - t0, commit: tEnd - tSave };
  }

  /** The row's audit events: its receipt (recorded here, off the ACK path) and its processing. */
  private auditEvents(w: Work, savedIds: readonly string[], end: InboxOutcomeRow): AuditEventInput[] {
    const { row } = w;
    const sender = row.sender_app === 'calls' ? row.sender_facility : `${row.sender_app}^${row.sender_facility}`;
    return [
      messageReceivedEvent({ inboxId: row.id, sender, source: row.source as 'mllp' | 'http' | 'calls' | 'fhir', peer: row.peer, at: row.received_at }),
      ...messageProcessedEvents({ inboxId: row.id, at: this.now(), savedIds: end.state === 'processed' || savedIds.length > 0 ? savedIds : [], failureCode: end.errorCode }),
    ];
  }

  /**
   * One row in its own transaction (after a batch failed). Returns false when a store failure left
   * the row to be retried (its claim expires), true when the row ended.
   */
  private async saveOne(w: Work): Promise<boolean> {
    const save = async (refused: { code: string; reason: string } | null) => {
      let e!: ReturnType<InboxWorker['ending']>;
      let paged: (() => void) | undefined;
      const hold = w.routed ? await this.holdSettings() : undefined;
      const started = await this.o.sql.begin(async (tx: TransactionSql) => {
        let starts: EscalationStart[] = [];
        let savedIds: string[] = [];
        if (w.routed && refused === null) {
          savedIds = await saveTransactionBundle(tx, w.routed.bundle, { inboxId: w.row.id, now: this.now() });
          starts = this.starts(w, savedIds);
        }
        e = this.ending(w, refused);
        const ended = await this.endRows(tx, [w], starts, [e.end], this.auditEvents(w, savedIds, e.end), hold);
        paged = ended.paged;
        return ended.started;
      });
      this.afterCommit([{ w, ...e }], started, paged);
    };
    try {
      await save(null);
      return true;
    } catch (err) {
      const refusal = bundleRefusal(err);
      if (refusal && w.routed) {
        try {
          await save(refusalFailure({ code: refusal.code, reason: refusal.reason }));
          return true;
        } catch (again) {
          await this.saveFailed(w.row, again);
          return false;
        }
      }
      await this.saveFailed(w.row, err);
      return false;
    }
  }

  /**
   * The end of a save's transaction, once its resources are written: the escalation runs its rows
   * start; when this thread holds the delivery service and an urgent row is among them, their first
   * steps fired here too (the page's record commits with the message; `paged` starts its send
   * after the commit); then the rows' outcomes and their audit, which do not wait on each other.
   */
  private async endRows(tx: TransactionSql, work: readonly Work[], starts: readonly EscalationStart[], ends: readonly InboxOutcomeRow[],
    audit: readonly AuditEventInput[], hold: HoldSettings | undefined): Promise<{ started: Started; paged: (() => void) | undefined }> {
    const fire = work.some((w) => w.row.priority > 0) ? this.o.delivery?.fireUrgentIn?.bind(this.o.delivery) : undefined;
    const started = await startEscalations(tx, starts, this.now(), { wakeUrgent: fire === undefined, ...(hold ? { hold } : {}) });
    const paged = fire && started.dueNow > 0 ? await fire(tx) : undefined;
    await Promise.all([markInboxRows(tx, ends), appendAudit(tx, audit)]);
    return { started, paged };
  }

  /** Holding routine runs at their start (startEscalations `hold`): the settings and the schedule at hand, when this worker has both. */
  private async holdSettings(): Promise<HoldSettings | undefined> {
    if (!this.o.hold || !this.o.schedules) return undefined;
    return { ...this.o.hold, compiled: (await this.o.schedules.current())?.compiled };
  }

  /** After the commit: the application ACK never reports work that could still roll back. */
  private afterCommit(ends: readonly { w: Work; appAck: { bytes: Buffer; condition: string } | null; failed: boolean }[], started: Started, paged?: () => void): void {
    paged?.();
    // runs due now: the rounds look at once, and the urgent lane unless this transaction fired the
    // urgent ones itself; runs held for their digest wake no one (every scheduler's next look finds them)
    if (started.dueNow > 0) this.o.delivery?.poke({ urgent: paged === undefined && ends.some((e) => e.w.row.priority > 0) });
    for (const e of ends) {
      if (e.appAck && wantsAppAck(e.appAck.condition, e.failed)) {
        const sent = this.o.appAcks ? this.o.appAcks.deliver(e.w.row.id, e.appAck.bytes) : false;
        if (sent !== undefined) this.o.log.info(sent ? 'app_ack_sent' : 'app_ack_stored_only', { inboxId: e.w.row.id });
      }
      this.o.metrics.processed.inc({ type: metricType(e.w.row.message_type), outcome: e.w.mapped.outcome.kind });
    }
  }

  /** Store trouble: the claim is left to expire and the row retried, until its attempts are used up. */
  private async saveFailed(row: ClaimedInboxRow, e: unknown): Promise<void> {
    this.o.log.error('worker_save_failed', { inboxId: row.id, attempts: row.attempts, errorCode: (e as { code?: string }).code });
    if (row.attempts >= this.o.maxAttempts) {
      const w = { row, mapped: { outcome: { kind: 'failed', code: 'ERR_SAVE_FAILED', reason: '' }, ack: null }, routed: null } satisfies Work;
      await this.o.sql.begin(async (tx) => {
        await markInboxSaveFailed(tx, row.id);
        await appendAudit(tx, this.auditEvents(w, [], { id: row.id, state: 'failed', errorCode: 'ERR_SAVE_FAILED', error: null, mappingReport: null, routing: null, appAck: null }));
      }).catch(() => {});
    }
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

  /** Pure part: raw row -> mapping outcome, in this thread. */
  mapRow(row: Pick<ClaimedInboxRow, 'id' | 'source' | 'raw' | 'received_at'>, idKey: Uint8Array): { outcome: Outcome } {
    return mapInboxRow(row, this.o.config, idKey);
  }

  /** Enhanced mode: the application ACK (AA, or AE with the reason) and MSH-16, which says when to send it. */
  private appAck(facts: AckFacts, failure: string | null): { bytes: Buffer; condition: string } {
    const text = buildAck({
      code: failure ? 'AE' : 'AA', ackControlId: newAckControlId(), now: this.now(), selfApplication: this.o.appName, header: facts.header,
      ...(failure ? { error: { condition: HL7_ERROR.applicationInternalError, text: failure } } : {}),
    });
    return { bytes: encodeHl7(text, facts.charset), condition: facts.applicationAckType };
  }
}

/** The rows that keep their order among themselves: a (sender, patient), or a sender for rows without a patient. */
function orderGroup(row: ClaimedInboxRow): string {
  return `${row.sender_app}\u001f${row.sender_facility}\u001f${row.order_patient ?? ''}`;
}

/** The store refused a row's resources for what is in them (e.g. a Patient identifier two stored Patients share: 412). Final. */
function refusalFailure(r: { code: string; reason: string }): { code: string; reason: string } {
  return { code: `ERR_FHIR_${r.code.toUpperCase().replace(/-/g, '_')}`, reason: `the FHIR store refused the mapped resources: ${r.reason}` };
}
