// The sender allow-list as data: the file's schema (errors name the path), who may send from where,
// and which address an HTTP request comes from behind a proxy.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SenderPolicy, SendersFileError, clientAddress, loadSendersFile, sendersFileSchema } from '../../src/ingest/senders.js';

const policy = SenderPolicy.fromFile(sendersFileSchema.parse({
  senders: [
    { application: 'LAB', facility: 'NORTHLAB', from: ['10.1.2.0/24', '2001:db8::/32'], appAck: { to: 'address', host: '10.1.2.15', port: 6661 } },
    { application: 'ADT', facility: 'GENHOSP', certificateSubject: 'CN=adt-feed' },
    { application: 'EPIC', facility: 'GENHOSP', from: ['10.20.0.0/16'], certificateSubject: 'CN=epic-bridge, O=General Hospital', appAck: { to: 'connection' } },
  ],
}));

describe('sender allow-list', () => {
  it.each([
    ['LAB', 'NORTHLAB', { address: '10.1.2.7' }, 'ok'],
    ['LAB', 'NORTHLAB', { address: '::ffff:10.1.2.7' }, 'ok'],
    ['LAB', 'NORTHLAB', { address: '2001:db8::5' }, 'ok'],
    ['LAB', 'NORTHLAB', { address: '10.1.3.7' }, 'wrong_origin'],
    ['LAB', 'NORTHLAB', { address: null }, 'wrong_origin'],
    ['LAB', 'SOUTHLAB', { address: '10.1.2.7' }, 'unknown_sender'],
    ['EVILAPP', 'EVILFAC', { address: '10.1.2.7' }, 'unknown_sender'],
    ['ADT', 'GENHOSP', { address: '192.0.2.1', certSubject: 'C=US,O=General Hospital,CN=adt-feed' }, 'ok'],
    ['ADT', 'GENHOSP', { address: '192.0.2.1', certSubject: 'CN=lab-feed' }, 'wrong_origin'],
    ['ADT', 'GENHOSP', { address: '192.0.2.1' }, 'wrong_origin'],
    ['EPIC', 'GENHOSP', { address: '10.20.1.1', certSubject: 'CN=epic-bridge,O=General Hospital' }, 'ok'],
    ['EPIC', 'GENHOSP', { address: '10.21.1.1', certSubject: 'CN=epic-bridge,O=General Hospital' }, 'wrong_origin'],
    ['EPIC', 'GENHOSP', { address: '10.20.1.1', certSubject: 'CN=epic-bridge,O=Other' }, 'wrong_origin'],
  ] as const)('%s/%s from %j -> %s', (app, fac, origin, want) => {
    const r = policy.check(app, fac, origin);
    expect(r.ok ? 'ok' : r.reason).toBe(want);
  });

  it('says where each sender wants its application ACKs, stored only by default', () => {
    expect(policy.check('LAB', 'NORTHLAB', { address: '10.1.2.7' })).toEqual({ ok: true, appAck: { to: 'address', host: '10.1.2.15', port: 6661, tls: false } });
    expect(policy.check('EPIC', 'GENHOSP', { address: '10.20.1.1', certSubject: 'CN=epic-bridge,O=General Hospital' })).toMatchObject({ appAck: { to: 'connection' } });
    expect(policy.check('ADT', 'GENHOSP', { address: '10.20.1.1', certSubject: 'CN=adt-feed' })).toMatchObject({ appAck: { to: 'stored' } });
  });

  it('without a list: loopback senders only; with DEV_ALLOW_ANY_SENDER: anyone', () => {
    const loop = SenderPolicy.loopbackOnly();
    for (const a of ['127.0.0.1', '127.8.9.1', '::1', '::ffff:127.0.0.1']) expect(loop.check('ANY', 'ONE', { address: a }).ok).toBe(true);
    for (const a of ['10.0.0.1', '::ffff:10.0.0.1', '2001:db8::1', null]) expect(loop.check('ANY', 'ONE', { address: a }).ok).toBe(false);
    expect(SenderPolicy.anySender().check('EVILAPP', 'EVILFAC', { address: '203.0.113.9' }).ok).toBe(true);
  });

  it.each([
    [{ senders: [{ application: 'LAB', facility: 'X' }] }, 'senders.0: give `from`'],
    [{ senders: [{ application: 'LAB', facility: 'X', from: ['10.1.2.0/33'] }] }, 'senders.0.from.0: not an IP address or CIDR'],
    [{ senders: [{ application: 'LAB', facility: 'X', from: ['lab.example.org'] }] }, 'senders.0.from.0: not an IP address or CIDR'],
    [{ senders: [{ application: 'LAB', facility: 'X', from: ['10.0.0.1'], appAck: { to: 'address', host: 'h', port: 70000 } }] }, 'senders.0.appAck.port'],
    [{ senders: [{ application: 'LAB', facility: 'X', from: ['10.0.0.1'], color: 'red' }] }, 'senders.0'],
    [{ senders: [{ application: 'LAB', facility: 'X', from: ['10.0.0.1'] }, { application: 'LAB', facility: 'X', from: ['10.0.0.2'] }] }, 'senders.1: this application and facility are listed twice'],
  ])('a bad file is refused naming the file and the path of the problem (%j)', (content, where) => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'sb-senders-')), 'senders.json');
    writeFileSync(file, JSON.stringify(content));
    expect(() => loadSendersFile(file)).toThrow(SendersFileError);
    expect(() => loadSendersFile(file)).toThrow(file);
    expect(() => loadSendersFile(file)).toThrow(where);
  });

  it('reads the YAML example', () => {
    const f = loadSendersFile(new URL('../../fixtures/senders/example.yaml', import.meta.url).pathname);
    expect(f.senders.map((s) => s.application)).toEqual(['LAB', 'ADT', 'EPIC']);
  });

  it('believes X-Forwarded-For only from a trusted proxy, and only its right-most untrusted hop', () => {
    expect(clientAddress('10.1.2.7', '203.0.113.9', [])).toBe('10.1.2.7');
    expect(clientAddress('10.9.0.2', '203.0.113.9', [])).toBe('10.9.0.2');
    expect(clientAddress('10.9.0.2', '203.0.113.9', ['10.9.0.0/16'])).toBe('203.0.113.9');
    // a client cannot name itself: its own entry is on the left, the proxy appends what it saw
    expect(clientAddress('10.9.0.2', '10.1.2.7, 203.0.113.9', ['10.9.0.0/16'])).toBe('203.0.113.9');
    expect(clientAddress('10.9.0.2', '203.0.113.9, 10.9.0.3', ['10.9.0.0/16'])).toBe('203.0.113.9');
    expect(clientAddress('10.9.0.2', 'junk', ['10.9.0.0/16'])).toBeNull();
    expect(clientAddress('::ffff:10.9.0.2', '203.0.113.9', ['10.9.0.0/16'])).toBe('203.0.113.9');
    expect(clientAddress(null, '203.0.113.9', ['10.9.0.0/16'])).toBeNull();
  });
});
