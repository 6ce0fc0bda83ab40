/**
 * ScheduleService: the compiled schedule of the current stored version, for the worker (route a
 * message) and the API (who is on call). It reloads when another writer saves: a NOTIFY on
 * `switchboard_schedule` (or a LISTEN reconnect, when notifications may have been missed) marks
 * it stale, and a stale or unlistened service checks the stored version — one index lookup —
 * before answering. The answer never comes from a version older than the last notification.
 */
import { listenScheduleSaves, type Sql } from '../store/index.js';
import { compileSchedule, err, oncall, routeMessage, type CompiledSchedule, type MessageAttributes, type OncallResult, type Result, type RouteDecision, type RoutingError } from '../routing/index.js';
import { storeError, StoredScheduleCorrupt, type ScheduleStoreError } from './errors.js';
import { InlineJobs, type ScheduleJobs } from './jobs/pool.js';
import { DEFAULT_SCHEDULE_LIMITS, type ScheduleLimits } from './limits.js';
import { DEFAULT_SCHEDULE_ID, loadScheduleDocument, storedVersion } from './schedule-store.js';

export interface CurrentSchedule {
  readonly version: number;
  readonly compiled: CompiledSchedule;
}

export type ServiceError = RoutingError | ScheduleStoreError;

export interface ScheduleServiceOptions {
  readonly sql: Sql;
  /** Document id; default `default`. */
  readonly id?: string;
  /** Where schedule changes are checked and feeds expanded (default: this thread; the gateway passes WorkerJobs). */
  readonly jobs?: ScheduleJobs;
  /**
   * Where a changed stored schedule is validated before it is compiled here (default: this
   * thread). Its own worker in the gateway: a reload must never wait behind a slow import.
   */
  readonly loadJobs?: ScheduleJobs;
  /** Limits on every change (default DEFAULT_SCHEDULE_LIMITS). */
  readonly limits?: ScheduleLimits;
}

export class ScheduleService {
  private readonly sql: Sql;
  private readonly id: string;
  /** Used by the HTTP routes for every change of this document. */
  readonly jobs: ScheduleJobs;
  readonly limits: ScheduleLimits;
  private readonly loadJobs: ScheduleJobs;
  private cached: CurrentSchedule | undefined;
  /** True until a LISTEN is active and nothing was notified since the last check. */
  private stale = true;
  private listening: { unlisten(): Promise<void> } | undefined;
  private inflight: Promise<CurrentSchedule | undefined> | undefined;

  constructor(opts: ScheduleServiceOptions) {
    this.sql = opts.sql;
    this.id = opts.id ?? DEFAULT_SCHEDULE_ID;
    this.jobs = opts.jobs ?? new InlineJobs();
    this.loadJobs = opts.loadJobs ?? new InlineJobs();
    this.limits = opts.limits ?? DEFAULT_SCHEDULE_LIMITS;
  }

  /** LISTEN for saves. Without it every call checks the stored version (still cheap). */
  async start(): Promise<void> {
    if (this.listening) return;
    this.listening = await listenScheduleSaves(
      this.sql,
      this.id,
      () => {
        this.stale = true;
      },
      // called on every (re)connect: notifications sent while disconnected are lost, so re-check
      () => {
        this.stale = true;
      },
    );
  }

  async stop(): Promise<void> {
    const l = this.listening;
    this.listening = undefined;
    this.stale = true;
    if (l) await l.unlisten();
  }

  /** A write in this process: re-check before the next answer (other processes hear the NOTIFY). */
  invalidate(): void {
    this.stale = true;
  }

  /** The compiled current version, or undefined when no schedule is stored. */
  async current(): Promise<CurrentSchedule | undefined> {
    // not while a check is in flight: it cleared `stale` before reading, and until it is done
    // `cached` is still the previous answer (at start: none, which would read as "no schedule")
    if (this.listening && !this.stale && this.inflight === undefined) return this.cached;
    // concurrent callers share one check
    this.inflight ??= this.refresh().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async refresh(): Promise<CurrentSchedule | undefined> {
    // cleared before reading, so a notification arriving during the read marks it stale again
    this.stale = false;
    const version = await storedVersion(this.sql, this.id);
    if (version === undefined) {
      this.cached = undefined;
      return undefined;
    }
    if (this.cached?.version === version) return this.cached;
    const stored = await loadScheduleDocument(this.sql, this.id);
    if (stored === undefined) {
      this.cached = undefined;
      return undefined;
    }
    // Validating the stored document (the schema walk is most of the cost of a big one) runs in
    // the jobs' thread; compiling (closures: cannot cross threads) runs here. The stored size was
    // checked when it was saved.
    const checked = await this.loadJobs.check({
      document: stored.document,
      limits: { ...this.limits, maxBytes: Number.MAX_SAFE_INTEGER },
      documentId: this.id,
      nowMs: 0,
      view: false,
    });
    if (!checked.ok) {
      // every write checked this document: invalid now means the row was edited behind our back
      if (checked.error.code === 'ERR_SCHEDULE_INVALID' || checked.error.code === 'ERR_SCHEDULE_REFERENCE') {
        throw new StoredScheduleCorrupt(this.id, checked.error.issues);
      }
      this.stale = true;
      throw new Error(`schedule version ${version} could not be loaded now (${checked.error.code})`);
    }
    const compiled = compileSchedule(checked.value.schedule);
    if (!compiled.ok) throw new StoredScheduleCorrupt(this.id, compiled.error.issues);
    this.cached = { version: stored.version, compiled: compiled.value };
    return this.cached;
  }

  private notStored(): ScheduleStoreError {
    return storeError('ERR_SCHEDULE_NOT_FOUND', 'no on-call schedule is stored');
  }

  /** Who is on call for `role` at `atMs` (epoch ms), with the schedule version it came from. */
  async oncall(role: string, atMs: number): Promise<Result<OncallResult & { readonly scheduleVersion: number }, ServiceError>> {
    const cur = await this.current();
    if (cur === undefined) return err(this.notStored());
    const r = oncall(cur.compiled, role, atMs);
    return r.ok ? { ok: true, value: { ...r.value, scheduleVersion: cur.version } } : r;
  }

  /** Route a message's attributes at `nowMs`, with the schedule version the decision came from. */
  async route(attrs: MessageAttributes, nowMs: number): Promise<Result<RouteDecision & { readonly scheduleVersion: number }, ServiceError>> {
    const cur = await this.current();
    if (cur === undefined) return err(this.notStored());
    const r = routeMessage(cur.compiled, attrs, nowMs);
    return r.ok ? { ok: true, value: { ...r.value, scheduleVersion: cur.version } } : r;
  }
}
