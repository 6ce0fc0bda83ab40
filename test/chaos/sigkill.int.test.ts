// SIGKILL the gateway in the middle of a stream. The sender does what real interface engines do:
// every message not acknowledged is sent again after the gateway is back. Every message must be
// stored exactly once — on the embedded default, whose PostgreSQL the killed gateway leaves running.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { readAck } from '../../src/hl7/index.js';
import { MllpClient } from '../../src/mllp/index.js';
import { withControlId } from '../support/messages.js';
import { spawnGateway, type GatewayProcess } from '../support/process.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sb-chaos-'));
let current: GatewayProcess | undefined;

afterAll(async () => {
  if (current && current.child.exitCode === null) {
    current.child.kill('SIGTERM');
    await current.exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
});

const TOTAL = 400;
const KILL_AT = 150;

/** One sender connection: sends its messages in order; on any failure waits for the gateway and resends. */
async function sender(ids: string[], gateway: () => Promise<GatewayProcess>, acked: Set<string>, onSent: () => void): Promise<void> {
  let client: MllpClient | undefined;
  for (const id of ids) {
    for (let attempt = 0; ; attempt++) {
      if (attempt > 200) throw new Error(`gave up on ${id}`);
      try {
        if (!client) {
          const gw = await gateway();
          client = new MllpClient({ port: gw.mllpPort, timeoutMs: 10_000 });
          await client.connect();
        }
        const ack = readAck((await client.send(withControlId('spine/oru-r01.hl7', id))).toString('latin1'));
        if (ack.code !== 'AA') throw new Error(`ack ${ack.code}`);
        acked.add(id);
        onSent();
        break;
      } catch {
        client?.close();
        client = undefined;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
  client?.close();
}

describe('chaos: SIGKILL during a stream', () => {
  it('stores every message exactly once after the sender resends what was not acknowledged', async () => {
    current = await spawnGateway({ DATA_DIR: dataDir });
    let restarting: Promise<GatewayProcess> | undefined;
    const gateway = async () => (restarting ? await restarting : current!);
    let sent = 0;
    const acked = new Set<string>();
    const onSent = () => {
      sent++;
      if (sent === KILL_AT && !restarting) {
        const dead = current!;
        dead.child.kill('SIGKILL');
        restarting = dead.exited.then(async () => {
          current = await spawnGateway({ DATA_DIR: dataDir });
          return current;
        });
      }
    };
    const ids = Array.from({ length: TOTAL }, (_, i) => `CHAOS${i}`);
    await Promise.all([0, 1, 2].map((k) => sender(ids.filter((_, i) => i % 3 === k), gateway, acked, onSent)));
    expect(acked.size).toBe(TOTAL);
    expect(restarting).toBeDefined();
    const restarted = await restarting!;
    expect(restarted.log.some((l) => l.includes('embedded_pg_adopted'))).toBe(true);

    // read the store through the restarted gateway's embedded server
    const state = JSON.parse((await import('node:fs')).readFileSync(path.join(dataDir, 'embedded-pg.json'), 'utf8')) as { port: number; password: string };
    const sql = postgres(`postgres://postgres:${encodeURIComponent(state.password)}@127.0.0.1:${state.port}/postgres`, { max: 1 });
    const rows = await sql<{ control_id: string; n: number }[]>`SELECT control_id, count(*)::int AS n FROM inbox WHERE control_id LIKE 'CHAOS%' GROUP BY control_id`;
    await sql.end();
    expect(rows).toHaveLength(TOTAL);
    expect(rows.every((r) => r.n === 1)).toBe(true);
  }, 120_000);
});
