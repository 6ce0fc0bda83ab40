// The audit trail's cost, over a fresh database on the machine's PostgreSQL:
//   append:  a small write transaction (one row into a scratch table, as a receipt would) alone,
//            then with one audit event recorded in it, at 1 and 8 connections: transactions per
//            second with and without, and the cost added per transaction
//   writer:  the HTTP middleware's path — AuditWriter group commit, 8 / 64 concurrent requests
//   seal:    the sealer chaining what was recorded: events per second
//   verify:  `audit verify` over BENCH_AUDIT_ROWS rows (default 100,000): rows per second
import { connect, type TransactionSql } from '../src/store/db.js';
import { migrate } from '../src/store/migrate.js';
import { appendAudit, AuditWriter, sealAll, verifyAuditChain, type AuditEventInput } from '../src/audit/index.js';
import { adminUrl, freshDatabase } from './db.js';
import { fmt } from './stats.js';

const ROWS = Number(process.env.BENCH_AUDIT_ROWS ?? 100_000);
const TX_SECONDS = Number(process.env.BENCH_AUDIT_SECONDS ?? 1);
const ROUNDS = Number(process.env.BENCH_AUDIT_ROUNDS ?? 7);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const event = (i: number): AuditEventInput => ({
  at: new Date(), actor: `dr-${i % 50}`, actorKind: 'practitioner', action: 'U', type: 'delivery.acknowledged', entityType: 'CommunicationRequest',
  entityIds: [`cr-${i}`, `Communication/n-${i}`], patient: `p-${i % 1000}`, outcome: 'success', outcomeCode: 'inbox', source: null, requestId: null,
});

async function timed(seconds: number, workers: number, work: (i: number) => Promise<void>): Promise<number> {
  const until = Date.now() + seconds * 1000;
  let n = 0;
  await Promise.all(Array.from({ length: workers }, async () => {
    while (Date.now() < until) await work(n++);
  }));
  return n / seconds;
}

export async function run(): Promise<void> {
  const db = await freshDatabase(adminUrl());
  const sql = connect(db.url, { max: 70 });
  try {
    await migrate(sql);
    await sql`CREATE TABLE bench_work (id bigserial PRIMARY KEY, at timestamptz NOT NULL, note text)`;

    // the machine is shared and noisy: without and with alternate in short rounds, medians compared
    console.log(`(medians of ${ROUNDS} alternating ${TX_SECONDS} s rounds)`);
    console.log(`| statements in the tx | connections | tx/s without audit | tx/s with 1 audit event | ratio | added per tx (ms) |`);
    console.log('|---|---|---|---|---|---|');
    for (const [k, c] of [[1, 1], [1, 8], [5, 1], [5, 8]] as const) {
      const work = async (tx: TransactionSql) => { for (let j = 0; j < k; j++) await tx`INSERT INTO bench_work (at, note) VALUES (now(), 'x')`; };
      const base: number[] = [];
      const audited: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        base.push(await timed(TX_SECONDS, c, async () => { await sql.begin((tx) => work(tx)); }));
        audited.push(await timed(TX_SECONDS, c, async (i) => { await sql.begin(async (tx) => { await work(tx); await appendAudit(tx, [event(i)]); }); }));
      }
      const b = median(base);
      const a = median(audited);
      console.log(`| ${k} | ${c} | ${fmt(b)} | ${fmt(a)} | ${fmt(a / b, 2)} | ${fmt((1000 * c) / a - (1000 * c) / b, 3)} |`);
    }

    for (const c of [8, 64]) {
      const writer = new AuditWriter(sql);
      const rate = await timed(3, c, async (i) => { await writer.append(event(i)); });
      console.log(`AuditWriter (HTTP path), ${c} concurrent requests: ${fmt(rate)} events/s committed`);
    }

    // everything recorded so far, sealed; then fill up to ROWS and seal that
    const s0 = process.hrtime.bigint();
    const sealedNow = await sealAll(sql);
    const ss = Number(process.hrtime.bigint() - s0) / 1e9;
    console.log(`seal: ${fmt(sealedNow)} recorded events chained in ${fmt(ss, 2)} s (${fmt(sealedNow / ss)} events/s)`);
    const [{ n } = { n: 0 }] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM audit_event`;
    for (let have = n; have < ROWS; have += 1000) {
      const k = Math.min(1000, ROWS - have);
      await sql.begin((tx) => appendAudit(tx, Array.from({ length: k }, (_, i) => event(have + i))));
    }
    await sealAll(sql);
    const v0 = process.hrtime.bigint();
    const report = await verifyAuditChain(sql, { keys: [] });
    const vs = Number(process.hrtime.bigint() - v0) / 1e9;
    console.log(`verify: ${fmt(report.checked)} rows in ${fmt(vs, 2)} s (${fmt(report.checked / vs)} rows/s; ${fmt((vs * 100_000) / report.checked, 2)} s per 100k rows), ok=${report.ok}`);
  } finally {
    await sql.end({ timeout: 2 });
    await db.drop();
  }
}
