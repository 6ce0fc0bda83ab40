// When the store cannot be reached the gateway must not say AA: AE (CE in enhanced mode) with the
// reason, so the sender keeps the message and resends it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAck } from '../../src/hl7/index.js';
import { MllpClient } from '../../src/mllp/index.js';
import { connect, type Sql } from '../../src/store/db.js';
import { startMllpHarness, type MllpHarness } from '../support/harness.js';
import { withControlId } from '../support/messages.js';
import { fixture, toWire } from '../support/fixtures.js';

let sql: Sql;
let gw: MllpHarness;

beforeAll(async () => {
  // nothing listens on port 1: every query fails with ECONNREFUSED
  sql = connect('postgres://postgres@127.0.0.1:1/none', { max: 1 });
  gw = await startMllpHarness(sql);
});
afterAll(async () => {
  await gw.close();
  await sql.end({ timeout: 1 });
});

describe('store unavailable', () => {
  it('answers AE with ERR 207 and a retry hint, never AA', async () => {
    const c = new MllpClient({ port: gw.port });
    await c.connect();
    const reply = (await c.send(withControlId('spine/oru-r01.hl7', 'DOWN1'))).toString('latin1');
    c.close();
    expect(readAck(reply)).toMatchObject({ code: 'AE', controlId: 'DOWN1' });
    expect(reply).toMatch(/ERR\|\|\|207\^Application internal error\^HL70357\|E\|\|\|\|message store unavailable/);
  });

  it('answers CE in enhanced mode', async () => {
    const c = new MllpClient({ port: gw.port });
    await c.connect();
    const reply = (await c.send(toWire(fixture('spine/oru-r01-enhanced.hl7')))).toString('latin1');
    c.close();
    expect(readAck(reply).code).toBe('CE');
  });

  it('counts it in the metrics', async () => {
    const text = await gw.metrics.registry.metrics();
    expect(text).toMatch(/switchboard_store_unavailable_total\{source="mllp"\} [1-9]/);
  });
});
