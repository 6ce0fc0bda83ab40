// Messages and workers for the pipeline tests (synthetic data only). A sender (MSH-3) always sends
// with the same MSH-4, so its ADT and ORU feeds are one sender's.
import { InboxWorker, type StageTimes } from '../../src/pipeline/worker.js';
import { InboxWriter } from '../../src/ingest/inbox-writer.js';
import { Hl7Intake } from '../../src/ingest/hl7-intake.js';
import type { RowMapper } from '../../src/pipeline/map-pool.js';
import { createMetrics } from '../../src/obs/metrics.js';
import { silentLogger } from '../../src/obs/log.js';
import { DEFAULT_SITE_CONFIG } from '../../src/mapping/index.js';
import type { ScheduleService } from '../../src/oncall/index.js';
import type { Sql } from '../../src/store/db.js';

export const ID_KEY = new Uint8Array(32).fill(7);
const TS = '20261104023000-0500';

export function adt(o: { control: string; sender: string; mrn: string; event: 'A01' | 'A08'; family: string; ts?: string }): Buffer {
  return Buffer.from([
    `MSH|^~\\&|${o.sender}|${o.sender}FAC|SWITCHBOARD|GENHOSP|${o.ts ?? TS}||ADT^${o.event}^ADT_A01|${o.control}|P|2.5.1`,
    `EVN|${o.event}|${o.ts ?? TS}`,
    `PID|1||${o.mrn}^^^GENHOSP^MR||${o.family}^JORDAN||19751201|M`,
    `PV1|1|I|3E^310^B^GENHOSP||||2222^HOSPITALIST^SAM^^^DR|||MED||||7|||2222^HOSPITALIST^SAM^^^DR|IN|V${o.mrn}`,
  ].join('\r') + '\r', 'latin1');
}

export function oru(o: { control: string; sender: string; mrn: string; order: string; status?: 'P' | 'F'; critical?: boolean; obx?: number; ts?: string }): Buffer {
  const n = o.obx ?? 3;
  const obx = Array.from({ length: n }, (_, i) =>
    `OBX|${i + 1}|NM|${2800 + i}-${i % 10}^Test ${i}^LN||${o.critical && i === 0 ? '6.9' : '4.2'}|mmol/L^mmol/L^UCUM|3.5-5.1|${o.critical && i === 0 ? 'HH' : 'N'}|||${o.status ?? 'F'}|||20261104014500-0500`);
  return Buffer.from([
    `MSH|^~\\&|${o.sender}|${o.sender}FAC|SWITCHBOARD|GENHOSP|${o.ts ?? TS}||ORU^R01^ORU_R01|${o.control}|P|2.5.1`,
    `PID|1||${o.mrn}^^^GENHOSP^MR||TESTPATIENT^ALEX||19800229|F`,
    `ORC|RE|${o.order}|F${o.order}||CM||||20261104020000-0500`,
    `OBR|1|${o.order}|F${o.order}|24323-8^Comprehensive metabolic panel^LN|||20261104014500-0500||||||||||||||20261104022900-0500|||${o.status ?? 'F'}`,
    ...obx,
  ].join('\r') + '\r', 'latin1');
}

export function intakeOn(sql: Sql): Hl7Intake {
  return new Hl7Intake({ sql, writer: new InboxWriter(sql, { maxBatch: 64 }), metrics: createMetrics(), log: silentLogger, appName: 'SWITCHBOARD' });
}

export async function store(intake: Hl7Intake, msg: Buffer): Promise<string> {
  const r = await intake.receive(msg, { source: 'mllp', peer: null });
  if (r.outcome !== 'accepted') throw new Error(`not accepted: ${r.ack.toString('latin1')}`);
  return r.ids[0]!;
}

export function workerOn(sql: Sql, o: { batch?: number; mapper?: RowMapper; schedules?: ScheduleService | null; maxAttempts?: number; now?: () => Date; claimMs?: number; minPriority?: number; lane?: InboxWorker; onStages?: (s: StageTimes) => void; pollMs?: number; gatherMs?: number } = {}): InboxWorker {
  return new InboxWorker({
    sql, config: DEFAULT_SITE_CONFIG, log: silentLogger, metrics: createMetrics(), claimMs: o.claimMs ?? 60_000, pollMs: o.pollMs ?? 20, maxAttempts: o.maxAttempts ?? 3,
    ...(o.gatherMs !== undefined ? { gatherMs: o.gatherMs } : {}),
    appName: 'SWITCHBOARD', schedules: o.schedules ?? null, batch: o.batch ?? 8, idKey: ID_KEY, ...(o.mapper ? { mapper: o.mapper } : {}), ...(o.now ? { now: o.now } : {}),
    ...(o.minPriority ? { minPriority: o.minPriority } : {}), ...(o.lane ? { lane: o.lane } : {}), ...(o.onStages ? { onStages: o.onStages } : {}),
  });
}

/** Runs the workers until no row is pending (a worker that finds nothing claimable waits for the others). */
export async function drainAll(sql: Sql, workers: InboxWorker[]): Promise<void> {
  const pending = async () => (await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM inbox WHERE state IN ('received', 'processing')`)[0]!.n;
  await Promise.all(workers.map(async (w) => {
    for (let idle = 0; idle < 10_000; ) {
      if ((await w.processBatch()) > 0) { idle = 0; continue; }
      if ((await pending()) === 0) return;
      idle++;
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error('rows stayed pending');
  }));
}
