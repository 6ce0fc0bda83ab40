// The gateway as the Docker image ships it: the TypeScript compiled by `npm run build`'s config (the
// same tsc, tsconfig.build.json) with its SQL migrations beside it, run by plain node — no tsx in the
// process or its threads. Built once per test process into dist-test-PID/ beside dist/ (the same depth:
// the compiled code finds package.json and node_modules as dist/ does); removeCompiled() deletes it.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OUT = `${ROOT}dist-test-${process.pid}`;

let built: string | undefined;

/** The compiled CLI entry (dist/cli/main.js of a fresh build), building it on the first call. */
export function compiledEntry(): string {
  if (built) return built;
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', `${ROOT}tsconfig.build.json`, '--outDir', OUT], { cwd: ROOT, stdio: 'pipe' });
  cpSync(`${ROOT}src/store/migrations`, `${OUT}/store/migrations`, { recursive: true });
  built = `${OUT}/cli/main.js`;
  if (!existsSync(built)) throw new Error('the compiled CLI entry is missing');
  return built;
}

/** Removes the build (call from afterAll: a test worker may end without an exit event). */
export function removeCompiled(): void {
  rmSync(OUT, { recursive: true, force: true });
  built = undefined;
}
