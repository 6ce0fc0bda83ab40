// The authorization policy (src/auth/policy.ts), pure: how far each kind of principal reaches, and what
// that reach sees of each resource family — the whole table, so a family or a reach added without a
// decision here fails; the organisation claims of tokens and sign-ins that set the reach.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ORGANIZATION, LOCAL_ISSUER, TokenVerifier, loadOrCreateLocalKey, mapPerson, mintLocalToken, parseRoleMap, principalOf, reachOf, rowFilter,
  type Principal, type Reach, type ResourceFamily,
} from '../../src/auth/index.js';

const token = (o: Partial<Principal> & { scopes: string[] }): Principal => ({ subject: 'client', issuer: 'https://as.example', ...o });
const session = (role: 'provider' | 'operator' | 'supervisor' | 'admin', organization = 'north', practitioner: string | null = role === 'provider' ? 'dr-baker' : null) =>
  principalOf({ issuer: 'https://idp', subject: 'u1', role, practitioner, organization, createdAt: new Date(0), lastSeen: new Date(0), idleExpiresAt: new Date(0), absoluteExpiresAt: new Date(0), revokedAt: null });

describe('the reach of a principal', () => {
  it.each<[string, Principal, Reach]>([
    ['an admin session, whatever its organisation', session('admin'), { kind: 'all' }],
    ['an operator session: its organisation', session('operator'), { kind: 'organization', organization: 'north' }],
    ['a supervisor session: its organisation', session('supervisor', 'south'), { kind: 'organization', organization: 'south' }],
    ['a session of the default organisation', session('operator', DEFAULT_ORGANIZATION), { kind: 'organization', organization: 'default' }],
    ['a provider session: its practitioner', session('provider'), { kind: 'practitioner', practitioner: 'dr-baker' }],
    ['a provider token: its subject', token({ scopes: ['provider'], subject: 'dr-cole' }), { kind: 'practitioner', practitioner: 'dr-cole' }],
    ['a provider token that also says admin: still a provider', token({ scopes: ['provider', 'admin'], subject: 'dr-cole' }), { kind: 'practitioner', practitioner: 'dr-cole' }],
    ['a token without an organization claim: every organisation (its scopes limit it)', token({ scopes: ['system/*.rs'] }), { kind: 'all' }],
    ['a token with an organization claim: that organisation, even with admin', token({ scopes: ['admin'], organization: 'north' }), { kind: 'organization', organization: 'north' }],
  ])('%s', (_name, p, reach) => {
    expect(reachOf(p)).toEqual(reach);
  });
});

const FAMILIES: readonly ResourceFamily[] = ['message', 'fhir', 'rejected', 'audit', 'schedule', 'schedule-change', 'intake', 'mine'];
const REACHES: Record<string, Reach> = {
  all: { kind: 'all' },
  north: { kind: 'organization', organization: 'north' },
  default: { kind: 'organization', organization: DEFAULT_ORGANIZATION },
  'dr-baker': { kind: 'practitioner', practitioner: 'dr-baker' },
};

// reach x family -> decision: 403 refused, all, org (its own organisation's rows), none (no row), mine (the practitioner's),
// patients (the FHIR resources of the practitioner's messages' patients)
const TABLE: Record<string, Record<ResourceFamily, string>> = {
  all:        { message: 'all', fhir: 'all',      rejected: 'all',  audit: 'all', schedule: 'all', 'schedule-change': 'all', intake: 'all', mine: '403' },
  north:      { message: 'org', fhir: 'org',      rejected: 'none', audit: '403', schedule: 'all', 'schedule-change': '403', intake: 'all', mine: '403' },
  default:    { message: 'org', fhir: 'org',      rejected: 'all',  audit: '403', schedule: 'all', 'schedule-change': 'all', intake: 'all', mine: '403' },
  'dr-baker': { message: '403', fhir: 'patients', rejected: '403',  audit: '403', schedule: '403', 'schedule-change': '403', intake: '403', mine: 'mine' },
};

describe('what a reach sees of each family', () => {
  it('the table names every family', () => {
    for (const row of Object.values(TABLE)) expect(Object.keys(row).sort()).toEqual([...FAMILIES].sort());
  });
  const cases = Object.entries(TABLE).flatMap(([reach, row]) => FAMILIES.map((f) => [reach, f, row[f]] as const));
  it.each(cases)('%s on %s: %s', (reachName, family, want) => {
    const reach = REACHES[reachName]!;
    const got = rowFilter(reach, family);
    const short = got.kind === 'forbidden' ? '403' : got.kind === 'organization' ? 'org' : got.kind === 'practitioner' ? 'mine' : got.kind;
    if (got.kind === 'patients') expect(got.practitioner).toBe('dr-baker');
    expect(short).toBe(want);
    if (got.kind === 'organization') expect(got.organization).toBe(reach.kind === 'organization' ? reach.organization : '?');
    if (got.kind === 'practitioner') expect(got.practitioner).toBe('dr-baker');
    if (got.kind === 'forbidden') expect(got.reason).not.toBe('');
  });
  it('a provider who names no practitioner is refused everything', () => {
    for (const f of FAMILIES) expect(rowFilter({ kind: 'practitioner', practitioner: '' }, f)).toMatchObject({ kind: 'forbidden' });
  });
  it('an unknown family is refused (deny by default)', () => {
    expect(rowFilter({ kind: 'organization', organization: 'north' }, 'billing' as ResourceFamily)).toMatchObject({ kind: 'forbidden' });
  });
});

describe('the organisation of a token', () => {
  const NOW = new Date('2026-11-25T12:00:00Z');
  const keyP = loadOrCreateLocalKey(mkdtempSync(path.join(os.tmpdir(), 'sb-policy-')));
  const verify = async (claims: Record<string, unknown>) => {
    const key = await keyP;
    const jwt = await new SignJWT({ scope: 'inbox.read', ...claims }).setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'at+jwt' })
      .setIssuer(LOCAL_ISSUER).setAudience('switchboard').setSubject('c').setIssuedAt(NOW.getTime() / 1000).setExpirationTime(NOW.getTime() / 1000 + 600).sign(key.privateKey);
    return new TokenVerifier({ localKey: key, audience: 'switchboard', now: () => NOW }).verify(jwt);
  };
  it('the organization claim becomes the principal\'s organisation', async () => {
    expect(await verify({ organization: 'north' })).toMatchObject({ organization: 'north' });
    expect((await verify({})).organization).toBeUndefined();
  });
  it.each([[''], ['a b'], ['../x'], [42], [['north']], ['x'.repeat(201)]])('an unreadable organization claim %j refuses the token (it would limit to nothing known)', async (org) => {
    await expect(verify({ organization: org })).rejects.toMatchObject({ code: 'ERR_AUTH_INVALID' });
  });
  it('switchboard token --organization mints the claim', async () => {
    const key = await keyP;
    const t = await mintLocalToken(key, { scopes: ['inbox.read'], audience: 'switchboard', now: NOW, organization: 'south' });
    expect(await new TokenVerifier({ localKey: key, audience: 'switchboard', now: () => NOW }).verify(t)).toMatchObject({ organization: 'south' });
  });
});

describe('the organisation of a signed-in person (OIDC_ORGANIZATION_CLAIM)', () => {
  const roleMap = parseRoleMap('{"doc": "provider", "ops": "operator", "sup": "supervisor", "adm": "admin"}');
  const m = { practitionerClaim: 'fhirUser', rolesClaim: 'groups', roleMap, organizationClaim: 'org' };
  it('unset: one organisation, nobody names one', () => {
    expect(mapPerson({ sub: 's', groups: ['ops'] }, { ...m, organizationClaim: undefined }).organization).toBeUndefined();
  });
  it('set: the claim (a string, or the first string of an array)', () => {
    expect(mapPerson({ sub: 's', groups: ['ops'], org: 'north' }, m).organization).toBe('north');
    expect(mapPerson({ sub: 's', groups: ['sup'], org: ['south', 'north'] }, m).organization).toBe('south');
  });
  it.each([['ops'], ['sup']])('set, a %s without a readable one gets no session', (group) => {
    for (const org of [undefined, '', 'a b', 7]) {
      expect(() => mapPerson({ sub: 's', groups: [group], ...(org === undefined ? {} : { org }) }, m)).toThrow(expect.objectContaining({ code: 'ERR_SESSION_NO_ORGANIZATION' }));
    }
  });
  it('an admin or a provider without one still signs in (an admin sees all; a provider their own messages)', () => {
    expect(mapPerson({ sub: 's', groups: ['adm'] }, m).role).toBe('admin');
    expect(mapPerson({ sub: 's', groups: ['doc'], fhirUser: 'Practitioner/dr-a' }, m).practitioner).toBe('dr-a');
  });
  it('a session carries its role and organisation into its principal', () => {
    expect(session('supervisor', 'south')).toMatchObject({ role: 'supervisor', organization: 'south' });
  });
});
