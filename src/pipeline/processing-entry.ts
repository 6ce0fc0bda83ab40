// The processing thread's entry (started by processing-thread.ts): installs the PHI keyring and the
// audit key before anything is written, opens its own pool on the store's runtime connection, its
// own schedule service and mapping pool, runs the routine InboxWorkers, and posts back what must
// happen on the main thread (delivery pokes, application ACKs, counters, log lines).
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { PHI_KEYS_CHANNEL, connect, isUnavailable } from '../store/index.js';
import { Keyring, installKeyring, phiKeyring, pooledRandom, reloadKeyring, reloadKeysSync } from '../crypto/index.js';
import { auditKeys, configureAuditKey } from '../audit/index.js';
import { ScheduleService, WorkerJobs } from '../oncall/index.js';
import type { Logger } from '../obs/index.js';
import { lowerThisThread } from '../threads/index.js';
import { InboxWorker, type WorkerMetrics } from './worker.js';
import { MapPool } from './map-pool.js';
import { SharedLane } from './shared-lane.js';
import type { FromThread, ProcessingWorkerData, ToThread } from './processing-thread.js';

/** Counter increments are posted at most this often, ms: a few messages a second, not one per row. */
const COUNTS_FLUSH_MS = 100;
/** Waits between tries of a start-up step while the store cannot be reached, ms (doubling). */
const SETUP_RETRY_MS = { first: 250, max: 5_000 };

/**
 * A start-up step that needs the store (a LISTEN), tried until the store answers: a thread started
 * (or restarted) while the store is away waits for it, as the main thread's intake does, instead of
 * dying at once and again at every restart. Any other failure ends the thread.
 */
async function whenReachable<T>(step: () => Promise<T>): Promise<T> {
  for (let wait = SETUP_RETRY_MS.first; ; wait = Math.min(SETUP_RETRY_MS.max, wait * 2)) {
    try {
      return await step();
    } catch (e) {
      if (!isUnavailable(e)) throw e;
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

/** The workers' counters, tallied here and posted to the main thread's registry in batches. */
class CountTally implements WorkerMetrics {
  private readonly p = new Map<string, [string, string, number]>();
  private readonly r = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly post: (m: FromThread) => void) {}

  readonly processed = {
    inc: (l: { type: string; outcome: string }) => {
      const k = `${l.type}\u001f${l.outcome}`;
      const e = this.p.get(k);
      if (e) e[2]++;
      else this.p.set(k, [l.type, l.outcome, 1]);
      this.later();
    },
  };

  readonly routed = {
    inc: (l: { outcome: string }) => {
      this.r.set(l.outcome, (this.r.get(l.outcome) ?? 0) + 1);
      this.later();
    },
  };

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.p.size === 0 && this.r.size === 0) return;
    this.post({ t: 'counts', processed: [...this.p.values()], routed: [...this.r] });
    this.p.clear();
    this.r.clear();
  }

  private later(): void {
    this.timer ??= setTimeout(() => this.flush(), COUNTS_FLUSH_MS);
  }
}

async function main(port: MessagePort, d: ProcessingWorkerData): Promise<void> {
  const post = (m: FromThread) => port.postMessage(m);
  const line = (level: 'debug' | 'info' | 'warn' | 'error') => (event: string, fields?: Record<string, string | number | boolean | undefined>) => post({ t: 'log', level, event, ...(fields ? { fields } : {}) });
  const log: Logger = { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
  // routine work yields the cores to intake, the critical lane and delivery when they need them
  if (d.workers.nice > 0 && !lowerThisThread(d.workers.nice)) log.info('processing_thread_priority_unchanged', { nice: d.workers.nice });
  // fail closed: the keys and the audit key before the first statement
  const keys = d.keys;
  const keySource = d.keySource;
  installKeyring(
    new Keyring({ keys: keys.keys.map((k) => ({ id: k.id, key: Buffer.from(k.key) })), active: keys.active, searchKey: Buffer.from(keys.searchKey), random: pooledRandom() }),
    keySource ? () => reloadKeysSync(keySource) : undefined,
  );
  configureAuditKey(auditKeys(d.auditKeyHex, undefined).current);
  const sql = connect(d.db.url, { max: d.db.max, name: d.db.name, ...d.db.timeouts });
  const closers: (() => Promise<unknown>)[] = [() => sql.end({ timeout: 5 })];
  const close = async () => { for (const c of closers.reverse()) await c().catch(() => {}); };
  try {
    // `keys rotate` (any process) says a key was added: seal under it from now on, as the main thread does
    if (keySource) await whenReachable(() => sql.listen(PHI_KEYS_CHANNEL, () => { if (reloadKeyring()) log.info('phi_keys_reloaded', { keyId: phiKeyring().activeId, mode: 'processing_thread' }); }));
    let schedules: ScheduleService | null = null;
    if (d.route) {
      const loadJobs = new WorkerJobs({ timeoutMs: d.scheduleLimits.jobTimeoutMs });
      closers.push(() => loadJobs.close());
      schedules = new ScheduleService({ sql, loadJobs, limits: d.scheduleLimits });
      const s = schedules;
      await whenReachable(() => s.start());
      closers.push(() => s.stop());
    }
    const w = d.workers;
    const mapper = new MapPool({ config: d.siteConfig, idKey: d.idKey, threads: w.mapThreads, budgetMs: w.mapBudgetMs, log, nice: w.nice });
    closers.push(() => mapper.close());
    const counts = new CountTally(post);
    const lane = d.lane ? new SharedLane(d.lane) : undefined;
    const workers = Array.from({ length: w.concurrency }, () => new InboxWorker({
      sql, config: d.siteConfig, log, metrics: counts, claimMs: w.claimMs, pollMs: w.pollMs, maxAttempts: w.maxAttempts, appName: w.appName,
      batch: w.batch, gatherMs: w.gatherMs, schedules, idKey: d.idKey, mapper, inlineMaxBytes: w.inlineMaxBytes, ...(d.hold ? { hold: d.hold } : {}),
      // the sockets are the main thread's: it sends the ACK and logs whether it could
      appAcks: { deliver: (inboxId, bytes) => { post({ t: 'appAck', inboxId, bytes }); return undefined; } },
      delivery: { poke: (what) => post({ t: 'delivery', ...(what ? { urgent: what.urgent } : {}) }) },
      ...(lane ? { lane } : {}),
      ...(d.stages ? { onStages: (s) => post({ t: 'stages', s }) } : {}),
    }));
    const pokes = new Int32Array(d.pokes);
    let stopping: Promise<void> | undefined;
    port.on('message', (m: ToThread) => {
      if (m.t === 'poke') {
        Atomics.store(pokes, 0, 0); // read: the next store's poke is posted again
        for (const x of workers) x.poke();
      } else if (m.t === 'stop') {
        stopping ??= (async () => {
          // each worker finishes its round; then the counters, the pool and the threads go
          await Promise.all(workers.map((x) => x.stop()));
          counts.flush();
          await close();
          post({ t: 'stopped' });
          process.exit(0);
        })();
      }
    });
    for (const x of workers) await whenReachable(() => x.start());
    closers.push(async () => { await Promise.all(workers.map((x) => x.stop())); });
    post({ t: 'ready' });
  } catch (e) {
    await close();
    throw e;
  }
}

if (parentPort !== null) await main(parentPort, workerData as ProcessingWorkerData);
