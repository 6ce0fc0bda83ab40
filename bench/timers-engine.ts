// One timer engine in its own process (so its CPU is its own), driven by bench/timers.ts:
//   node --import tsx bench/timers-engine.ts ENGINE DATABASE_URL OPTIONS_JSON
// It schedules N timers, runs the engine's worker, and prints one JSON line:
//   idle:     N timers due in an hour, nothing due: process CPU (% of a core) and the database's
//             transactions per second over the window (what polling costs the server)
//   lateness: N timers due over the next SPREAD seconds: fire time minus due time of each
import postgres from 'postgres';

type Mode = 'idle' | 'lateness';
interface Options { mode: Mode; n: number; spreadS: number; idleS: number; poll?: number; concurrency?: number; batch?: number }

const [engine, url, optsJson] = process.argv.slice(2);
const o = JSON.parse(optsJson ?? '{}') as Options;
const admin = postgres(url!, { max: 1, onnotice: () => {} });

const dueTimes = (now: number): number[] =>
  o.mode === 'idle'
    ? Array.from({ length: o.n }, (_, i) => now + 3_600_000 + i)
    : Array.from({ length: o.n }, (_, i) => now + 3_000 + Math.floor((i / o.n) * o.spreadS * 1000));

interface Engine {
  schedule(due: number[]): Promise<void>;
  start(onFire: (due: number) => void): Promise<void>;
  stop(): Promise<void>;
}

/** Our table: due_at indexed, claimed FOR UPDATE SKIP LOCKED in batches, sleep until the earliest, LISTEN/NOTIFY to wake early. */
function ownTable(): Engine {
  const sql = postgres(url!, { max: 4, onnotice: () => {} });
  let stopped = false;
  let wake: (() => void) | undefined;
  let loop: Promise<void> | undefined;
  let listener: { unlisten(): Promise<void> } | undefined;
  return {
    async schedule(due) {
      await sql`CREATE TABLE IF NOT EXISTS bench_timer (id bigserial PRIMARY KEY, due_at timestamptz NOT NULL, fired boolean NOT NULL DEFAULT false)`;
      await sql`CREATE INDEX IF NOT EXISTS bench_timer_due ON bench_timer (due_at) WHERE NOT fired`;
      await sql`INSERT INTO bench_timer (due_at) SELECT to_timestamp(x / 1000.0) FROM unnest(${due}::float8[]) AS x`;
      await sql`SELECT pg_notify('bench_timer', '')`;
    },
    async start(onFire) {
      listener = await sql.listen('bench_timer', () => wake?.());
      loop = (async () => {
        while (!stopped) {
          const fired = await sql.begin(async (tx) => {
            const rows = await tx<{ due_at: Date }[]>`
              UPDATE bench_timer SET fired = true WHERE id IN (
                SELECT id FROM bench_timer WHERE NOT fired AND due_at <= ${new Date()} ORDER BY due_at LIMIT 200 FOR UPDATE SKIP LOCKED)
              RETURNING due_at`;
            return rows;
          });
          for (const r of fired) onFire(r.due_at.getTime());
          if (fired.length > 0) continue;
          const [next] = await sql<{ at: Date | null }[]>`SELECT min(due_at) AS at FROM bench_timer WHERE NOT fired`;
          const ms = next?.at ? Math.max(0, next.at.getTime() - Date.now()) : 5_000;
          await new Promise<void>((r) => { const t = setTimeout(r, Math.min(ms, 5_000)); wake = () => { clearTimeout(t); r(); }; });
        }
      })();
    },
    async stop() {
      stopped = true;
      wake?.();
      await loop;
      await listener?.unlisten();
      await sql.end();
    },
  };
}

async function graphile(): Promise<Engine> {
  const { run, runMigrations } = await import('graphile-worker');
  let runner: Awaited<ReturnType<typeof run>> | undefined;
  const { Logger } = await import('graphile-worker');
  const logger = new Logger(() => () => {});
  return {
    async schedule(due) {
      await runMigrations({ connectionString: url!, logger });
      await admin`SELECT graphile_worker.add_job('t', json_build_object('due', x), run_at := to_timestamp(x / 1000.0)) FROM unnest(${due}::float8[]) AS x`;
    },
    async start(onFire) {
      runner = await run({
        connectionString: url!, concurrency: o.concurrency ?? 10, pollInterval: o.poll ?? 2000, logger, noHandleSignals: true,
        taskList: { t: async (payload) => { onFire((payload as { due: number }).due); } },
      });
    },
    async stop() {
      await runner?.stop();
    },
  };
}

async function pgBoss(): Promise<Engine> {
  const { default: PgBoss } = await import('pg-boss');
  const boss = new PgBoss({ connectionString: url!, max: 4 });
  boss.on('error', () => {});
  return {
    async schedule(due) {
      await boss.start();
      await boss.createQueue('t');
      for (let i = 0; i < due.length; i += 1000) {
        await boss.insert(due.slice(i, i + 1000).map((d) => ({ name: 't', data: { due: d }, startAfter: new Date(d) })));
      }
    },
    async start(onFire) {
      await boss.work('t', { pollingIntervalSeconds: o.poll ?? 2, batchSize: o.batch ?? 100 }, async (jobs) => {
        for (const j of jobs) onFire((j.data as { due: number }).due);
      });
    },
    async stop() {
      await boss.stop({ graceful: false, wait: true });
    },
  };
}

async function main(): Promise<void> {
  const e = engine === 'own' ? ownTable() : engine === 'graphile' ? await graphile() : engine === 'pgboss' ? await pgBoss() : undefined;
  if (!e) throw new Error(`unknown engine ${engine}`);
  const due = dueTimes(Date.now());
  await e.schedule(due);
  const lateness: number[] = [];
  await e.start((d) => lateness.push(Date.now() - d));
  if (o.mode === 'idle') {
    await new Promise((r) => setTimeout(r, 3_000)); // past start-up work
    const xacts = async () => Number((await admin<{ n: string }[]>`SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()`)[0]!.n);
    const x0 = await xacts();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, o.idleS * 1000));
    const c = process.cpuUsage(c0);
    const secs = (performance.now() - t0) / 1000;
    const x1 = await xacts();
    await e.stop();
    console.log(JSON.stringify({ cpuPct: ((c.user + c.system) / 1e6 / secs) * 100, xactPerS: (x1 - x0 - 1) / secs, fired: lateness.length }));
  } else {
    const deadline = Date.now() + o.spreadS * 1000 + 60_000;
    while (lateness.length < o.n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await e.stop();
    console.log(JSON.stringify({ lateness }));
  }
  await admin.end();
}

main().then(() => process.exit(0), (err: unknown) => {
  console.error(err);
  process.exit(1);
});
