// PHI at rest through a real gateway process: every HL7 fixture and call note goes in over HTTP,
// is stored, mapped, routed by the example schedule and handed to delivery; then a dump of the
// database and everything the gateway logged are scanned for every fixture patient name, MRN, birth
// date, callback number and note text (none), while the FHIR API still reads them back in clear.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { dumpDatabase } from '../support/dump.js';
import { fixture, ROOT, toWire } from '../support/fixtures.js';
import { findPhi, fixtureCallText, fixturePhi, phiCallFiles as callFiles, phiHl7Files as hl7Files } from '../support/phi.js';
import { spawnGateway, type GatewayProcess } from '../support/process.js';

let db: TestDatabase;
let gw: GatewayProcess;

beforeAll(async () => {
  db = await createTestDatabase();
  gw = await spawnGateway({
    DATABASE_URL: db.url, DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'sb-at-rest-')), DEV_NO_AUTH: '1', LOG_LEVEL: 'debug',
    SCHEDULE_FILE: path.join(ROOT, 'fixtures/schedules/example.json'), WORKER_POLL_MS: '100',
  });
}, 120_000);
afterAll(async () => {
  gw?.child.kill('SIGTERM');
  await gw?.exited;
  await db?.drop();
});

describe('a gateway process', () => {
  it('stores, maps, routes and delivers every fixture; the dump and its log hold no patient name, MRN, birth date, callback number or note text', async () => {
    const base = `http://127.0.0.1:${gw.httpPort}`;
    for (const f of hl7Files) {
      const res = await fetch(`${base}/hl7`, { method: 'POST', body: toWire(fixture(f)) });
      expect(`${f} ${res.status}`).toBe(`${f} 200`);
    }
    for (const f of callFiles) {
      const res = await fetch(`${base}/calls`, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': f }, body: fixture(f) });
      expect(`${f} ${res.status}`).toMatch(/ 20[0-2]$/);
    }
    for (let i = 0; ; i++) {
      const [r] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM inbox WHERE state IN ('received', 'processing')`;
      if (r!.n === 0) break;
      if (i > 600) throw new Error('processing did not finish');
      await new Promise((res) => setTimeout(res, 100));
    }
    const [runs] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM delivery_run`;
    expect(runs!.n).toBeGreaterThan(3);

    // the API reads them back in clear: the scan below has something to miss
    const bundle = await (await fetch(`${base}/fhir/Patient?_count=200`)).json() as { entry?: unknown[] };
    expect(findPhi(JSON.stringify(bundle)).length).toBeGreaterThan(3);
    const requests = JSON.stringify(await (await fetch(`${base}/fhir/CommunicationRequest?_count=200`)).json());
    const callText = fixtureCallText();
    expect(callText.filter((t) => requests.includes(t)).length).toBeGreaterThan(0);

    const dump = await dumpDatabase(db.url, db.sql);
    expect(dump.text).toContain('fhir_resource');
    expect(fixturePhi().length).toBeGreaterThan(10);
    expect(findPhi(dump.text)).toEqual([]);
    expect(callText.filter((t) => dump.text.includes(t))).toEqual([]);
    expect(gw.log.length).toBeGreaterThan(5); // boot warnings, migrations, keys, workers: ids and codes only
    const log = gw.log.join('\n');
    expect(findPhi(log)).toEqual([]);
    expect(callText.filter((t) => log.includes(t))).toEqual([]);
  }, 180_000);
});
