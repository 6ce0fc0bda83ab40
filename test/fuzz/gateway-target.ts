// A gateway as a child process (`switchboard serve`) on a database of its own, with bearer tokens
// signed by its local key: what the hostile-input test and the long fuzz (`npm run fuzz`) run against.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadOrCreateLocalKey, mintLocalToken } from '../../src/auth/index.js';
import { fixture } from '../support/fixtures.js';
import { spawnGateway, type GatewayProcess } from '../support/process.js';

/** Token roles: full access, a patient-compartment reader, a reader of one resource type. */
export type Role = 'admin' | 'patient' | 'reader';

export interface GatewayTarget {
  gw: GatewayProcess;
  base: string;
  tokens: Record<Role, string>;
  auth(who: Role): { authorization: string };
  /** SIGTERM, and the exit code (null: killed by a signal). */
  stop(): Promise<number | null>;
}

/** `entry`: the CLI to run (spawnGateway's default: the source checkout). */
export async function startTarget(databaseUrl: string, env: Record<string, string> = {}, entry?: string): Promise<GatewayTarget> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sb-target-'));
  const gw = await spawnGateway({ DATABASE_URL: databaseUrl, DATA_DIR: dataDir, ...env }, 90_000, entry);
  // the gateway created its key in DATA_DIR at start; tokens signed with it are as `switchboard token` mints them
  const key = await loadOrCreateLocalKey(dataDir);
  const mint = (scopes: string[], o: { patient?: string } = {}) => mintLocalToken(key, { scopes, audience: 'switchboard', ttlSeconds: 3600, ...o });
  const tokens: Record<Role, string> = {
    admin: await mint(['admin', 'system/*.rs']),
    patient: await mint(['patient/*.rs'], { patient: 'p1' }),
    reader: await mint(['system/Observation.s', 'inbox.read']),
  };
  return {
    gw, base: `http://127.0.0.1:${gw.httpPort}`, tokens,
    auth: (who) => ({ authorization: `Bearer ${tokens[who]}` }),
    stop: async () => {
      if (gw.child.exitCode === null && gw.child.signalCode === null) gw.child.kill('SIGTERM');
      const code = await gw.exited;
      rmSync(dataDir, { recursive: true, force: true });
      return code;
    },
  };
}

/** Stores the documented example schedule (fixtures/schedules/example.json), so messages are routed and imports have something to merge into. */
export async function storeExampleSchedule(t: GatewayTarget): Promise<void> {
  const res = await fetch(`${t.base}/schedule`, { method: 'PUT', body: new Uint8Array(fixture('schedules/example.json')), headers: { ...t.auth('admin'), 'content-type': 'application/json' } });
  if (res.status !== 200) throw new Error(`could not store the example schedule: ${res.status} ${await res.text()}`);
}
