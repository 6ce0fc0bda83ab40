// The pure parts: the canonical encoding covers every field (changing any one changes the hash),
// chaining links each row to the one before, the checker finds the first broken link against a
// naive oracle, and the web layer classifies routes into audit events.
import '../support/fast-check-seed.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChainChecker, chainKey, chainRecords, GENESIS_HASH, hashRecord, type AuditRecord } from '../../src/audit/index.js';
import { classify } from '../../src/http/audit.js';
import { sampleEvent } from './support.js';

const FIELDS: (keyof Omit<AuditRecord, 'hash'>)[] = ['seq', 'at', 'actor', 'actorKind', 'action', 'type', 'entityType', 'entityIds', 'patient', 'outcome', 'outcomeCode', 'source', 'requestId', 'mac', 'prevHash'];

describe('hashing', () => {
  const [row] = chainRecords({ seq: '0', hash: GENESIS_HASH }, [sampleEvent(2)], undefined);
  const { hash, ...rest } = row!;

  it.each(FIELDS)('a change to %s changes the hash', (field) => {
    const v = rest[field];
    const changed = field === 'at' ? new Date((v as Date).getTime() + 1) : Array.isArray(v) ? [...v, 'x'] : v === null ? 'x' : `${String(v)}x`;
    expect(hashRecord({ ...rest, [field]: changed } as Omit<AuditRecord, 'hash'>, undefined)).not.toBe(hash);
  });

  it('null and "null", and ids joined differently, are different rows', () => {
    expect(hashRecord({ ...rest, patient: null }, undefined)).not.toBe(hashRecord({ ...rest, patient: 'null' }, undefined));
    expect(hashRecord({ ...rest, entityIds: ['a,b'] }, undefined)).not.toBe(hashRecord({ ...rest, entityIds: ['a', 'b'] }, undefined));
  });

  it('HMAC depends on the key', () => {
    const a = chainKey(Buffer.alloc(32, 1));
    const b = chainKey(Buffer.alloc(32, 2));
    expect(hashRecord(rest, a)).not.toBe(hashRecord(rest, b));
    expect(a.id).not.toBe(b.id);
  });
});

describe('the checker against a naive oracle', () => {
  /** The oracle: the first index whose seq, prev or hash is not what a fresh chaining would give. */
  function oracle(rows: readonly AuditRecord[]): string | undefined {
    let prev = GENESIS_HASH;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      const { hash, ...rest } = r;
      if (r.seq !== String(i + 1) || r.prevHash !== prev || hashRecord(rest, undefined) !== hash) return String(i + 1);
      prev = hash;
    }
    return undefined;
  }

  it('finds the first broken link of any mutation of a chain', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 30 }), fc.array(fc.tuple(fc.nat(), fc.constantFrom(...FIELDS, 'hash' as const)), { maxLength: 3 }), (n, edits) => {
      const rows = chainRecords({ seq: '0', hash: GENESIS_HASH }, Array.from({ length: n }, (_, i) => sampleEvent(i)), undefined).map((r) => ({ ...r }));
      for (const [at, field] of edits) {
        const r = rows[at % n]! as unknown as Record<string, unknown>;
        const v = r[field];
        r[field] = field === 'at' ? new Date((v as Date).getTime() + 1) : field === 'seq' ? String(Number(v) + 1) : Array.isArray(v) ? [...v, 'x'] : field === 'mac' ? 'sha256' : `${String(v)}x`;
      }
      const b = new ChainChecker({ seq: '0', hash: GENESIS_HASH }, { keys: [] }).check(rows);
      expect(b?.seq).toBe(oracle(rows));
    }), { numRuns: 300 });
  });
});

describe('which requests the web layer records', () => {
  it.each([
    ['GET', '/fhir/Observation/obs-1', { type: 'phi.read', action: 'R', entityType: 'Observation', entityIds: ['obs-1'] }],
    ['GET', '/fhir/Observation', { type: 'phi.search', action: 'R', entityType: 'Observation' }],
    ['GET', '/fhir/AuditEvent', { type: 'audit.search', patients: 'none' }],
    ['GET', '/inbox/42', { type: 'phi.read', entityType: 'inbox', entityIds: ['42'] }],
    ['POST', '/inbox/42/retry', { type: 'inbox.retried', action: 'E' }],
    ['GET', '/rejected', { type: 'phi.read', entityType: 'rejected' }],
    ['GET', '/me/messages', { type: 'phi.search', patients: 'messages' }],
    ['POST', '/me/messages/cr-1/ack', { type: 'message.ack', action: 'U', entityIds: ['cr-1'], patients: 'message' }],
    ['POST', '/me/messages/cr-1/reply', { type: 'message.reply', action: 'C' }],
    ['GET', '/messages/cr-1/timeline', { type: 'phi.read', patients: 'message' }],
    ['PUT', '/schedule', { type: 'schedule.changed', action: 'U' }],
    ['DELETE', '/schedule/overrides/o-1', { type: 'schedule.changed', action: 'D', entityIds: ['overrides', 'o-1'] }],
    ['POST', '/delivery/dead-letters/7/replay', { type: 'delivery.replay_requested', entityIds: ['7'] }],
  ])('%s %s', (method, path, want) => {
    expect(classify(method, path)).toMatchObject(want);
  });

  it.each([['GET', '/fhir/metadata'], ['GET', '/healthz'], ['GET', '/metrics'], ['GET', '/schedule'], ['GET', '/oncall'], ['POST', '/hl7'], ['GET', '/me/events']])('%s %s is not recorded', (method, path) => {
    expect(classify(method, path)).toBeUndefined();
  });

  it('request text that is not an id is not recorded as one', () => {
    expect(classify('GET', '/fhir/Observation/has%20space')?.entityIds).toEqual([]);
  });
});

describe('the pipeline events', () => {
  it('received: the sender as actor, the inbox row as entity, no patient', async () => {
    const { messageReceivedEvent } = await import('../../src/audit/index.js');
    expect(messageReceivedEvent({ inboxId: '42', sender: 'LAB^HOSP', source: 'mllp', peer: '10.0.0.5', at: new Date(0) })).toMatchObject({
      actor: 'LAB^HOSP', actorKind: 'sender', action: 'C', type: 'message.received', entityType: 'inbox', entityIds: ['42'], patient: null, source: '10.0.0.5',
    });
  });

  it('processed: one event per patient saved, with the saved resources; failed with its code', async () => {
    const { messageProcessedEvents } = await import('../../src/audit/index.js');
    const ev = messageProcessedEvents({ inboxId: '42', at: new Date(0), savedIds: ['Patient/p1', 'Observation/o1', 'CommunicationRequest/c1'] });
    expect(ev).toEqual([expect.objectContaining({ type: 'message.processed', patient: 'p1', entityIds: ['42', 'Patient/p1', 'Observation/o1', 'CommunicationRequest/c1'] })]);
    expect(messageProcessedEvents({ inboxId: '43', at: new Date(0), savedIds: [], failureCode: 'ERR_MAP_X' })).toEqual([expect.objectContaining({ type: 'message.failed', outcome: 'failure', outcomeCode: 'ERR_MAP_X', patient: null })]);
  });
});

describe('every kind of event is a valid R4 AuditEvent', () => {
  it('pipeline, CLI and retention events too', async () => {
    const { messageProcessedEvents, messageReceivedEvent, toAuditEvent } = await import('../../src/audit/index.js');
    const { validateFhir } = await import('../../src/fhir/validate.js');
    const events = [
      messageReceivedEvent({ inboxId: '42', sender: 'LAB^HOSP', source: 'mllp', peer: '10.0.0.5', at: new Date(0) }),
      ...messageProcessedEvents({ inboxId: '42', at: new Date(0), savedIds: ['Patient/p1', 'Observation/o1'] }),
      ...messageProcessedEvents({ inboxId: '43', at: new Date(0), savedIds: [], failureCode: 'ERR_MAP_X' }),
      { at: new Date(0), actor: 'cli', actorKind: 'cli' as const, action: 'E' as const, type: 'token.revoked', entityType: 'token', entityIds: ['jti:https://i.example|j-1'], outcome: 'success' as const },
      { at: new Date(0), actor: 'system', actorKind: 'system' as const, action: 'D' as const, type: 'retention.purged', entityType: 'retention', entityIds: ['audit:10', 'checkpoint:10'], outcome: 'success' as const },
      { ...sampleEvent(0), type: 'schedule.changed', outcome: 'failure' as const, outcomeCode: '500' },
    ];
    for (const r of chainRecords({ seq: '0', hash: GENESIS_HASH }, events, undefined)) expect(validateFhir(toAuditEvent(r)).issues, r.type).toEqual([]);
  }, 60_000);
});
