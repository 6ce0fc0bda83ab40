// Runs the README's shell blocks as a new user would: the gateway started by the quick start's
// `npm start`, then every block marked `run`, in order, in one bash session (a variable one block
// sets, like $TOKEN, is there in the next), from the repository's root.
//
// Substitutions, so that the run is a fresh machine's and cannot collide with anything else here:
// - the environment is a fresh shell's (PATH, HOME, locale): nothing of the gateway's configuration
//   leaks in from the test process (no DATABASE_URL, SCHEDULE_FILE, DEV_* …);
// - PORT, MLLP_PORT: free ports instead of 8080 and 2575, and HOST, MLLP_HOST: 127.0.0.1 (set in the
//   environment, as the README's configuration table allows); DATA_DIR: a temporary folder instead of
//   ./data. The CLI reads all three from the environment, so `npx switchboard …` needs no change;
// - curl: `localhost:8080` in a URL is rewritten to `localhost:$PORT` (the README's commands name the
//   default port literally).
// - `npx switchboard`: the first runs through npx; the others run package.json's `bin.switchboard`
//   with node directly (prelude.sh says why);
// - the gateway block's `npm ci` and `npm test` are not run: this harness runs inside `npm test`,
//   after `npm ci`.
//
// What is checked: each curl gets a 2xx, or the status a `# expect NNN` comment line right before it
// names; each `npx`/`npm` exits 0, or the code a `# expect exit N` line names; any other command
// fails the block by `set -e -o pipefail`; every `# expect` is used. In a transcript block (lines
// starting with `$ `), each command's output must be the lines shown under it.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ReadmeBlock } from './readme-doc.js';

export interface Transcript {
  block: ReadmeBlock;
  command: string;
  expected: string;
  outFile: string;
}

export interface Script {
  text: string;
  transcripts: Transcript[];
}

const EXPECT_LINE = /^(\s*)# expect (exit )?(\d{1,3})\b.*$/;

const PRELUDE = fileURLToPath(new URL('./prelude.sh', import.meta.url));

/** `# expect …` comment lines become calls that set the next command's expectation. */
export function rewriteExpectations(text: string): string {
  return text.split('\n').map((l) => {
    const m = EXPECT_LINE.exec(l);
    return m ? `${m[1]}__sb_expect ${m[2] ? 'exit' : 'http'} ${m[3]}` : l;
  }).join('\n');
}

/** A transcript block: `$ command` lines, each followed by the output it prints. */
export function parseTranscript(text: string): { command: string; expected: string }[] | undefined {
  const lines = text.split('\n');
  if (!lines[0]?.startsWith('$ ')) return undefined;
  const out: { command: string; expected: string[] }[] = [];
  for (const l of lines) {
    if (l.startsWith('$ ')) out.push({ command: l.slice(2), expected: [] });
    else out[out.length - 1]!.expected.push(l);
  }
  return out.map((c) => ({ command: c.command, expected: c.expected.join('\n').replace(/\s+$/, '') }));
}

export function buildScript(blocks: ReadmeBlock[], stateDir: string): Script {
  const parts = [`source '${PRELUDE}'`];
  const transcripts: Transcript[] = [];
  for (const block of blocks) {
    if (block.marker?.kind !== 'run') continue;
    parts.push(`__sb_block ${block.line}`);
    const transcript = parseTranscript(block.text);
    if (transcript) {
      for (const [i, c] of transcript.entries()) {
        const outFile = path.join(stateDir, `out-${block.line}-${i}`);
        transcripts.push({ block, command: c.command, expected: c.expected, outFile });
        parts.push(`${c.command} > '${outFile}'`, `cat '${outFile}'`);
      }
    } else {
      parts.push(rewriteExpectations(block.text));
    }
    parts.push(`__sb_block_end ${block.line}`);
  }
  parts.push('echo "=== README done"');
  return { text: parts.join('\n') + '\n', transcripts };
}

/** A fresh shell's environment: nothing of this process's configuration. */
export function freshEnv(extra: Record<string, string>): Record<string, string> {
  const keep = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LC_ALL', 'TMPDIR', 'TERM', 'CI'];
  const env: Record<string, string> = {};
  for (const k of keep) if (process.env[k] !== undefined) env[k] = process.env[k]!;
  return { ...env, ...extra };
}

export { freePort } from '../../src/store/embedded.js';

export interface Gateway {
  child: ChildProcess;
  logFile: string;
  exited: Promise<number | null>;
  /** the last lines the gateway logged (JSON lines, no PHI by design) */
  logTail(lines: number): string;
  stop(): Promise<void>;
}

/** `npm start` from the gateway block, in its own process group; resolves once /readyz answers 200. */
export async function startGateway(block: ReadmeBlock, cwd: string, env: Record<string, string>, logFile: string, timeoutMs = 60_000): Promise<Gateway> {
  if (!/(^|[;&|]\s*|\s)npm start\b/m.test(block.text)) throw new Error(`README line ${block.line}: the gateway block does not say \`npm start\``);
  const chunks: Buffer[] = [];
  const child = spawn('npm', ['start'], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d: Buffer) => chunks.push(d));
  child.stderr!.on('data', (d: Buffer) => chunks.push(d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => { writeFileSync(logFile, Buffer.concat(chunks)); r(code); }));
  const gw: Gateway = {
    child, logFile, exited,
    logTail: (lines) => Buffer.concat(chunks).toString().split('\n').slice(-lines).join('\n'),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        try { process.kill(-child.pid!, 'SIGTERM'); } catch { /* already gone */ }
        const timer = setTimeout(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } }, 25_000);
        await exited;
        clearTimeout(timer);
      }
      writeFileSync(logFile, Buffer.concat(chunks));
      stopOrphanedPostgres(env.DATA_DIR!);
    },
  };
  const deadline = Date.now() + timeoutMs;
  let gone = false;
  void exited.then(() => { gone = true; });
  while (Date.now() < deadline && !gone) {
    try {
      const r = await fetch(`http://127.0.0.1:${env.PORT}/readyz`);
      if (r.status === 200) return gw;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  await gw.stop();
  throw new Error(`the gateway did not become ready (${gone ? 'it exited' : 'timeout'}):\n${Buffer.concat(chunks).toString().split('\n').slice(-15).join('\n')}`);
}

/** After the gateway exits its embedded PostgreSQL is stopped; a gateway killed hard leaves it: stop it. */
function stopOrphanedPostgres(dataDir: string): void {
  const pidFile = path.join(dataDir, 'pg', 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (pid > 0) try { process.kill(pid, 'SIGINT'); } catch { /* not running */ }
}

export interface RunResult {
  code: number | null;
  output: string;
  failures: string[];
  statuses: string[];
  /** each checked command: README line, milliseconds, its first words */
  timings: { line: number; ms: number; command: string }[];
}

/** The file `npx switchboard` runs: package.json's `bin.switchboard`, absolute. */
export function switchboardBin(root: string): string {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { bin?: Record<string, string> };
  const bin = pkg.bin?.switchboard;
  if (!bin) throw new Error('package.json has no bin.switchboard');
  return path.join(root, bin);
}

export function runScript(script: Script, cwd: string, env: Record<string, string>, stateDir: string, timeoutMs: number): Promise<RunResult> {
  mkdirSync(stateDir, { recursive: true });
  const file = path.join(stateDir, 'readme.sh');
  writeFileSync(file, script.text);
  return new Promise((resolve) => {
    const child = spawn('bash', ['--noprofile', '--norc', file], { cwd, env: { ...env, SB_STATE: stateDir }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => chunks.push(d));
    child.stderr.on('data', (d: Buffer) => chunks.push(d));
    const timer = setTimeout(() => {
      chunks.push(Buffer.from(`\n=== the README's commands did not finish within ${timeoutMs} ms\n`));
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
    }, timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      const read = (f: string): string[] => existsSync(path.join(stateDir, f)) ? readFileSync(path.join(stateDir, f), 'utf8').split('\n').filter(Boolean) : [];
      const timings = read('timings').map((l) => l.split('\t')).map(([line, ms, command]) => ({ line: Number(line), ms: Number(ms), command: command ?? '' }));
      resolve({ code, output: Buffer.concat(chunks).toString(), failures: read('failures'), statuses: read('statuses'), timings });
    });
  });
}
