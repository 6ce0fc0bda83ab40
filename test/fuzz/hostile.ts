// `npm run fuzz -- hostile [--strict]`: the hostile-input scenario of test/hostile (the must-show
// test) against a gateway process on a fresh database, printing per item its answer, /healthz
// max/p99, the gateway's worst event-loop delay and VmHWM, against the goals (/healthz < 100 ms,
// VmHWM < 300 MB). Exits 1 when an item gets the wrong answer or the gateway does not shut down
// cleanly; with --strict also when a goal is missed.
import postgres from 'postgres';
import { adminUrl, freshDatabase } from '../../bench/db.js';
import { startTarget, type GatewayTarget } from './gateway-target.js';
import { formatItem, formatSummary, HEALTHZ_GOAL_MS, RSS_GOAL_MB, runHostile } from '../hostile/scenario.js';

export async function run(args: string[]): Promise<number> {
  const db = await freshDatabase(adminUrl());
  const sql = postgres(db.url, { max: 2, onnotice: () => {} });
  let t: GatewayTarget | undefined;
  try {
    t = await startTarget(db.url);
    console.log(`hostile input against a gateway process (pid ${t.gw.child.pid}); goals: /healthz < ${HEALTHZ_GOAL_MS} ms, VmHWM < ${RSS_GOAL_MB} MB`);
    const report = await runHostile(t, sql, { onItem: (f) => console.log(formatItem(f)) });
    console.log(formatSummary(report));
    const events = new Map<string, number>();
    for (const line of t.gw.log) {
      try {
        const ev = JSON.parse(line) as { level?: string; event?: string; code?: string; errorCode?: string };
        if (ev.level === 'warn' || ev.level === 'error') {
          const k = [ev.level, ev.event, ev.code ?? ev.errorCode].filter(Boolean).join(' ');
          events.set(k, (events.get(k) ?? 0) + 1);
        }
      } catch { /* not JSON */ }
    }
    console.log(`gateway warnings and errors: ${[...events].map(([k, n]) => `${k} x${n}`).join(', ') || '-'}`);
    const code = await t.stop();
    t = undefined;
    const wrong = report.items.filter((i) => !i.meets).length;
    const missed = report.healthz.maxMs >= HEALTHZ_GOAL_MS || report.healthz.failed > 0 || !(report.peakRssMb < RSS_GOAL_MB);
    console.log(`${wrong} wrong answers; clean shutdown: ${code === 0 ? 'yes' : `no (${code})`}; goals ${missed ? 'missed' : 'met'}`);
    return wrong || code !== 0 || (missed && args.includes('--strict')) ? 1 : 0;
  } finally {
    await t?.stop();
    await sql.end();
    await db.drop();
  }
}
