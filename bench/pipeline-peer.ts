// Forked by bench/pipeline.ts with --peer 1: the routine workers' processing thread, hosted by a
// process of its own instead of the gateway's, every task of that process at the given nice (its V8
// platform threads included: the collector's parallel work for this heap runs at the drain's
// priority, and the gateway's main thread keeps its own pool at nice 0). A measurement of what
// running the routine processing as a separate process would change; the gateway does not do it.
// The critical lane's state is in the gateway's memory, not shared with this process, so these
// workers claim urgent rows too (as a replica's do).
import { readdirSync } from 'node:fs';
import os from 'node:os';
import postgres from 'postgres';
import { Keyring, installKeyring, pooledRandom, type KeyMaterial } from '../src/crypto/index.js';
import * as pipeline from '../src/pipeline/index.js';
import { createMetrics } from '../src/obs/metrics.js';
import { silentLogger } from '../src/obs/log.js';

interface PeerSetup { setup: pipeline.ProcessingSetup; keys: KeyMaterial; nice: number }

const send = (m: unknown): void => { process.send?.(m); };

process.once('message', (m: PeerSetup) => {
  void (async () => {
    // every task that exists now (the main thread, V8's platform threads); threads started later inherit the nice of the thread that starts them
    if (m.nice > 0) for (const tid of readdirSync('/proc/self/task')) { try { os.setPriority(Number(tid), m.nice); } catch { /* gone */ } }
    installKeyring(new Keyring({ ...m.keys, random: pooledRandom() }));
    const sql = postgres(m.setup.db.url, { max: 1, onnotice: () => {} });
    const setup = { ...m.setup, idKey: new Uint8Array(m.setup.idKey) };
    const thread = new pipeline.ProcessingThread({
      setup, log: silentLogger, metrics: createMetrics(), onStages: (s) => send({ t: 'stages', s }), ...(m.nice > 0 ? { lowerBackends: sql } : {}),
    });
    await thread.start();
    process.on('message', (msg: { t: 'poke'; p?: Parameters<pipeline.ProcessingThread['poke']>[0] } | { t: 'stop' }) => {
      if (msg.t === 'poke') thread.poke(msg.p);
      else void thread.stop().then(() => sql.end()).then(() => { send({ t: 'stopped' }); process.exit(0); });
    });
    process.once('disconnect', () => process.exit(0));
    send({ t: 'ready' });
  })().catch((e: unknown) => { console.error(e); process.exit(1); });
});
