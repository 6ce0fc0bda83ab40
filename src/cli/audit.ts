// `switchboard audit verify|list` and `switchboard purge` (README "Audit trail").
//   audit verify [--json] [--require-hmac]   walk the chain from its checkpoint; exit 1 at the first broken link
//   audit list [--patient ID] [--actor X] [--since T] [--until T] [--limit N] [--before SEQ] [--json]
//   purge [--json]                           apply MESSAGE_/FHIR_/AUDIT_RETENTION_DAYS now (one replica at a time)
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/index.js';
import { auditKeys, configureAuditKey, purgeExpired, sealAll, searchAudit, verifyAuditChain, type AuditRecord } from '../audit/index.js';
import { readInstant, zoneClock } from '../time/index.js';
import type { Io } from './io.js';
import { withStore } from './store.js';

const USAGE = `usage: switchboard audit verify [--json] [--require-hmac]
       switchboard audit list [--patient ID] [--actor X] [--since T] [--until T] [--limit N] [--before SEQ] [--json]
       switchboard purge [--json]
`;


const UTC = zoneClock('UTC');
const ID = /^[A-Za-z0-9\-.]{1,64}$/;

function line(r: AuditRecord): string {
  return [r.seq, r.at.toISOString(), r.type, r.action, r.actorKind, r.actor, r.patient ?? '', `${r.entityType ?? ''}${r.entityIds.length ? `:${r.entityIds.join(',')}` : ''}`, r.outcome, r.outcomeCode ?? '', r.source ?? '', r.requestId ?? ''].join('\t');
}

async function verify(values: { json?: boolean; 'require-hmac'?: boolean }, io: Io): Promise<number> {
  const config = loadConfig();
  const keys = auditKeys(config.AUDIT_HMAC_KEY, config.AUDIT_HMAC_OLD_KEYS);
  const r = await withStore(({ sql }) => verifyAuditChain(sql, { keys: keys.all, ...(values['require-hmac'] ? { requireHmac: true } : {}) }), config);
  if (values.json) io.stdout(`${JSON.stringify(r)}\n`);
  else {
    io.stdout(`checked ${r.checked} rows from seq ${r.from.seq} (checkpoint ${r.from.hash})\n`);
    // the anchor: record it outside the database; a later head must descend from it
    io.stdout(`head seq ${r.head.seq} hash ${r.head.hash}\n`);
    if (r.pending > 0) io.stdout(`${r.pending} events recorded but not sealed yet (a running gateway seals them)\n`);
    io.stdout(r.ok ? 'chain ok\n' : `BROKEN at seq ${r.break!.seq}: ${r.break!.reason}\n`);
  }
  return r.ok ? 0 : 1;
}

async function list(values: Record<string, string | boolean | undefined>, io: Io): Promise<number> {
  const str = (k: string): string | undefined => (typeof values[k] === 'string' ? values[k] : undefined);
  const time = (k: string): Date | null | undefined => {
    const v = str(k);
    if (v === undefined) return undefined;
    const t = readInstant(v, UTC, { dateOnly: true });
    return t === undefined ? null : new Date(t);
  };
  const limit = Number(str('limit') ?? 100);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) { io.stderr('--limit must be 1 to 1000\n'); return 2; }
  const patient = str('patient')?.replace(/^Patient\//, '');
  if (patient !== undefined && !ID.test(patient)) { io.stderr('--patient must be a Patient id\n'); return 2; }
  const actor = str('actor');
  if (actor !== undefined && !/^[\x21-\x7e]{1,256}$/.test(actor)) { io.stderr('--actor must be an actor as recorded\n'); return 2; }
  const since = time('since');
  const until = time('until');
  if (since === null || until === null) { io.stderr('--since/--until must be ISO 8601 dates or instants (UTC unless an offset is given)\n'); return 2; }
  const before = str('before');
  if (before !== undefined && !/^\d{1,18}$/.test(before)) { io.stderr('--before must be a seq\n'); return 2; }
  const rows = await withStore(({ sql }) => searchAudit(sql, {
    limit, ...(patient ? { patient } : {}), ...(actor ? { actor } : {}), ...(since ? { since } : {}), ...(until ? { until } : {}), ...(before ? { beforeSeq: before } : {}),
  }));
  for (const r of rows) io.stdout(values.json ? `${JSON.stringify(r)}\n` : `${line(r)}\n`);
  if (rows.length === limit) io.stderr(`more may follow: continue with --before ${rows.at(-1)!.seq}\n`);
  return 0;
}

export async function auditCommand(argv: string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: true,
      options: {
        json: { type: 'boolean' }, 'require-hmac': { type: 'boolean' }, patient: { type: 'string' }, actor: { type: 'string' },
        since: { type: 'string' }, until: { type: 'string' }, limit: { type: 'string' }, before: { type: 'string' },
      },
    });
  } catch (e) {
    io.stderr(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const [sub, ...extra] = parsed.positionals;
  if (extra.length > 0) { io.stderr(USAGE); return 2; }
  if (sub === 'verify') return verify(parsed.values, io);
  if (sub === 'list') return list(parsed.values, io);
  io.stderr(USAGE);
  return 2;
}

export async function purgeCommand(argv: string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { json: { type: 'boolean' } } });
  } catch (e) {
    io.stderr(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const config = loadConfig();
  if (config.MESSAGE_RETENTION_DAYS === undefined && config.FHIR_RETENTION_DAYS === undefined && config.AUDIT_RETENTION_DAYS === undefined) {
    io.stderr('nothing to purge: set MESSAGE_RETENTION_DAYS, FHIR_RETENTION_DAYS or AUDIT_RETENTION_DAYS\n');
    return 2;
  }
  // the purge's own audit row is sealed like the gateway's
  configureAuditKey(auditKeys(config.AUDIT_HMAC_KEY, config.AUDIT_HMAC_OLD_KEYS).current);
  const r = await withStore(async ({ sql }) => {
    // pending events first, so the purge sees every recorded row; then the purge's own row
    await sealAll(sql);
    const result = await purgeExpired(sql, { messageDays: config.MESSAGE_RETENTION_DAYS, fhirDays: config.FHIR_RETENTION_DAYS, auditDays: config.AUDIT_RETENTION_DAYS }, new Date(), { actor: 'cli', actorKind: 'cli' });
    await sealAll(sql);
    return result;
  }, config);
  if (parsed.values.json) io.stdout(`${JSON.stringify(r)}\n`);
  else if (!r.ran) io.stdout('another process is purging now; nothing done\n');
  else io.stdout(`purged: ${r.inboxBytes} message bodies, ${r.rejected} rejected, ${r.fhirResources} FHIR resources, ${r.auditRows} audit rows${r.checkpoint ? ` (checkpoint seq ${r.checkpoint.seq} hash ${r.checkpoint.hash})` : ''}\n`);
  return r.ran ? 0 : 1;
}
