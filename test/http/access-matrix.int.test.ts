// The access matrix (src/auth/policy.ts, applied by src/http's gate): role x route x action, each cell
// checked against a real database through the whole app, for two organisations' messages side by side
// (access-support.ts). Every non-public row of the route table must have a row here — a route added
// without one fails the first test. Each cell reads:
//   403   the route is refused as a whole (its scope, or the policy: it names no row)
//   A     A is served, B is a 404 (an id of B in the URL) or left out (a list)
//   B     the other way round
//   AB    both are served
//   none  neither: every id a 404, every list empty
//   ok    a route without rows of one side (intake, the schedule): past the gate, served
// A is north's message, routed to dr-baker; B is south's, routed to dr-lane. Operators and supervisors
// are north's (operator-south: south's); the provider is dr-baker; client-north is a token with every
// scope and an `organization: north` claim; client-all the same without the claim.
import type { Bundle } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeTable, type RouteRule } from '../../src/http/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { testSchedule } from '../delivery/support.js';
import { BASE, buildMatrixApp, WHO, type MatrixApp, type Side, type Who } from './access-support.js';

type Cell = 403 | 'A' | 'B' | 'AB' | 'none' | 'ok';
/** What one request showed of one side: served, hidden (404, or not in the list), refused (403). */
type Seen = 'served' | 'hidden' | 'refused';

let db: TestDatabase;
let m: MatrixApp;

beforeAll(async () => {
  db = await createTestDatabase();
  m = await buildMatrixApp(db);
});
afterAll(async () => { await db.drop(); });

async function request(who: Who | 'supervisor-default', method: string, path: string, body?: unknown, type = 'application/json'): Promise<Response> {
  const headers: Record<string, string> = { ...m.headers(who) };
  let payload: string | undefined;
  if (body !== undefined) {
    headers['content-type'] = type;
    payload = typeof body === 'string' ? body : JSON.stringify(body);
  }
  return m.app.request(path, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
}

/** A status as one side's fate: `ok` statuses served, 404 hidden, 403 refused (by the gate); anything else is shown as is. */
async function fate(res: Response, ok: readonly number[]): Promise<Seen | string> {
  if (ok.includes(res.status)) return 'served';
  if (res.status === 404) return 'hidden';
  if (res.status === 403) {
    const text = await res.text();
    return /ERR_AUTH_FORBIDDEN/.test(text) ? 'refused' : `403 ${text}`;
  }
  return `${res.status} ${await res.text()}`;
}

/** A list's fate for one side: refused, or served/hidden as the side's key appears in it. */
async function listed(res: Response, keys: (body: unknown) => string[], key: string): Promise<Seen | string> {
  if (res.status !== 200) return fate(res, []);
  return keys(await res.json()).includes(key) ? 'served' : 'hidden';
}

interface Probe {
  /** what the principal sees of side A and of side B (single-target probes ignore the side) */
  run(who: Who, side: Side, name: 'A' | 'B'): Promise<Seen | string>;
  single?: boolean;
}

const byId = (method: string, path: (s: Side) => string, ok: readonly number[], body?: unknown): Probe => ({
  run: async (who, s) => fate(await request(who, method, path(s), body), ok),
});
const list = (path: string, keys: (body: unknown) => string[], key: (s: Side) => string): Probe => ({
  run: async (who, s) => listed(await request(who, 'GET', path), keys, key(s)),
});
const single = (run: (who: Who) => Promise<Response>, ok: readonly number[]): Probe => ({
  single: true,
  run: async (who) => fate(await run(who), ok),
});
/** An event stream that was opened is closed at once (its status is all the cell needs). */
const cleanup = async (res: Response): Promise<Response> => {
  if (res.status !== 200) return res;
  await res.body?.cancel();
  return new Response(null, { status: 200 });
};

const ids = (items: unknown): string[] => (items as { id: string }[]).map((i) => i.id);
const bundleIds = (b: unknown): string[] => ((b as Bundle).entry ?? []).map((e) => e.resource?.id ?? '');

let controlIds = 0;
const HL7 = () => Buffer.from(`MSH|^~\\&|ADT|ANY|SWITCHBOARD|X|20250304100000||ADT^A01^ADT_A01|ACCESS-HL7-${++controlIds}|P|2.5.1\rEVN|A01|20250304100000\rPID|1||M${controlIds}^^^X^MR||DOE^J\r`, 'latin1').toString('latin1');
const CALL = (n: number) => ({
  caller: { type: 'family', name: 'Pat Synthetic', callbackNumber: '+1 555 010 0042', relationship: 'daughter' },
  patient: { name: 'Alpha Testpatient', birthDate: '1970-01-01', mrn: `SYN-ACCESS-${n}` },
  practice: 'Synth Cardiology', reason: 'Chest tightness', urgency: 'urgent', operator: { id: 'op-17', name: 'Operator Seventeen' }, takenAt: '2025-03-04T09:10:00-05:00',
});
let calls = 0;

/** Side effects undone before each cell, so every cell starts from the same rows. */
const failRows = async () => { await db.sql`UPDATE inbox SET state = 'failed' WHERE id IN (${m.A.inboxId}, ${m.B.inboxId})`; };
const deadLetters = async () => { await db.sql`UPDATE delivery_attempt SET state = 'dead', due_at = NULL WHERE id IN (${m.A.deadLetterId}, ${m.B.deadLetterId})`; };

/** A provider acting on a message: a fresh one per cell (an action changes it), as A's or B's. */
const meAction = (suffix: string, body?: unknown): Probe => ({
  run: async (who, _s, name) => fate(await request(who, 'POST', `/me/messages/${await m.freshMessage(name)}${suffix}`, body), [200, 201]),
});

const PROBES: Record<string, Probe> = {
  'POST /hl7': single((who) => request(who, 'POST', '/hl7', HL7(), 'application/hl7-v2'), [200]),
  'POST /calls': single((who) => request(who, 'POST', '/calls', CALL(++calls)), [201]),
  'GET /inbox': list('/inbox?limit=1000', ids, (s) => s.inboxId),
  'GET /inbox/:id': byId('GET', (s) => `/inbox/${s.inboxId}`, [200]),
  'POST /inbox/:id/retry': { run: async (who, s) => { await failRows(); return fate(await request(who, 'POST', `/inbox/${s.inboxId}/retry`), [200]); } },
  'GET /rejected': { single: true, run: async (who) => listed(await request(who, 'GET', '/rejected?limit=1000'), ids, m.rejectedId) },
  'GET /rejected/:id': single((who) => request(who, 'GET', `/rejected/${m.rejectedId}`), [200]),
  'GET /oncall': single((who) => request(who, 'GET', '/oncall?role=ward'), [200]),
  'GET /oncall/coverage': single((who) => request(who, 'GET', '/oncall/coverage?role=ward'), [200]),
  'GET /oncall/next': single((who) => request(who, 'GET', '/oncall/next?role=ward'), [200]),
  'GET /schedule': single((who) => request(who, 'GET', '/schedule'), [200]),
  'PUT /schedule': single((who) => request(who, 'PUT', '/schedule', testSchedule(BASE)), [200]),
  'GET /schedule/lint': single((who) => request(who, 'GET', '/schedule/lint'), [200]),
  // past the gate the handler answers for itself: a calendar without its mapping is its 400
  'POST /schedule/import': single((who) => request(who, 'POST', '/schedule/import', 'BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n', 'text/calendar'), [400]),
  'GET /schedule/:collection/:id': single((who) => request(who, 'GET', '/schedule/roles/ward'), [200]),
  'PUT /schedule/:collection/:id': single((who) => request(who, 'PUT', '/schedule/groups/matrix', { members: ['dr-ames'] }), [200, 201]),
  'DELETE /schedule/:collection/:id': single(async (who) => {
    await request('admin', 'PUT', '/schedule/groups/matrix-gone', { members: ['dr-ames'] });
    return request(who, 'DELETE', '/schedule/groups/matrix-gone');
  }, [200]),
  'GET /me/messages': list('/me/messages?status=all&limit=200', (b) => (b as { messages: { id: string }[] }).messages.map((x) => x.id), (s) => s.requestId),
  'GET /me/messages/:id': byId('GET', (s) => `/me/messages/${s.requestId}`, [200]),
  'POST /me/messages/:id/read': meAction('/read'),
  'POST /me/messages/:id/ack': meAction('/ack'),
  'POST /me/messages/:id/resolve': meAction('/resolve'),
  'POST /me/messages/:id/reply': meAction('/reply', { text: 'seen' }),
  'POST /me/messages/:id/forward': meAction('/forward', { practitioner: 'dr-ames' }),
  'GET /me/events': single(async (who) => cleanup(await request(who, 'GET', '/me/events')), [200]),
  'GET /me/push-subscriptions': list('/me/push-subscriptions', (b) => (b as { subscriptions: { id: string }[] }).subscriptions.map((x) => x.id), (s) => s.pushSubscriptionId),
  'POST /me/push-subscriptions': single((who) => request(who, 'POST', '/me/push-subscriptions', { endpoint: `https://push.example/new-${who}`, keys: { p256dh: 'B'.repeat(87), auth: 'a'.repeat(22) } }), [201]),
  // deleting another practitioner's subscription by its id: a 404, and it stays
  'DELETE /me/push-subscriptions/:id': {
    run: async (who, s) => {
      const res = await request(who, 'DELETE', `/me/push-subscriptions/${s.pushSubscriptionId}`);
      if (res.status === 204) {
        const [row] = await db.sql<{ id: string }[]>`
          INSERT INTO delivery_push_subscription (id, practitioner, endpoint, p256dh, auth, created_at)
          VALUES (${s.pushSubscriptionId}, ${s.practitioner}, ${`https://push.example/${s.practitioner}`}, ${'B'.repeat(87)}, ${'a'.repeat(22)}, now()) RETURNING id::text`;
        expect(row?.id).toBe(s.pushSubscriptionId);
      }
      return fate(res, [204]);
    },
  },
  'GET /messages/:id/timeline': byId('GET', (s) => `/messages/${s.requestId}/timeline`, [200]),
  'GET /delivery/dead-letters': list('/delivery/dead-letters?limit=500', (b) => (b as { deadLetters: { id: string }[] }).deadLetters.map((x) => x.id), (s) => s.deadLetterId),
  'POST /delivery/dead-letters/:id/replay': { run: async (who, s) => { await deadLetters(); return fate(await request(who, 'POST', `/delivery/dead-letters/${s.deadLetterId}/replay`), [200]); } },
  // a message's resources by id: its CommunicationRequest, the Communication delivery wrote for it, its patient and their result
  'GET /fhir/:type/:id': {
    run: async (who, s) => {
      const fates = new Set<string>();
      for (const [type, id] of [['CommunicationRequest', s.requestId], ['Communication', s.communicationId], ['Patient', s.patientId], ['Observation', s.observationId]] as const) {
        fates.add(await fate(await request(who, 'GET', `/fhir/${type}/${id}`), [200]));
      }
      return fates.size === 1 ? [...fates][0]! : [...fates].join(' / ');
    },
  },
  'GET /fhir/:type': {
    run: async (who, s) => {
      const fates = new Set<string>();
      for (const [type, id] of [['CommunicationRequest', s.requestId], ['Communication', s.communicationId], ['Patient', s.patientId], ['Observation', s.observationId]] as const) {
        fates.add(await listed(await request(who, 'GET', `/fhir/${type}?_count=1000`), bundleIds, id));
      }
      return fates.size === 1 ? [...fates][0]! : [...fates].join(' / ');
    },
  },
};

//                                      operator  op-south  supervisor  admin  provider  provider-token  client-north  client-all
const MATRIX: Record<string, string> = {
  'POST /hl7':                         '403       403       403         ok     403       403             ok            ok',
  'POST /calls':                       'ok        ok        ok          ok     403       403             ok            ok',
  'GET /inbox':                        'A         B         A           AB     403       403             A             AB',
  'GET /inbox/:id':                    'A         B         A           AB     403       403             A             AB',
  'POST /inbox/:id/retry':             '403       403       A           AB     403       403             A             AB',
  // refused input was accepted from no known sender: no organisation's
  'GET /rejected':                     'none      none      none        ok     403       403             none          ok',
  'GET /rejected/:id':                 'none      none      none        ok     403       403             none          ok',
  // the schedule is shared by the organisations: read by all of them, changed by the deployment's own (or an admin)
  'GET /oncall':                       'ok        ok        ok          ok     403       403             ok            ok',
  'GET /oncall/coverage':              'ok        ok        ok          ok     403       403             ok            ok',
  'GET /oncall/next':                  'ok        ok        ok          ok     403       403             ok            ok',
  'GET /schedule':                     'ok        ok        ok          ok     403       403             ok            ok',
  'PUT /schedule':                     '403       403       403         ok     403       403             403           ok',
  'GET /schedule/lint':                'ok        ok        ok          ok     403       403             ok            ok',
  'POST /schedule/import':             '403       403       403         ok     403       403             403           ok',
  'GET /schedule/:collection/:id':     'ok        ok        ok          ok     403       403             ok            ok',
  'PUT /schedule/:collection/:id':     '403       403       403         ok     403       403             403           ok',
  'DELETE /schedule/:collection/:id':  '403       403       403         ok     403       403             403           ok',
  // a provider's own: addressed to them (A: dr-baker) or to a role they cover; nobody else reaches /me
  'GET /me/messages':                  '403       403       403         403    A         A               403           403',
  'GET /me/messages/:id':              '403       403       403         403    A         A               403           403',
  'POST /me/messages/:id/read':        '403       403       403         403    A         A               403           403',
  'POST /me/messages/:id/ack':         '403       403       403         403    A         A               403           403',
  'POST /me/messages/:id/resolve':     '403       403       403         403    A         A               403           403',
  'POST /me/messages/:id/reply':       '403       403       403         403    A         A               403           403',
  'POST /me/messages/:id/forward':     '403       403       403         403    A         A               403           403',
  'GET /me/events':                    '403       403       403         403    ok        ok              403           403',
  'GET /me/push-subscriptions':        '403       403       403         403    A         A               403           403',
  'POST /me/push-subscriptions':       '403       403       403         403    ok        ok              403           403',
  'DELETE /me/push-subscriptions/:id': '403       403       403         403    A         A               403           403',
  'GET /messages/:id/timeline':        'A         B         A           AB     403       403             A             AB',
  'GET /delivery/dead-letters':        'A         B         A           AB     403       403             A             AB',
  'POST /delivery/dead-letters/:id/replay': '403  403       A           AB     403       403             A             AB',
  // operators' and supervisors' sessions carry no SMART scope; a provider reads their messages' patients'
  // resources; a client its organisation's messages' resources
  'GET /fhir/:type/:id':               '403       403       403         403    A         A               A             AB',
  'GET /fhir/:type':                   '403       403       403         403    A         A               A             AB',
};

const keyOf = (r: RouteRule) => `${r.method} ${r.path}`;
const rows = routeTable({ maxHl7Bytes: 1, maxCallBytes: 1 }).filter((r) => r.access.kind !== 'public');

function cellsOf(line: string): Cell[] {
  const cells = line.trim().split(/\s+/).map((c) => (c === '403' ? 403 : c) as Cell);
  if (cells.length !== WHO.length) throw new Error(`a matrix row needs ${WHO.length} cells: ${line}`);
  return cells;
}

/** What a cell says each side shows. */
function expected(cell: Cell): { A: Seen; B: Seen } {
  switch (cell) {
    case 403: return { A: 'refused', B: 'refused' };
    case 'A': return { A: 'served', B: 'hidden' };
    case 'B': return { A: 'hidden', B: 'served' };
    case 'AB': case 'ok': return { A: 'served', B: 'served' };
    case 'none': return { A: 'hidden', B: 'hidden' };
  }
}

describe('the access matrix', () => {
  it('has a row for every non-public route of the table, and for nothing else', () => {
    expect(rows.map(keyOf).filter((k) => MATRIX[k] === undefined)).toEqual([]);
    expect(Object.keys(MATRIX).filter((k) => !rows.some((r) => keyOf(r) === k))).toEqual([]);
    expect(Object.keys(PROBES).sort()).toEqual(Object.keys(MATRIX).sort());
  });

  const cases = Object.entries(MATRIX).flatMap(([route, line]) => cellsOf(line).map((cell, i) => [route, WHO[i]!, cell] as const));
  it.each(cases)('%s as %s: %s', async (route, who, cell) => {
    const probe = PROBES[route]!;
    const want = expected(cell);
    if (probe.single) {
      if (cell === 'A' || cell === 'B' || cell === 'AB') throw new Error(`${route} has no sides: ok, none or 403`);
      expect(await probe.run(who, m.A, 'A')).toBe(want.A);
      return;
    }
    if (cell === 'ok') throw new Error(`${route} has sides: A, B, AB, none or 403`);
    expect({ A: await probe.run(who, m.A, 'A'), B: await probe.run(who, m.B, 'B') }).toEqual(want);
  });
});

describe('a provider\'s FHIR reads: the patients of the messages they see, at that time', () => {
  const read = async (practitioner: string, path: string) => m.app.request(path, { headers: await m.provider(practitioner) });
  const patients = async (practitioner: string) => bundleIds(await (await read(practitioner, '/fhir/Patient?_count=200')).json()).filter((id) => id.startsWith('pt-access-'));

  it('the practitioner a message is addressed to reads its patient; nobody else does', async () => {
    expect(await patients('dr-baker')).toEqual(['pt-access-a']);
    expect(await patients('dr-lane')).toEqual(['pt-access-b']);
    expect(await patients('dr-cole')).toEqual([]);
    expect((await read('dr-cole', `/fhir/Patient/${m.A.patientId}`)).status).toBe(404);
    expect((await read('dr-lane', `/fhir/Observation/${m.A.observationId}`)).status).toBe(404);
  });

  it('whoever covers the role at that time reads the open message\'s patient; when they no longer cover it, not', async () => {
    const t = m.clock.t;
    try {
      // Wed 08:00 New York: dr-ames covers ward (and was never notified of A)
      m.clock.set('2025-03-05T13:00:00Z');
      expect((await read('dr-ames', `/fhir/Patient/${m.A.patientId}`)).status).toBe(200);
      // Thu: dr-baker covers ward again, dr-ames no longer
      m.clock.set('2025-03-06T13:00:00Z');
      expect((await read('dr-ames', `/fhir/Patient/${m.A.patientId}`)).status).toBe(404);
    } finally {
      m.clock.set(new Date(t).toISOString());
    }
  });

  it('a type that names no patient is refused to a provider (it cannot be limited to their patients)', async () => {
    const res = await read('dr-baker', '/fhir/Practitioner');
    expect(res.status).toBe(403);
    expect(await res.text()).toMatch(/ERR_AUTH_FORBIDDEN/);
  });
});
