// The whole gateway on the least-privileged role (DATABASE_URL as an app role with rows only, the
// migrations on DATABASE_ADMIN_URL), through a call note's life: intake, mapping, routing, a webhook
// page, the provider's list and detail, a schedule change reaching the gateway by NOTIFY, a token
// revoked from the CLI. Every list, log line, notification and CLI output is scanned for the callback
// number: only its last four digits may appear, the full number only in the addressed provider's
// detail and the FHIR resource read with a system scope.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { loadConfig } from '../../src/config/index.js';
import { startGateway, type Gateway } from '../../src/gateway.js';
import { createLogger } from '../../src/obs/log.js';
import { loadOrCreateLocalKey, mintLocalToken } from '../../src/auth/index.js';
import { saveSchedule } from '../../src/oncall/index.js';
import { runCli } from '../../src/cli/commands.js';
import { adminUrl, createTestDatabase, ensureLoginRole, urlAs, type TestDatabase } from '../support/db.js';
import { startReceiver, type Receiver } from '../delivery/receiver.js';
import { SECRET } from '../delivery/support.js';

const APP = `sb_flow_app_${randomBytes(4).toString('hex')}`;
const PASSWORD = randomBytes(12).toString('hex');
const CALLBACK = '+1 (555) 867-5309';
/** the callback number however it is formatted: 555 867 5309 with up to three non-digits between groups */
const FULL_NUMBER = /555\D{0,3}867\D{0,3}5309/;
const LAST_FOUR = '•••-•••-5309';

const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-roles-flow-'));
const logs: string[] = [];
const env: Record<string, string> = {};
let db: TestDatabase;
/** The owner's url of the test's database (under TEST_DB_ROLE=app db.url is the suite's runtime role; this suite makes its own roles). */
let dbUrl: string;
let gw: Gateway;
let receiver: Receiver;
let base: string;
const tokens: Record<string, string> = {};

const schedule = (primary: string) => ({
  version: 1,
  timeZone: 'UTC',
  practitioners: ['dr-lane', 'dr-cole'].map((id) => ({ id, name: id, channels: [{ kind: 'webhook', address: `${receiver.base}/${id}`, secret: SECRET }] })),
  roles: [{ id: 'ward', name: 'Ward', escalationPolicy: 'slow', layers: [{ id: 'all', practitioner: primary }] }],
  escalationPolicies: [{ id: 'slow', steps: [{ targets: [{ kind: 'role' }], wait: 'PT30M' }] }],
  routing: { rules: [], default: { role: 'ward' } },
});

const http = async (who: string, method: string, p: string, body?: unknown) => {
  const res = await fetch(`${base}${p}`, {
    method, headers: { authorization: `Bearer ${tokens[who]}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, text: await res.text() };
};

async function cli(...argv: string[]): Promise<{ code: number; out: string }> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  const out: string[] = [];
  try {
    const code = await runCli(argv, { stdout: (s) => out.push(s), stderr: (s) => out.push(s) });
    return { code, out: out.join('') };
  } finally {
    for (const k of Object.keys(env)) if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k];
  }
}

async function until<T>(what: string, f: () => Promise<T | undefined> | T | undefined, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  db = await createTestDatabase({ migrate: false });
  dbUrl = Object.assign(new URL(adminUrl()), { pathname: new URL(db.url).pathname }).toString();
  const admin = postgres(dbUrl, { max: 1, onnotice: () => {} });
  await ensureLoginRole(admin, APP, PASSWORD);
  await admin.end();
  receiver = await startReceiver();
  const file = path.join(dir, 'schedule.json');
  writeFileSync(file, JSON.stringify(schedule('dr-lane')));
  Object.assign(env, {
    DATABASE_URL: urlAs(dbUrl, APP, PASSWORD), DATABASE_ADMIN_URL: dbUrl, DATA_DIR: dir, SCHEDULE_FILE: file,
    PORT: '0', HOST: '127.0.0.1', MLLP_PORT: '0', MLLP_HOST: '127.0.0.1', WORKER_CONCURRENCY: '1', WORKER_POLL_MS: '100',
    PUBLIC_BASE_URL: 'https://sb.example', LOG_LEVEL: 'debug',
  });
  gw = await startGateway(loadConfig(env), createLogger('debug', (l) => logs.push(l)));
  base = `http://127.0.0.1:${gw.httpPort}`;
  const key = await loadOrCreateLocalKey(dir);
  const mint = (subject: string, scopes: string[]) => mintLocalToken(key, { subject, scopes, audience: 'switchboard' });
  tokens.operator = await mint('operator-1', ['calls.write']);
  tokens['dr-lane'] = await mint('dr-lane', ['provider']);
  tokens['dr-cole'] = await mint('dr-cole', ['provider']);
  tokens.system = await mint('ehr', ['system/CommunicationRequest.rs', 'system/Communication.rs']);
}, 120_000);

afterAll(async () => {
  await gw?.close();
  await receiver?.close();
  await db.drop();
  const a = postgres(adminUrl(), { max: 1, onnotice: () => {} });
  await a.unsafe(`DROP ROLE IF EXISTS ${APP}`);
  await a.end();
  rmSync(dir, { recursive: true, force: true });
});

describe('a call note through the gateway running as the app role', () => {
  let id: string;

  it('runs as the app role, not superuser', async () => {
    const [me] = await gw.store.sql<{ user: string; su: boolean }[]>`SELECT current_user AS user, rolsuper AS su FROM pg_roles WHERE rolname = current_user`;
    expect(me).toEqual({ user: APP, su: false });
  });

  it('is taken, mapped, routed and paged; the page carries no number', async () => {
    const note = {
      caller: { type: 'pharmacist', name: 'Pat Pharmacist', callbackNumber: CALLBACK },
      patient: { name: 'Alex Testpatient', birthDate: '1980-02-29', mrn: 'MRN100234' },
      practice: 'north-cardiology', reason: 'Dose question, call back at 555-867-5309 x12 before 6', urgency: 'stat',
    };
    const res = await http('operator', 'POST', '/calls', note);
    expect(res.status).toBeLessThan(300);
    const hook = await until('the page to dr-lane', () => receiver.accepted('/dr-lane')[0]);
    id = (JSON.parse(hook.body) as { messageId: string }).messageId;
    expect(id).toMatch(/\S/);
    for (const r of receiver.received) expect(r.body).not.toMatch(FULL_NUMBER);
  });

  it('the list shows the last four digits only; the addressed provider\'s detail shows the number', async () => {
    const list = await http('dr-lane', 'GET', '/me/messages');
    expect(list.status).toBe(200);
    expect(list.text).not.toMatch(FULL_NUMBER);
    expect(list.text).toContain(LAST_FOUR);
    const detail = await http('dr-lane', 'GET', `/me/messages/${id}`);
    expect(detail.status).toBe(200);
    expect(detail.text).toContain(CALLBACK);
  });

  it('the FHIR resource keeps the number for a system client with the scope', async () => {
    const cr = await http('system', 'GET', `/fhir/CommunicationRequest/${id}`);
    expect(cr.status).toBe(200);
    expect(cr.text).toContain(CALLBACK);
  });

  it('a provider who sees it through the role they now cover (not addressed) gets the masked detail', async () => {
    // the hand-over reaches the running gateway by NOTIFY, sent by the app role
    expect((await saveSchedule(gw.store.sql, schedule('dr-cole'), { by: 'test', now: new Date() })).ok).toBe(true);
    const detail = await until('dr-cole to see the message', async () => {
      const r = await http('dr-cole', 'GET', `/me/messages/${id}`);
      return r.status === 200 ? r : undefined;
    });
    expect(detail.text).not.toMatch(FULL_NUMBER);
    expect(detail.text).toContain(LAST_FOUR);
  });

  it('the CLI lists and the timeline carry no number', async () => {
    for (const argv of [['inbox', 'list', '--json'], ['inbox', 'list'], ['delivery', 'timeline', id, '--json'], ['delivery', 'dead-letters', '--json']]) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).toBe(0);
      expect(r.out, argv.join(' ')).not.toMatch(FULL_NUMBER);
    }
  });

  it('a token revoked from the CLI (as the app role) is refused by the running gateway', async () => {
    expect((await http('dr-cole', 'GET', '/me/messages')).status).toBe(200);
    expect((await cli('token', 'revoke', tokens['dr-cole']!)).code).toBe(0);
    await until('the revocation to reach the gateway', async () => ((await http('dr-cole', 'GET', '/me/messages')).status === 401 ? true : undefined));
  });

  it('no log line carries the number', () => {
    expect(logs.length).toBeGreaterThan(0);
    expect(logs.filter((l) => FULL_NUMBER.test(l))).toEqual([]);
  });
});
