// `switchboard keys status | rotate`: the PHI data keys (README "Security and PHI"). `rotate` adds a
// new data key to the key file, makes it active, tells running gateways to reload (NOTIFY), then
// re-seals every value under an older key in small batches (FOR UPDATE SKIP LOCKED: safe beside
// running gateways and other replicas; stopped, it resumes where values still name an old key), and
// retires the keys no value names any more. With PHI_KEYS or KMS-wrapped keys, the new key is added
// to the key document by the operator (and the gateways restarted); `rotate --reseal-only` then does the rest.
import { parseArgs } from 'node:util';
import { addKeyToFile, installKeyring, keySourceOf, loadKeys, phiKeyring } from '../crypto/index.js';
import { countPhiValues, listPhiKeys, notifyPhiKeys, registerPhiKeys, resealAll, retireUnusedPhiKeys } from '../store/index.js';
import type { Io } from './io.js';
import { withStore } from './store.js';

const USAGE = `usage: switchboard keys status [--json]
       switchboard keys rotate [--reseal-only] [--batch N]
`;

export async function keysCommand(argv: string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv;
  let v;
  try {
    v = parseArgs({ args: rest, options: { json: { type: 'boolean', default: false }, 'reseal-only': { type: 'boolean', default: false }, batch: { type: 'string' } } }).values;
  } catch (e) {
    io.stderr(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (sub !== 'status' && sub !== 'rotate') { io.stderr(USAGE); return 2; }
  const batch = v.batch === undefined ? undefined : Number(v.batch);
  if (batch !== undefined && (!Number.isInteger(batch) || batch < 1)) { io.stderr(`--batch must be a positive integer\n${USAGE}`); return 2; }
  return withStore(async (store, config) => {
    if (sub === 'status') return status(store.sql, io, v.json);
    if (!v['reseal-only']) {
      const source = keySourceOf(config);
      if (source.kind !== 'file') {
        io.stderr('PHI_KEYS is set: add the new key to that document, make it active, restart the gateways, then run `switchboard keys rotate --reseal-only`\n');
        return 2;
      }
      const doc = addKeyToFile(source.path, new Date());
      const loaded = await loadKeys(config, { mayCreate: false, now: new Date() });
      await registerPhiKeys(store.sql, loaded.keyring);
      installKeyring(loaded.keyring);
      await notifyPhiKeys(store.sql);
      io.stdout(`new active key: ${doc.active}\n`);
    }
    const active = phiKeyring().activeId;
    const n = await resealAll(store.sql, {
      ...(batch !== undefined ? { batch } : {}),
      onProgress: (p) => io.stdout(`re-sealed ${p.table}: ${p.done}\n`),
    });
    const retired = await retireUnusedPhiKeys(store.sql, active);
    io.stdout(`done: ${n} values re-sealed under ${active}${retired.length ? `; retired (no value uses them; remove them from the key document when you like): ${retired.join(', ')}` : ''}\n`);
    return 0;
  });
}

async function status(sql: Parameters<typeof countPhiValues>[0], io: Io, json: boolean | undefined): Promise<number> {
  const active = phiKeyring().activeId;
  const keys = await listPhiKeys(sql);
  const counts = await countPhiValues(sql);
  if (json) {
    io.stdout(`${JSON.stringify({ active, keys, values: counts })}\n`);
    return 0;
  }
  io.stdout(`active key: ${active}\n`);
  for (const k of keys) io.stdout(`key ${k.id}: registered ${k.registeredAt.toISOString()}${k.retiredAt ? `, retired ${k.retiredAt.toISOString()}` : ''}\n`);
  for (const c of counts) io.stdout(`${c.table}: ${c.values} values ${c.keyId === null ? 'NOT ENCRYPTED (stored before encryption)' : `under ${c.keyId}`}\n`);
  return 0;
}
