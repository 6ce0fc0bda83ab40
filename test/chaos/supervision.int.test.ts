// The gateway on its embedded PostgreSQL: a postmaster that dies is restarted on its port and the
// feed goes on without a gateway restart; one that cannot come back there (its port taken) makes the
// gateway exit non-zero — never hang — so its supervisor starts it again.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { readAck } from '../../src/hl7/index.js';
import { MllpClient } from '../../src/mllp/index.js';
import { withControlId } from '../support/messages.js';
import { spawnGateway, type GatewayProcess } from '../support/process.js';

const dirs: string[] = [];
const running: GatewayProcess[] = [];
afterAll(async () => {
  for (const g of running) if (g.child.exitCode === null) { g.child.kill('SIGTERM'); await g.exited; }
  for (const d of dirs) {
    // a server the gateway left (the test took its port): stop it
    try { process.kill(Number(readFileSync(path.join(d, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]), 'SIGQUIT'); } catch { /* none */ }
    rmSync(d, { recursive: true, force: true });
  }
});

const postmaster = (dir: string) => {
  const lines = readFileSync(path.join(dir, 'pg', 'postmaster.pid'), 'utf8').split('\n');
  return { pid: Number(lines[0]), port: Number(lines[3]) };
};

async function stored(gw: GatewayProcess, id: string): Promise<string> {
  const c = new MllpClient({ port: gw.mllpPort, timeoutMs: 5000 });
  await c.connect();
  try {
    return readAck((await c.send(withControlId('spine/adt-a01.hl7', id))).toString('latin1')).code;
  } finally {
    c.close();
  }
}

describe('supervision of the embedded PostgreSQL', () => {
  it('a killed postmaster is restarted on its port and intake resumes without a gateway restart', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-sup-'));
    dirs.push(dir);
    const gw = await spawnGateway({ DATA_DIR: dir, WORKER_CONCURRENCY: '1' });
    running.push(gw);
    expect(await stored(gw, 'SUP-1')).toBe('AA');
    const before = postmaster(dir);
    process.kill(before.pid, 'SIGKILL');
    // (its backends live on a moment after it and may still commit: wait for the gateway to notice)
    const logged = async (event: string) => {
      for (let i = 0; i < 600 && !gw.log.some((l) => l.includes(event)); i++) await new Promise((r) => setTimeout(r, 50));
      return gw.log.some((l) => l.includes(event));
    };
    expect(await logged('embedded_pg_died')).toBe(true);
    expect(await logged('embedded_pg_restarted')).toBe(true);
    let code = '';
    for (let i = 0; i < 300 && code !== 'AA'; i++) {
      code = await stored(gw, 'SUP-2').catch(() => 'NO_ANSWER');
      if (code !== 'AA') await new Promise((r) => setTimeout(r, 100));
    }
    expect(code).toBe('AA');
    expect(postmaster(dir).port).toBe(before.port);
    expect(gw.child.exitCode).toBeNull();
  }, 90_000);

  it('a postmaster that cannot come back on its port makes the gateway exit non-zero', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-sup-'));
    dirs.push(dir);
    const gw = await spawnGateway({ DATA_DIR: dir, WORKER_CONCURRENCY: '1' });
    running.push(gw);
    expect(await stored(gw, 'SUP-3')).toBe('AA');
    const { pid, port } = postmaster(dir);
    process.kill(pid, 'SIGKILL');
    // take its port the moment it is free: the restarted server must move, and the pool cannot follow
    const squatter = net.createServer();
    for (let i = 0; i < 100; i++) {
      const ok = await new Promise<boolean>((r) => { squatter.once('error', () => r(false)); squatter.listen(port, '127.0.0.1', () => r(true)); });
      if (ok) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    try {
      const exit = await Promise.race([gw.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 60_000))]);
      expect(exit).not.toBe('hung');
      expect(exit).not.toBe(0);
      expect(gw.log.some((l) => l.includes('gateway_fatal'))).toBe(true);
    } finally {
      squatter.close();
    }
  }, 90_000);
});
