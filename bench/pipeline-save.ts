// node --import tsx bench/pipeline-save.ts [--n 3000] [--batch 32] [--preload 0] [--variants base,...] [--contained] [--explain] [--keep] [--rows-only 5] [--reindex]
//
// The FHIR save of the pipeline alone (no intake, no mapping in the timing): the benchmark traffic
// mapped up front, then saved in batches by saveTransactionBundles on one connection, each batch
// one transaction, as a worker saves it. Printed per variant (a fresh database each): ms per
// message, rows written per message, this process's CPU per message (process.cpuUsage: the save's
// client side, sealing, hashing, extraction and serialisation) and the database backend's CPU per
// message (read from /proc: the server runs on this machine), and the WAL the server wrote per
// message (pg_current_wal_lsn before and after: the whole server's, so run it where nothing else
// writes). Variants: base (the schema as migrated);
// default-collation (the key and search columns under the database's own collation, as before
// migration 024: run it with BENCH_DB_LOCALE=en_US.UTF-8, bench/db.ts); the others drop or change one
// write-path index each, to show what each costs on the hot path. `--rows-only R`: instead, R rounds
// of saveResources alone (the same resources, each under a new id, batches of ~450 rows as a
// 32-message batch has: extraction, sealing, the upsert; no lookup, no locks), CPU per row of this
// process and of the backend.
// `--contained`: each ORU's Observations saved inside their DiagnosticReport (`contained`, the
// report's `result` pointing at them) instead of as rows of their own: not what the gateway stores
// (a contained Observation cannot be searched or read alone), a measure of what fewer rows per
// message would save.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import postgres from 'postgres';
import type { Bundle, BundleEntry, DiagnosticReport, Resource } from 'fhir/r4.js';
import { reindexSearchColumns, saveResources, saveTransactionBundles } from '../src/fhir/index.js';
import { mapInboxRow } from '../src/pipeline/map-row.js';
import { DEFAULT_SITE_CONFIG } from '../src/mapping/index.js';
import { migrate } from '../src/store/migrate.js';
import { adminUrl, freshDatabase, preloadResources } from './db.js';
import { fmt } from './stats.js';
import { Keyring, installKeyring, pooledRandom } from '../src/crypto/index.js';
import { rng, trafficItem } from './pipeline-messages.js';

const arg = (name: string, def: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
};

const VARIANTS: Record<string, string> = {
  base: '',
  // the columns migration 024 made bytewise, back under the database's own collation
  'default-collation': 'ALTER TABLE fhir_resource ALTER COLUMN resource_type TYPE text COLLATE "default", ALTER COLUMN id TYPE text COLLATE "default", ALTER COLUMN subject TYPE text COLLATE "default", ALTER COLUMN recipients TYPE text[] COLLATE "default", ALTER COLUMN identifiers TYPE text[] COLLATE "default", ALTER COLUMN tokens TYPE text[] COLLATE "default"',
  'no-tokens-gin': 'DROP INDEX fhir_resource_tokens',
  'no-identifier-values-gin': 'DROP INDEX fhir_resource_identifier_values',
  'no-identifiers-gin': 'DROP INDEX fhir_resource_identifiers',
  'no-dates': 'DROP INDEX fhir_resource_date_start; DROP INDEX fhir_resource_date_end',
  'no-updated': 'DROP INDEX fhir_resource_updated',
  'no-fk': 'ALTER TABLE fhir_resource DROP CONSTRAINT IF EXISTS fhir_resource_inbox_id_fkey',
  'tokens-fastupdate-off': 'ALTER INDEX fhir_resource_tokens SET (fastupdate = off)',
  'async-commit': 'DO $$ BEGIN EXECUTE format(\'ALTER DATABASE %I SET synchronous_commit = off\', current_database()); END $$',
};

function cpuOf(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * 10; // utime + stime, clock ticks of 10 ms
}

// PHI is sealed as in the gateway, under a key of this run (bench/run.ts installs the same for the others)
installKeyring(new Keyring({ keys: [{ id: 'bench', key: randomBytes(32) }], active: 'bench', searchKey: randomBytes(32), random: pooledRandom() }));

async function main(): Promise<void> {
  const n = Number(arg('n', '3000'));
  const batch = Number(arg('batch', '32'));
  const variants = arg('variants', 'base').split(',');
  const rand = rng(11);
  const traffic = { senders: 50, patients: Math.max(50, Math.floor(n / 4)), criticalShare: 0.02 };
  const key = new Uint8Array(32).fill(3);
  const bundles: Bundle[] = [];
  for (let i = 0; bundles.length < n; i++) {
    const item = trafficItem(i, 'S', traffic, rand);
    if (item.kind !== 'hl7') continue;
    const out = mapInboxRow({ id: String(i), source: 'mllp', raw: item.bytes, received_at: new Date() }, DEFAULT_SITE_CONFIG, key).outcome;
    if (out.kind === 'processed') bundles.push(process.argv.includes('--contained') ? containObservations(out.result.bundle) : out.result.bundle);
  }
  const rounds = Number(arg('rows-only', '0'));
  if (rounds > 0) return rowsOnly(bundles, rounds);
  console.log(`${fmt(n)} messages (ORU 15 OBX / ADT), batches of ${batch}, one connection; load ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
  console.log('| variant | ms per message | process CPU ms per message | DB backend CPU ms per message | sum | rows in store | statements | WAL KB per message |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const v of variants) {
    const db = await freshDatabase(adminUrl());
    let stmts = 0;
    const sql = postgres(db.url, { max: 1, onnotice: () => {}, debug: () => { stmts++; } });
    try {
      await migrate(sql);
      if (VARIANTS[v]) await sql.unsafe(VARIANTS[v]!);
      const preload = Number(arg('preload', '0'));
      if (preload > 0) {
        await preloadResources(sql, preload);
        await sql.unsafe('ANALYZE fhir_resource');
      }
      await sql.end();
      const notices: string[] = [];
      const s2 = postgres(db.url, { max: 1, onnotice: (m) => { notices.push(String(m.message)); }, debug: () => { stmts++; } });
      const explainAt = process.argv.includes('--explain') ? Math.floor(bundles.length / batch / 2) * batch : -1;
      const pid = (await s2<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`)[0]!.pid;
      const lsn0 = (await s2<{ l: string }[]>`SELECT pg_current_wal_lsn()::text AS l`)[0]!.l;
      stmts = 0;
      const c0 = cpuOf(pid);
      const u0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < bundles.length; i += batch) {
        const items = bundles.slice(i, i + batch).map((bundle) => ({ bundle, inboxId: null }));
        if (i === explainAt) await s2.unsafe("LOAD 'auto_explain'; SET auto_explain.log_min_duration = 0; SET auto_explain.log_analyze = on; SET auto_explain.log_buffers = on; SET auto_explain.log_wal = on; SET auto_explain.log_level = 'notice'");
        await s2.begin((tx) => saveTransactionBundles(tx, items, { now: new Date() }));
        if (i === explainAt) { await s2.unsafe('SET auto_explain.log_min_duration = -1'); for (const m of notices) console.log(m); }
      }
      const ms = performance.now() - t0;
      const cpu = cpuOf(pid) - c0;
      const u = process.cpuUsage(u0);
      const own = (u.user + u.system) / 1000;
      const st = stmts;
      const wal = (await s2<{ b: string }[]>`SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), ${lsn0}::pg_lsn)::bigint::text AS b`)[0]!.b;
      const rows = (await s2<{ rows: number }[]>`SELECT count(*)::int AS rows FROM fhir_resource`)[0]!.rows;
      console.log(`| ${v}${process.argv.includes('--contained') ? ', Observations contained' : ''} | ${fmt(ms / n, 3)} | ${fmt(own / n, 3)} | ${fmt(cpu / n, 3)} | ${fmt((own + cpu) / n, 3)} | ${fmt(rows)} | ${fmt(st / n, 2)} | ${fmt(Number(wal) / n / 1024, 1)} |`);
      if (process.argv.includes('--reindex')) {
        // an upgrade that bumps SEARCH_COLUMNS_VERSION: every row opened and re-extracted at the first start
        await s2`UPDATE fhir_resource SET search_version = 0`;
        const r0 = cpuOf(pid), q0 = process.cpuUsage(), w0 = performance.now();
        const done = await reindexSearchColumns(s2);
        const rms = performance.now() - w0, rcpu = cpuOf(pid) - r0, q = process.cpuUsage(q0);
        console.log(`  re-extracting every row (reindexSearchColumns, as the first start after a SEARCH_COLUMNS_VERSION bump): ${fmt(done)} rows in ${fmt(rms / 1000, 1)} s, ${fmt(done / (rms / 1000))} rows/s; CPU per row: this process ${fmt((q.user + q.system) / 1000 / done * 1000, 1)} µs, the backend ${fmt(rcpu / done * 1000, 1)} µs`);
      }
      await s2.end();
    } finally {
      if (process.argv.includes('--keep')) console.log(`kept ${db.url}`);
      else await db.drop();
    }
  }
}

/** The Bundle with each Observation that a DiagnosticReport lists in `result` moved into that report's `contained`. */
function containObservations(b: Bundle): Bundle {
  const entries = b.entry ?? [];
  const observations = new Map<string, BundleEntry>();
  for (const e of entries) if (e.resource?.resourceType === 'Observation' && e.fullUrl) observations.set(e.fullUrl, e);
  const moved = new Set<BundleEntry>();
  const entry = entries.map((e) => {
    if (e.resource?.resourceType !== 'DiagnosticReport') return e;
    const report = e.resource as DiagnosticReport;
    const contained: Resource[] = [];
    const result = (report.result ?? []).map((r, i) => {
      const o = r.reference === undefined ? undefined : observations.get(r.reference);
      if (!o?.resource || moved.has(o)) return r;
      moved.add(o);
      contained.push({ ...o.resource, id: `obs${i}` });
      return { reference: `#obs${i}` };
    });
    return { ...e, resource: { ...report, contained: [...(report.contained ?? []), ...contained], result } };
  });
  return { ...b, entry: entry.filter((e) => !moved.has(e)) };
}

/** saveResources alone, `rounds` times over the same rows into an emptied table: CPU per row, this process and the backend. */
async function rowsOnly(bundles: readonly Bundle[], rounds: number): Promise<void> {
  const resources: Resource[] = [];
  for (const b of bundles) for (const e of b.entry ?? []) if (e.resource) resources.push({ ...e.resource, id: `r${resources.length}` });
  const db = await freshDatabase(adminUrl());
  const sql = postgres(db.url, { max: 1, onnotice: () => {} });
  try {
    await migrate(sql);
    const pid = (await sql<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`)[0]!.pid;
    console.log(`saveResources alone: ${fmt(resources.length)} rows in batches of 450, ${rounds} rounds; load ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
    console.log('| round | process CPU µs per row | DB backend CPU µs per row |');
    console.log('|---:|---:|---:|');
    for (let round = 1; round <= rounds; round++) {
      await sql`TRUNCATE fhir_resource CASCADE`;
      const c0 = cpuOf(pid);
      const u0 = process.cpuUsage();
      for (let i = 0; i < resources.length; i += 450) await saveResources(sql, resources.slice(i, i + 450), { now: new Date() });
      const u = process.cpuUsage(u0);
      console.log(`| ${round} | ${fmt((u.user + u.system) / resources.length, 1)} | ${fmt(((cpuOf(pid) - c0) * 1000) / resources.length, 1)} |`);
    }
  } finally {
    await sql.end();
    await db.drop();
  }
}

await main();
