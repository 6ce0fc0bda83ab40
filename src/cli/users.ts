// `switchboard users`: the local accounts of the built-in sign-in (src/auth/local-accounts.ts).
//   users add USERNAME --role ROLE [--practitioner ID] [--organization ORG] [--password-stdin]
//   users list [--json]
//   users disable USERNAME | enable USERNAME
//   users reset-password USERNAME [--password-stdin]
//   users totp-enroll USERNAME | totp-remove USERNAME | passkeys-remove USERNAME
// A password is generated (and printed once) unless one is piped in with --password-stdin (never an
// argument: it would show in `ps` and the shell's history). Output never carries a hash; the TOTP
// URI (it holds the secret) is printed once, at enrolment. Every change is an audit event.
import { parseArgs } from 'node:util';
import type { Config } from '../config/index.js';
import type { Store } from '../store/index.js';
import { LocalAccounts, LocalAuthError, ROLES, loadOrCreateSecretKey, localSignInEnabled, normaliseUsername } from '../auth/index.js';
import { appendAudit, auditKeys, configureAuditKey, sealAll, type AuditAction } from '../audit/index.js';
import type { SessionRole } from '../store/index.js';
import type { Io } from './io.js';
import { withStore } from './store.js';

const USAGE = `usage: switchboard users add USERNAME --role ${ROLES.join('|')} [--practitioner ID] [--organization ORG] [--password-stdin]
       switchboard users list [--json]
       switchboard users disable USERNAME | enable USERNAME
       switchboard users reset-password USERNAME [--password-stdin]
       switchboard users totp-enroll USERNAME | totp-remove USERNAME | passkeys-remove USERNAME
  a password is generated and printed once unless --password-stdin reads one (first line of stdin)
`;

const OPTIONS = {
  role: { type: 'string' }, practitioner: { type: 'string' }, organization: { type: 'string' },
  'password-stdin': { type: 'boolean', default: false }, json: { type: 'boolean', default: false },
} as const;

/** The first line of stdin (a password piped in), without its line ending. */
async function readStdinLine(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
}

export async function usersCommand(argv: string[], io: Io, readPassword: () => Promise<string> = readStdinLine): Promise<number> {
  const [sub, ...rest] = argv;
  let parsed;
  try {
    parsed = parseArgs({ args: rest, allowPositionals: true, options: OPTIONS });
  } catch (e) {
    io.stderr(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const v = parsed.values;
  const [given, ...extra] = parsed.positionals;
  const username = given === undefined ? undefined : normaliseUsername(given);
  const needsName = sub !== 'list';
  if (!sub || !['add', 'list', 'disable', 'enable', 'reset-password', 'totp-enroll', 'totp-remove', 'passkeys-remove'].includes(sub) || (needsName && !username) || extra.length > 0 || (!needsName && username)) {
    io.stderr(USAGE);
    return 2;
  }
  if (sub === 'add' && (v.role === undefined || !ROLES.includes(v.role as SessionRole))) { io.stderr(`--role must be one of ${ROLES.join(', ')}\n`); return 2; }
  const password = v['password-stdin'] ? await readPassword() : undefined;
  try {
    return await withStore((store, config) => change(sub, username, v, password, store, config, io));
  } catch (e) {
    if (e instanceof LocalAuthError) { io.stderr(`${e.message}\n`); return e.code === 'ERR_LOCAL_ACCOUNT_UNKNOWN' ? 1 : 2; }
    throw e;
  }
}

type Values = { role?: string | undefined; practitioner?: string | undefined; organization?: string | undefined; json?: boolean | undefined };

async function change(sub: string, username: string | undefined, v: Values, password: string | undefined, store: Store, config: Config, io: Io): Promise<number> {
  const accounts = new LocalAccounts({ sql: store.sql, secretKey: loadOrCreateSecretKey(config.DATA_DIR, config.LOCAL_AUTH_SECRET_KEY), audit: appendAudit });
  configureAuditKey(auditKeys(config.AUDIT_HMAC_KEY, config.AUDIT_HMAC_OLD_KEYS).current);
  const audit = async (action: AuditAction, type: string, code: string) => {
    await store.sql.begin((tx) => appendAudit(tx, [{ at: new Date(), actor: 'cli', actorKind: 'cli', action, type, entityType: 'local-account', entityIds: [username ?? ''], outcome: 'success', outcomeCode: code }]));
    await sealAll(store.sql);
  };
  switch (sub) {
    case 'list': {
      const rows = await accounts.list();
      for (const r of rows) {
        const view = { username: r.username, role: r.role, practitioner: r.practitioner, organization: r.organization, totp: r.totpEnrolled, passkeys: r.passkeys, disabled: r.disabled, updatedAt: r.updatedAt.toISOString() };
        io.stdout(v.json ? JSON.stringify(view) + '\n'
          : `${r.username}\t${r.role}\t${r.practitioner ?? '-'}\t${r.organization ?? '-'}\t${r.totpEnrolled ? 'totp' : 'no-totp'}\t${r.passkeys} passkey(s)\t${r.disabled ? 'disabled' : 'enabled'}\n`);
      }
      if (!v.json && rows.length === 0) io.stderr('no local accounts (switchboard users add USERNAME --role admin)\n');
      return 0;
    }
    case 'add': {
      const r = await accounts.add({ username: username!, role: v.role as SessionRole, practitioner: v.practitioner, organization: v.organization, password });
      await audit('C', 'local-account.added', v.role!);
      io.stdout(`added ${username!} (${v.role})\n`);
      if (r.generatedPassword) io.stdout(`password (shown once; change it with POST /auth/local/password): ${r.generatedPassword}\n`);
      if (!localSignInEnabled(config)) io.stderr('note: local sign-in is off for this configuration (LOCAL_AUTH=on turns it on)\n');
      return 0;
    }
    case 'disable': {
      const ended = await accounts.disable(username!);
      await audit('U', 'local-account.disabled', 'disabled');
      io.stdout(`disabled ${username!}; ${ended} session(s) signed out\n`);
      return 0;
    }
    case 'enable':
      await accounts.enable(username!);
      await audit('U', 'local-account.enabled', 'enabled');
      io.stdout(`enabled ${username!}\n`);
      return 0;
    case 'reset-password': {
      const r = await accounts.resetPassword(username!, password);
      await audit('U', 'local-account.password-reset', 'reset');
      io.stdout(`password of ${username!} reset; ${r.sessionsEnded} session(s) signed out\n`);
      if (r.generatedPassword) io.stdout(`password (shown once): ${r.generatedPassword}\n`);
      return 0;
    }
    case 'totp-remove':
      await accounts.removeTotp(username!);
      await audit('U', 'local-account.totp-removed', 'removed');
      io.stdout(`TOTP removed for ${username!}\n`);
      return 0;
    case 'passkeys-remove': {
      const n = await accounts.removePasskeys(username!);
      await audit('U', 'local-account.passkeys-removed', String(n));
      io.stdout(`${n} passkey(s) of ${username!} removed\n`);
      return 0;
    }
    default: {
      const uri = await accounts.enrollTotp(username!);
      await audit('U', 'local-account.totp-enrolled', 'enrolled');
      io.stdout(`TOTP enrolled for ${username!}; add this to an authenticator app (shown once; it holds the secret):\n${uri}\n`);
      return 0;
    }
  }
}
