// `switchboard token`: print a bearer token signed by the local key (DATA_DIR/keys), or revoke tokens.
//   token [--scope S]... [--ttl SECONDS] [--subject SUB] [--patient ID] [--fhir-user REF] [--organization ORG]
//                                            --organization: the token reads that organisation's rows only
//   token --practitioner ID [--ttl SECONDS]     a provider token: the /me routes, as that practitioner
//   token revoke TOKEN                       one token, by its jti (read from the token, not verified)
//   token revoke --jti ID [--issuer I] [--expires ISO-8601]
//   token revoke --kid KID [--issuer I]      every token the key signed, for good
// A revocation is stored in the database and reaches every running gateway at once (LISTEN/NOTIFY).
import { parseArgs } from 'node:util';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { loadConfig } from '../config/index.js';
import { createLogger } from '../obs/index.js';
import { openStore } from '../store/index.js';
import { DEFAULT_LOCAL_SCOPES, DEFAULT_TOKEN_TTL_S, ORGANIZATION_ID, LOCAL_ISSUER, loadOrCreateLocalKey, mintLocalToken, revoke } from '../auth/index.js';
import { appendAudit, auditKeys, configureAuditKey, sealAll } from '../audit/index.js';
import type { Io } from './io.js';
import { PROVIDER_SCOPE } from '../delivery/index.js';
import { toFhirId } from '../routing/index.js';

const USAGE = `usage: switchboard token [--scope S]... [--ttl SECONDS] [--subject SUB] [--patient ID] [--fhir-user REF] [--organization ORG]
       switchboard token --practitioner ID [--ttl SECONDS]
       switchboard token revoke TOKEN | --jti ID [--issuer I] [--expires ISO-8601] | --kid KID [--issuer I]
`;

export async function tokenCommand(argv: string[], io: Io): Promise<number> {
  if (argv[0] === 'revoke') return revokeCommand(argv.slice(1), io);
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: {
      scope: { type: 'string', multiple: true }, ttl: { type: 'string' }, subject: { type: 'string' }, patient: { type: 'string' }, 'fhir-user': { type: 'string' },
      practitioner: { type: 'string' }, organization: { type: 'string' },
    } }));
  } catch (e) {
    io.stderr(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const config = loadConfig();
  const max = config.AUTH_MAX_TOKEN_LIFETIME_S;
  const ttl = values.ttl !== undefined ? Number(values.ttl) : Math.min(DEFAULT_TOKEN_TTL_S, max);
  if (!Number.isInteger(ttl) || ttl <= 0) { io.stderr('--ttl must be a positive number of seconds\n'); return 2; }
  // the gateway refuses a longer token (AUTH_MAX_TOKEN_LIFETIME_S): say so now rather than print one it will refuse
  if (ttl > max) { io.stderr(`--ttl may be at most ${max} seconds (AUTH_MAX_TOKEN_LIFETIME_S)\n`); return 2; }
  if (values.patient !== undefined && !/^[A-Za-z0-9\-.]{1,64}$/.test(values.patient)) { io.stderr('--patient must be a FHIR id\n'); return 2; }
  if (values.organization !== undefined && !ORGANIZATION_ID.test(values.organization)) { io.stderr('--organization must be an organisation id (letters, digits and . _ : -)\n'); return 2; }
  const key = await loadOrCreateLocalKey(config.DATA_DIR);
  if (values.practitioner !== undefined) {
    // a provider token: nothing but the provider scope, the practitioner as its subject (the gateway admits it to /me only)
    if (!/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(values.practitioner)) { io.stderr('--practitioner must be a practitioner id of the schedule\n'); return 2; }
    if (values.scope || values.subject || values.patient || values['fhir-user'] || values.organization) { io.stderr('--practitioner takes no --scope, --subject, --patient, --fhir-user or --organization\n'); return 2; }
    io.stdout(await mintLocalToken(key, { scopes: [PROVIDER_SCOPE], subject: values.practitioner, fhirUser: `Practitioner/${toFhirId(values.practitioner)}`, ttlSeconds: ttl, audience: config.AUTH_AUDIENCE }) + '\n');
    return 0;
  }
  const scopes = values.scope?.flatMap((s) => s.split(/[\s,]+/)).filter(Boolean) ?? DEFAULT_LOCAL_SCOPES;
  io.stdout(await mintLocalToken(key, {
    scopes, ttlSeconds: ttl, audience: config.AUTH_AUDIENCE,
    ...(values.subject ? { subject: values.subject } : {}), ...(values.patient ? { patient: values.patient } : {}), ...(values['fhir-user'] ? { fhirUser: values['fhir-user'] } : {}),
    ...(values.organization ? { organization: values.organization } : {}),
  }) + '\n');
  return 0;
}

type Target = { kind: 'jti' | 'kid'; issuer: string; value: string; expiresAt: Date | null };

/** What to revoke, from a token or from the flags; a string is the usage error. */
function targetOf(values: { jti?: string | undefined; kid?: string | undefined; issuer?: string | undefined; expires?: string | undefined }, token: string | undefined): Target | string {
  const given = [token !== undefined, values.jti !== undefined, values.kid !== undefined].filter(Boolean).length;
  if (given !== 1) return 'name exactly one of TOKEN, --jti or --kid';
  if (token !== undefined) {
    let claims: ReturnType<typeof decodeJwt>;
    try {
      decodeProtectedHeader(token);
      claims = decodeJwt(token);
    } catch {
      return 'TOKEN is not a JWT';
    }
    if (typeof claims.jti !== 'string' || typeof claims.iss !== 'string') return 'the token has no jti (or no iss): revoke the key that signed it with --kid';
    return { kind: 'jti', issuer: claims.iss, value: claims.jti, expiresAt: typeof claims.exp === 'number' ? new Date(claims.exp * 1000) : null };
  }
  const issuer = values.issuer ?? LOCAL_ISSUER;
  if (values.jti !== undefined) {
    const expiresAt = values.expires !== undefined ? new Date(values.expires) : null;
    if (expiresAt !== null && Number.isNaN(expiresAt.getTime())) return '--expires must be an ISO 8601 date-time';
    return { kind: 'jti', issuer, value: values.jti, expiresAt };
  }
  return { kind: 'kid', issuer, value: values.kid!, expiresAt: null };
}

async function revokeCommand(argv: string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { jti: { type: 'string' }, kid: { type: 'string' }, issuer: { type: 'string' }, expires: { type: 'string' } } });
  } catch (e) {
    io.stderr(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (parsed.positionals.length > 1) { io.stderr(USAGE); return 2; }
  const target = targetOf(parsed.values, parsed.positionals[0]);
  if (typeof target === 'string') { io.stderr(`${target}\n${USAGE}`); return 2; }
  const config = loadConfig();
  const store = await openStore(config, createLogger('warn'), { name: 'switchboard-cli' });
  try {
    const added = await revoke(store.sql, { ...target, revokedBy: 'cli' });
    configureAuditKey(auditKeys(config.AUDIT_HMAC_KEY, config.AUDIT_HMAC_OLD_KEYS).current);
    await store.sql.begin((tx) => appendAudit(tx, [{
      at: new Date(), actor: 'cli', actorKind: 'cli', action: 'E', type: 'token.revoked', entityType: 'token',
      entityIds: [`${target.kind}:${target.issuer}|${target.value}`], outcome: 'success', outcomeCode: added ? 'revoked' : 'already',
    }]));
    await sealAll(store.sql);
    io.stdout(`${target.kind} ${target.value} of ${target.issuer} ${added ? 'revoked' : 'was revoked already'}\n`);
    return 0;
  } finally {
    await store.close();
  }
}
