// Revocation through the database: a token revoked by jti, or every token of a key revoked by kid, is
// refused by every verifier that follows the list (two here, as two gateway replicas), as soon as the
// revocation's NOTIFY arrives.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeJwt } from 'jose';
import { LOCAL_ISSUER, RevocationList, TokenVerifier, loadOrCreateLocalKey, mintLocalToken, revoke, type LocalKey } from '../../src/auth/index.js';
import { listRevocations } from '../../src/store/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

let db: TestDatabase;
let key: LocalKey;
const lists: RevocationList[] = [];
const verifiers: TokenVerifier[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  key = await loadOrCreateLocalKey(mkdtempSync(path.join(os.tmpdir(), 'sb-revoke-')));
  for (let i = 0; i < 2; i++) {
    const list = new RevocationList(db.sql);
    await list.start();
    lists.push(list);
    verifiers.push(new TokenVerifier({ localKey: key, audience: 'switchboard', revocations: list }));
  }
});
afterAll(async () => {
  for (const l of lists) await l.stop();
  await db.drop();
});

const mint = () => mintLocalToken(key, { scopes: ['admin'], audience: 'switchboard' });
const refusedByAll = (token: string) => vi.waitFor(async () => {
  for (const v of verifiers) await expect(v.verify(token)).rejects.toMatchObject({ code: 'ERR_AUTH_REVOKED' });
}, { timeout: 5_000, interval: 20 });

describe('revocation list', () => {
  it('a token revoked by its jti is refused by every replica; others still pass', async () => {
    const [doomed, other] = [await mint(), await mint()];
    for (const v of verifiers) await expect(v.verify(doomed)).resolves.toBeTruthy();
    const claims = decodeJwt(doomed);
    expect(await revoke(db.sql, { kind: 'jti', issuer: LOCAL_ISSUER, value: String(claims.jti), expiresAt: new Date(claims.exp! * 1000), revokedBy: 'test' })).toBe(true);
    await refusedByAll(doomed);
    for (const v of verifiers) await expect(v.verify(other)).resolves.toBeTruthy();
  });

  it('revoking twice says so', async () => {
    const r = { kind: 'jti' as const, issuer: LOCAL_ISSUER, value: 'twice', expiresAt: null, revokedBy: 'test' };
    expect(await revoke(db.sql, r)).toBe(true);
    expect(await revoke(db.sql, r)).toBe(false);
  });

  it('a key revoked by its kid: every token it signed, also ones minted after', async () => {
    const before = await mint();
    await revoke(db.sql, { kind: 'kid', issuer: LOCAL_ISSUER, value: key.kid, expiresAt: null, revokedBy: 'test' });
    await refusedByAll(before);
    await refusedByAll(await mint());
    await db.sql`DELETE FROM revoked_token WHERE kind = 'kid'`;
    for (const l of lists) await l.reload();
  });

  it('a revoked token whose exp has passed is no longer held (it is refused for its exp anyway)', async () => {
    await revoke(db.sql, { kind: 'jti', issuer: LOCAL_ISSUER, value: 'old', expiresAt: new Date(Date.now() - 3_600_000), revokedBy: 'test' });
    const held = await listRevocations(db.sql, new Date());
    expect(held.map((r) => r.value)).not.toContain('old');
    expect(held.map((r) => r.value)).toContain('twice');
  });
});
