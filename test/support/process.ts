// Runs `switchboard serve` as a real child process and learns its ports from its JSON log.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TEST_PHI_KEYS } from './phi-keys.js';

const BIN = fileURLToPath(new URL('../../bin/switchboard.js', import.meta.url));

export interface GatewayProcess {
  child: ChildProcess;
  httpPort: number;
  mllpPort: number;
  log: string[];
  exited: Promise<number | null>;
}

/** `entry`: the CLI to run (default bin/switchboard.js from source; test/support/compiled.ts gives the built one). */
export async function spawnGateway(env: Record<string, string>, timeoutMs = 60_000, entry = BIN): Promise<GatewayProcess> {
  // GATEWAY_NODE_ARGS: node flags for the gateway process, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`
  // (NODE_OPTIONS does not take --cpu-prof): how the fuzz's event-loop stalls are traced to code
  const nodeArgs = process.env.GATEWAY_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, entry, 'serve'], {
    // the test process's PHI keys (test/support/phi-keys.ts): replicas sharing one database, and the
    // test reading what they stored, need the same keys; a test may still give its own PHI_KEYS
    env: { ...process.env, PORT: '0', MLLP_PORT: '0', HOST: '127.0.0.1', MLLP_HOST: '127.0.0.1', LOG_LEVEL: 'info', PHI_KEYS: TEST_PHI_KEYS, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const log: string[] = [];
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let httpPort = 0;
  let mllpPort = 0;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start: ${log.slice(-5).join('\n')}`)), timeoutMs);
    let buf = '';
    child.stderr!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        log.push(line);
        try {
          const ev = JSON.parse(line) as { event?: string; port?: number };
          if (ev.event === 'mllp_listening') mllpPort = ev.port!;
          if (ev.event === 'http_listening') httpPort = ev.port!;
        } catch { /* not JSON */ }
        if (httpPort && mllpPort) { clearTimeout(timer); resolve(); }
      }
    });
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`gateway exited (${code}): ${log.slice(-5).join('\n')}`)); });
  });
  return { child, httpPort, mllpPort, log, exited };
}
