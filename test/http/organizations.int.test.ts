// The organisation model: where a message's organisation comes from (its sender in SENDERS_FILE, a call
// note's submitter), rows and sessions from before organisations existed (the default one), and the
// lists of one organisation's readers, page after page, never holding another's row.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bundle, Patient } from 'fhir/r4.js';
import { saveResources } from '../../src/fhir/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { buildMatrixApp, type MatrixApp, type Who } from './access-support.js';

let db: TestDatabase;
let m: MatrixApp;

beforeAll(async () => {
  db = await createTestDatabase();
  m = await buildMatrixApp(db);
});
afterAll(async () => { await db.drop(); });

const get = (who: Who | 'supervisor-default', path: string) => m.app.request(path, { headers: m.headers(who) });
const send = (who: Who | 'supervisor-default', method: string, path: string, body: unknown) =>
  m.app.request(path, { method, headers: { ...m.headers(who), 'content-type': 'application/json' }, body: JSON.stringify(body) });
const organizationOf = async (id: string): Promise<string | undefined> => (await db.sql<{ organization: string }[]>`SELECT organization FROM inbox WHERE id = ${id}`)[0]?.organization;

const bundleIds = (b: unknown): string[] => ((b as Bundle).entry ?? []).map((e) => e.resource?.id ?? '');

let n = 0;
const call = () => ({
  caller: { type: 'family', name: 'Pat Synthetic', callbackNumber: '+1 555 010 0042' },
  patient: { name: 'Alpha Testpatient', birthDate: '1970-01-01', mrn: `SYN-ORG-${++n}` },
  practice: 'Synth Cardiology', reason: 'Chest tightness', urgency: 'urgent', operator: { id: 'op-17', name: 'Operator Seventeen' }, takenAt: '2025-03-04T09:10:00-05:00',
});

describe('a message\'s organisation', () => {
  it('an HL7 message belongs to its sender\'s (SENDERS_FILE organization); a sender without one to the default organisation', async () => {
    expect(await organizationOf(m.A.inboxId)).toBe('north');
    expect(await organizationOf(m.B.inboxId)).toBe('south');
    expect(await organizationOf(await m.receiveHl7('ELSEWHERE', 'ORG-ELSEWHERE-1'))).toBe('default');
    // and the admin views say so
    expect(await (await get('admin', `/inbox/${m.A.inboxId}`)).json()).toMatchObject({ id: m.A.inboxId, organization: 'north' });
  });

  it('a call note belongs to its submitter\'s: an operator\'s organisation, a client\'s claim; an unlimited client\'s to the default one', async () => {
    const stored: Record<string, string> = {};
    for (const who of ['operator', 'operator-south', 'client-north', 'client-all'] as const) {
      const res = await send(who, 'POST', '/calls', call());
      expect(res.status).toBe(201);
      stored[who] = ((await res.json()) as { id: string }).id;
    }
    expect(await organizationOf(stored.operator!)).toBe('north');
    expect(await organizationOf(stored['operator-south']!)).toBe('south');
    expect(await organizationOf(stored['client-north']!)).toBe('north');
    expect(await organizationOf(stored['client-all']!)).toBe('default');
    // the note's Location is readable by its own organisation, a 404 to the other
    expect((await get('operator', `/inbox/${stored.operator}`)).status).toBe(200);
    expect((await get('operator-south', `/inbox/${stored.operator}`)).status).toBe(404);
    expect((await get('operator', `/inbox/${stored['operator-south']}`)).status).toBe(404);
    expect((await get('operator', `/inbox/${stored['client-all']}`)).status).toBe(404);
  });

  it('rows stored before organisations existed belong to the default organisation (migration 018)', async () => {
    const [row] = await db.sql<{ id: string; organization: string }[]>`
      INSERT INTO inbox (source, sender_app, sender_facility, control_id, message_type, raw)
      VALUES ('mllp', 'OLD', 'OLD', 'ORG-OLD-1', 'ADT^A01', ${Buffer.from('MSH|old')}) RETURNING id::text, organization`;
    expect(row?.organization).toBe('default');
    expect((await get('operator', `/inbox/${row!.id}`)).status).toBe(404);
    expect((await get('admin', `/inbox/${row!.id}`)).status).toBe(200);
  });
});

describe('one organisation\'s lists', () => {
  beforeAll(async () => {
    // interleave both organisations' rows, so that every page of one has the other's between its rows
    for (let i = 0; i < 6; i++) {
      await m.receiveHl7('NORTH', `ORG-PAGE-N-${i}`);
      await m.receiveHl7('SOUTH', `ORG-PAGE-S-${i}`);
    }
  });

  it.each([['operator', 'north'], ['operator-south', 'south'], ['client-north', 'north']] as const)('%s pages through /inbox two rows at a time and sees only %s rows, all of them', async (who, org) => {
    const seen: string[] = [];
    let url: string | undefined = '/inbox?limit=2';
    while (url !== undefined) {
      const res = await get(who, url);
      expect(res.status).toBe(200);
      const items = (await res.json()) as { id: string; organization: string }[];
      expect(items.every((i) => i.organization === org)).toBe(true);
      seen.push(...items.map((i) => i.id));
      const next = /<([^>]+)>; rel="next"/.exec(res.headers.get('link') ?? '')?.[1];
      url = next === undefined ? undefined : `/${next}`;
    }
    const all = await db.sql<{ id: string }[]>`SELECT id::text FROM inbox WHERE organization = ${org} ORDER BY inbox.id`;
    expect(seen).toEqual(all.map((r) => r.id));
  });

  it('an unlimited reader sees every organisation\'s rows', async () => {
    const items = (await (await get('client-all', '/inbox?limit=1000')).json()) as { organization: string }[];
    expect(new Set(items.map((i) => i.organization))).toEqual(new Set(['north', 'south', 'default']));
  });
});

describe('a patient both organisations sent messages about', () => {
  it('is readable by each of them, whichever message wrote the Patient last', async () => {
    const at = new Date(m.clock.t);
    const patient: Patient = { resourceType: 'Patient', id: 'pt-shared', identifier: [{ system: 'urn:mrn', value: 'MRN-SHARED' }] };
    const result = (id: string) => ({ resourceType: 'Observation' as const, id, status: 'final' as const, code: { text: 'K' }, subject: { reference: 'Patient/pt-shared' } });
    await saveResources(db.sql, [patient, result('obs-shared-n')], { now: at, inboxId: m.A.inboxId });
    const again: Patient = { ...patient, active: true };
    await saveResources(db.sql, [again, result('obs-shared-s')], { now: at, inboxId: m.B.inboxId });
    expect((await db.sql<{ inbox_id: string }[]>`SELECT inbox_id::text FROM fhir_resource WHERE resource_type = 'Patient' AND id = 'pt-shared'`)[0]?.inbox_id).toBe(m.B.inboxId);
    expect((await get('client-north', '/fhir/Patient/pt-shared')).status).toBe(200);
    expect(bundleIds(await (await get('client-north', '/fhir/Patient?_count=200')).json())).toContain('pt-shared');
    // each organisation's results about them stay its own
    expect((await get('client-north', '/fhir/Observation/obs-shared-n')).status).toBe(200);
    expect((await get('client-north', '/fhir/Observation/obs-shared-s')).status).toBe(404);
    // a patient only the other organisation sent: still unknown
    expect((await get('client-north', `/fhir/Patient/${m.B.patientId}`)).status).toBe(404);
  });
});

describe('a digest\'s dead letter', () => {
  it('belongs to an organisation when every message of the digest does', async () => {
    const digest = async (id: string, requests: string[]) => {
      await db.sql`INSERT INTO delivery_digest (id, recipient, digest_at, request_ids, created_at) VALUES (${id}, 'dr-baker', now(), ${requests}, now())`;
      const [a] = await db.sql<{ id: string }[]>`
        INSERT INTO delivery_attempt (digest_id, recipient, channel, contact, state, created_at) VALUES (${id}, 'dr-baker', 'webhook', ${`https://hooks.example/${id}`}, 'dead', now())
        RETURNING id::text`;
      return a!.id;
    };
    const north = await digest('dg-north', [m.A.requestId]);
    const mixed = await digest('dg-mixed', [m.A.requestId, m.B.requestId]);
    const deadIds = async (who: Who) => ((await (await get(who, '/delivery/dead-letters?limit=500')).json()) as { deadLetters: { id: string }[] }).deadLetters.map((d) => d.id);
    expect(await deadIds('operator')).toContain(north);
    expect(await deadIds('operator')).not.toContain(mixed);
    expect(await deadIds('operator-south')).not.toContain(north);
    expect(await deadIds('operator-south')).not.toContain(mixed);
    expect(await deadIds('client-all')).toEqual(expect.arrayContaining([north, mixed]));
    // and a replay of one by id is as unknown to the other organisation
    expect((await send('supervisor', 'POST', `/delivery/dead-letters/${mixed}/replay`, {})).status).toBe(404);
  });
});

describe('the shared schedule, refused input and the audit trail', () => {
  it('a supervisor of the deployment\'s own (default) organisation changes the schedule; one of another organisation may not', async () => {
    expect((await send('supervisor-default', 'PUT', '/schedule/groups/org-test', { members: ['dr-ames'] })).status).toBe(201);
    const refused = await send('supervisor', 'PUT', '/schedule/groups/org-test', { members: ['dr-cole'] });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ issue: [{ details: { coding: [{ code: 'ERR_AUTH_FORBIDDEN' }] } }] });
    // both read it
    expect((await get('supervisor', '/schedule/groups/org-test')).status).toBe(200);
  });

  it('refused input is the deployment\'s own organisation\'s: its supervisor reads it, another organisation\'s does not', async () => {
    expect((await get('supervisor-default', `/rejected/${m.rejectedId}`)).status).toBe(200);
    expect(((await (await get('supervisor-default', '/rejected')).json()) as { id: string }[]).map((r) => r.id)).toContain(m.rejectedId);
    expect((await get('supervisor', `/rejected/${m.rejectedId}`)).status).toBe(404);
  });

  it('the audit trail spans every organisation: a client limited to one is refused it, an unlimited one reads it', async () => {
    expect((await get('client-north', '/fhir/AuditEvent')).status).toBe(403);
    expect((await get('client-north', '/fhir/AuditEvent/some-id')).status).toBe(403);
    expect((await get('client-all', '/fhir/AuditEvent')).status).toBe(200);
  });
});

describe('sessions from before organisations existed', () => {
  it('act for the default organisation', async () => {
    const [s] = await db.sql<{ organization: string }[]>`
      INSERT INTO auth_session (id_hash, issuer, subject, role, practitioner, created_at, last_seen, idle_expires_at, absolute_expires_at)
      VALUES (${Buffer.alloc(32, 7)}, 'https://idp.test', 'old-op', 'operator', NULL, now(), now(), now() + interval '1 hour', now() + interval '1 hour')
      RETURNING organization`;
    expect(s?.organization).toBe('default');
  });
});
