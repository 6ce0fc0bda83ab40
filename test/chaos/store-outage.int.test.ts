// The database goes away under a running intake and comes back: while it is away every message is
// answered AE with ERR 207 (never AA, so the sender keeps it), and once it is back the same resend
// is stored and answered AA — nothing lost, nothing doubled.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readAck } from '../../src/hl7/index.js';
import { MllpClient } from '../../src/mllp/index.js';
import { startEmbedded, type EmbeddedServer } from '../../src/store/embedded.js';
import { connect, type Sql } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';
import { silentLogger } from '../../src/obs/log.js';
import { startMllpHarness, type MllpHarness } from '../support/harness.js';
import { withControlId } from '../support/messages.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-outage-'));
let server: EmbeddedServer | undefined;
let sql: Sql | undefined;
let gw: MllpHarness | undefined;

afterAll(async () => {
  await gw?.close();
  await sql?.end({ timeout: 1 });
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function send(controlId: string): Promise<string> {
  const c = new MllpClient({ port: gw!.port, timeoutMs: 15_000 });
  await c.connect();
  try {
    return readAck((await c.send(withControlId('spine/adt-a01.hl7', controlId))).toString('latin1')).code;
  } finally {
    c.close();
  }
}

describe('chaos: the database restarts under load', () => {
  it('answers AE while it is down and stores the resend exactly once when it is back', async () => {
    server = await startEmbedded(dir, 0, silentLogger);
    sql = connect(server.url, { max: 4 });
    await migrate(sql);
    gw = await startMllpHarness(sql);
    expect(await send('OUT-1')).toBe('AA');

    await server.stop();
    expect(await send('OUT-2')).toBe('AE');
    expect(await send('OUT-2')).toBe('AE');

    server = await startEmbedded(dir, 0, silentLogger);
    // postgres.js reconnects by itself; the sender's next resend goes through
    let code = '';
    for (let i = 0; i < 50 && code !== 'AA'; i++) {
      code = await send('OUT-2');
      if (code !== 'AA') await new Promise((r) => setTimeout(r, 200));
    }
    expect(code).toBe('AA');
    expect(await send('OUT-2')).toBe('AA'); // a duplicate now: the original ACK again
    const rows = await sql<{ control_id: string }[]>`SELECT control_id FROM inbox ORDER BY id`;
    expect(rows.map((r) => r.control_id)).toEqual(['OUT-1', 'OUT-2']);
  }, 120_000);
});
