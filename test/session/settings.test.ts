// The sign-in settings and the pure parts of the claim mapping: defaults, refusals at start, the
// practitioner claim's forms, the return-path rule, and the principal each role's session acts as.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import '../support/fast-check-seed.js';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { mapPerson, parseRoleMap, practitionerFrom, principalOf, safeReturnPath, ROLE_SCOPES, SessionError } from '../../src/auth/index.js';
import { practitionerOf } from '../../src/delivery/index.js';

describe('sign-in settings', () => {
  it('defaults: no IdP, 15 min idle, 12 h at most, fhirUser and groups claims', () => {
    const c = loadConfig({});
    expect(c.OIDC_ISSUER).toBeUndefined();
    expect(c).toMatchObject({ SESSION_IDLE_MINUTES: 15, SESSION_MAX_HOURS: 12, OIDC_PRACTITIONER_CLAIM: 'fhirUser', OIDC_ROLES_CLAIM: 'groups', OIDC_SCOPES: 'openid profile email' });
  });
  it('refuses scopes without openid, a non-URL issuer, a zero idle time', () => {
    expect(() => loadConfig({ OIDC_SCOPES: 'profile email' })).toThrow(ConfigError);
    expect(() => loadConfig({ OIDC_ISSUER: 'not a url' })).toThrow(/OIDC_ISSUER/);
    expect(() => loadConfig({ SESSION_IDLE_MINUTES: '0' })).toThrow(/SESSION_IDLE_MINUTES/);
  });
  it('the role map must be a JSON object of known roles', () => {
    expect(parseRoleMap('{"a": "provider", "b": "admin"}').get('b')).toBe('admin');
    expect(() => parseRoleMap('{"a": "root"}')).toThrow(/unknown role/);
    expect(() => parseRoleMap('["provider"]')).toThrow(/JSON object/);
    expect(() => parseRoleMap('{')).toThrow(/JSON object/);
  });
});

describe('the claim mapping', () => {
  const m = { practitionerClaim: 'fhirUser', rolesClaim: 'groups', roleMap: parseRoleMap('{"doc": "provider", "ops": "operator"}') };
  it('reads the practitioner from Practitioner/ID, a URL ending so, or a bare id', () => {
    expect(practitionerFrom('Practitioner/dr-ames')).toBe('dr-ames');
    expect(practitionerFrom('https://ehr.example/fhir/Practitioner/dr.ames-2')).toBe('dr.ames-2');
    expect(practitionerFrom('dr-ames')).toBe('dr-ames');
    for (const bad of ['Patient/p1', 'a b', '', 42, undefined, `x${'a'.repeat(70)}`]) expect(practitionerFrom(bad)).toBeUndefined();
  });
  it('takes a roles claim given as one string', () => {
    expect(mapPerson({ iss: 'i', sub: 's', groups: 'ops' }, m)).toEqual({ issuer: 'i', subject: 's', role: 'operator', practitioner: null });
  });
  it('refuses unknown people and practitioner-less providers with stable codes', () => {
    const code = (f: () => unknown) => { try { f(); return undefined; } catch (e) { return (e as SessionError).code; } };
    expect(code(() => mapPerson({ sub: 's', groups: ['x'] }, m))).toBe('ERR_SESSION_UNKNOWN_PERSON');
    expect(code(() => mapPerson({ sub: 's' }, m))).toBe('ERR_SESSION_UNKNOWN_PERSON');
    expect(code(() => mapPerson({ sub: 's', groups: ['doc'], fhirUser: 'Patient/1' }, m))).toBe('ERR_SESSION_NO_PRACTITIONER');
  });
});

describe('the principal of a session', () => {
  const row = { issuer: 'https://idp', subject: 'u1', createdAt: new Date(0), lastSeen: new Date(0), idleExpiresAt: new Date(0), absoluteExpiresAt: new Date(0), revokedAt: null, organization: 'default' };
  it('a provider session is a provider token for its practitioner', () => {
    const p = principalOf({ ...row, role: 'provider', practitioner: 'dr-ames' });
    expect(practitionerOf(p)).toBe('dr-ames');
    expect(p.scopes).toEqual(['provider']);
  });
  it('other roles carry their table\'s operation scopes, never admin or a SMART scope', () => {
    for (const role of ['operator', 'supervisor', 'admin'] as const) {
      const p = principalOf({ ...row, role, practitioner: null });
      expect(practitionerOf(p)).toBeUndefined();
      expect(p.scopes).toEqual(ROLE_SCOPES[role]);
      expect(p.scopes.some((s) => s === 'admin' || s.includes('/'))).toBe(false);
    }
  });
});

describe('the return path', () => {
  it('accepts paths on this server, with a query', () => {
    expect(safeReturnPath(undefined)).toBe('/auth/session');
    expect(safeReturnPath('/me/messages?status=all')).toBe('/me/messages?status=all');
    expect(safeReturnPath('/')).toBe('/');
  });
});

describe('the return path, as a browser reads it', () => {
  // printable ASCII and the characters a browser treats specially in a URL's start
  const piece = fc.constantFrom('/', '\\', ':', '.', '@', '?', '#', '%2f', '%5c', 'evil.example', 'a', 'http', '//', '\t', ' ', '\n');
  const candidate = fc.oneof(fc.array(piece, { maxLength: 8 }).map((xs) => xs.join('')), fc.string({ maxLength: 40 }));
  it('whatever it accepts stays on this origin', () => {
    fc.assert(fc.property(candidate, (v) => {
      let accepted: string;
      try { accepted = safeReturnPath(v); } catch (e) { expect((e as SessionError).code).toBe('ERR_SESSION_RETURN_PATH'); return; }
      expect(new URL(accepted, 'https://sb.example/auth/callback').origin).toBe('https://sb.example');
    }), { numRuns: 2000 });
  });
});
