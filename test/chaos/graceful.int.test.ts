// SIGTERM in the middle of a stream: the gateway stops accepting, answers what it has taken in,
// and exits 0; every message it acknowledged is stored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAck } from '../../src/hl7/index.js';
import { MllpClient } from '../../src/mllp/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { withControlId } from '../support/messages.js';
import { spawnGateway } from '../support/process.js';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

let db: TestDatabase;
beforeAll(async () => { db = await createTestDatabase(); });
afterAll(async () => { await db.drop(); });

describe('graceful shutdown', () => {
  it('answers in-flight messages, stores every acknowledged one, and exits 0', async () => {
    const gw = await spawnGateway({ DATABASE_URL: db.url, DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'sb-term-')) });
    const acked: string[] = [];
    let stop = false;
    const senders = [0, 1].map(async (k) => {
      const c = new MllpClient({ port: gw.mllpPort, timeoutMs: 5000 });
      await c.connect();
      for (let i = 0; !stop; i++) {
        const id = `TERM${k}-${i}`;
        try {
          const ack = readAck((await c.send(withControlId('spine/adt-a01.hl7', id))).toString('latin1'));
          if (ack.code === 'AA') acked.push(id);
        } catch {
          break; // the gateway closed the connection
        }
      }
      c.close();
    });
    // a stream under way (on a loaded machine the first messages take a while), then SIGTERM
    for (let i = 0; i < 200 && acked.length < 20; i++) await new Promise((r) => setTimeout(r, 50));
    gw.child.kill('SIGTERM');
    const code = await gw.exited;
    stop = true;
    await Promise.all(senders);
    expect(code).toBe(0);
    expect(acked.length).toBeGreaterThan(10);
    expect(gw.log.some((l) => l.includes('shutdown_complete'))).toBe(true);
    const rows = await db.sql<{ control_id: string }[]>`SELECT control_id FROM inbox WHERE control_id = ANY(${acked})`;
    expect(rows.length).toBe(acked.length);
  }, 60_000);
});
