// The database dies while the gateway's pool is reconnecting — the moment a new connection runs its
// first statement (postgres.js's array-type query) — under MLLP load, against a gateway process.
// A proxy makes that moment happen every time (a killed server reaches it only by chance: the
// chaos test's kill cycles, now and then). While the store is away every message is answered AE
// within the ACK budget; the process never exits; once the store answers again, AA, without a
// restart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readAck } from '../../src/hl7/index.js';
import { MllpClient } from '../../src/mllp/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { withControlId } from '../support/messages.js';
import { PgProxy } from '../support/pg-proxy.js';
import { spawnGateway, type GatewayProcess } from '../support/process.js';

/** An answer saying the store is away comes within this, ms (the chaos test's budget). */
const ANSWER_BUDGET_MS = Number(process.env.FAULT_BUDGET_MS ?? 1000);
const OUTAGE_MS = 2000;

const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-reconnect-'));
let db: TestDatabase;
let proxy: PgProxy;
let gw: GatewayProcess;

beforeAll(async () => {
  db = await createTestDatabase({ migrate: false });
  proxy = await PgProxy.start(db.url);
  gw = await spawnGateway({ DATABASE_URL: proxy.url(db.url), DATA_DIR: path.join(dir, 'gw'), DEV_NO_AUTH: '1', WORKER_CONCURRENCY: '1' });
}, 60_000);
afterAll(async () => {
  if (gw && gw.child.exitCode === null) { gw.child.kill('SIGTERM'); await gw.exited; }
  await proxy?.close();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends until stopped; every answer with how long it took. */
function sender(tag: string) {
  const answers: { code: string; ms: number }[] = [];
  let stopped = false;
  const running = (async () => {
    let c: MllpClient | undefined;
    for (let i = 0; !stopped; i++) {
      const t0 = performance.now();
      try {
        if (!c) { c = new MllpClient({ port: gw.mllpPort, timeoutMs: 5000 }); await c.connect(); }
        const code = readAck((await c.send(withControlId('spine/adt-a01.hl7', `${tag}-${i}`))).toString('latin1')).code;
        answers.push({ code, ms: performance.now() - t0 });
        if (code !== 'AA') await sleep(20);
      } catch {
        answers.push({ code: 'NO_ANSWER', ms: performance.now() - t0 });
        c?.close();
        c = undefined;
        await sleep(20);
      }
    }
    c?.close();
  })();
  return { answers, stop: async () => { stopped = true; await running; } };
}

async function sendOne(id: string): Promise<string> {
  const c = new MllpClient({ port: gw.mllpPort, timeoutMs: 5000 });
  await c.connect();
  try {
    return readAck((await c.send(withControlId('spine/adt-a01.hl7', id))).toString('latin1')).code;
  } finally {
    c.close();
  }
}

describe('chaos: the database dies while the pool reconnects', () => {
  it('answers AE within the budget during the outage, AA after it, and the process lives', async () => {
    expect(await sendOne('RC-BEFORE')).toBe('AA');
    const load = [sender('RC-A'), sender('RC-B')];
    await sleep(200);
    // the server "dies": open connections are reset, and every new one dies at its first statement
    proxy.mode = 'reset-at-types';
    proxy.cutAll();
    await sleep(OUTAGE_MS);
    await Promise.all(load.map((l) => l.stop()));
    const answers = load.flatMap((l) => l.answers);
    const failedStarts = proxy.failed;
    proxy.mode = 'pass';

    expect(gw.child.exitCode, 'the gateway process lives').toBeNull();
    expect(gw.log.filter((l) => /unhandled_rejection|uncaught_exception|shutdown_started/.test(l))).toEqual([]);
    // the outage reached connections while they started, and was said: AE, each within the budget
    expect(failedStarts).toBeGreaterThan(0);
    expect(answers.filter((a) => a.code === 'AE').length).toBeGreaterThan(0);
    expect(answers.filter((a) => a.code === 'NO_ANSWER' || (a.code !== 'AA' && a.ms > ANSWER_BUDGET_MS))).toEqual([]);

    // back: stored again without a restart
    let code = '';
    const t0 = performance.now();
    for (let i = 0; code !== 'AA' && performance.now() - t0 < 15_000; i++) {
      code = await sendOne(`RC-AFTER-${i}`).catch(() => 'NO_ANSWER');
      if (code !== 'AA') await sleep(100);
    }
    expect(code).toBe('AA');
    expect((await fetch(`http://127.0.0.1:${gw.httpPort}/readyz`)).status).toBe(200);
    expect(gw.child.exitCode).toBeNull();
  }, 60_000);
});
