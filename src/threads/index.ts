// src/threads: how background work runs — starting a worker thread on one of our modules, from a
// source checkout (TypeScript, run through tsx registered in the thread first) or from the compiled
// build (plain .js); the wake-up a background loop sleeps on (wakeup.ts); and the CPU priority of
// background threads and processes (priority.ts).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type ResourceLimits } from 'node:worker_threads';

/**
 * The ESM build of tsx's register API (its package `exports` `./esm/api` `import` entry; the CJS
 * build resolves its own files wrongly when registered from a worker).
 */
const tsxApi = (): string => {
  const require = createRequire(import.meta.url);
  const manifest = require.resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  const entry = pkg.exports['./esm/api']?.import.default ?? './dist/esm/api/index.mjs';
  return pathToFileURL(join(dirname(manifest), entry)).href;
};

/**
 * Starts a thread on the module `name` (without extension) beside `from` (the caller's
 * import.meta.url): name.ts through tsx when the caller runs from source, name.js when compiled.
 */
export function startModuleThread(from: string, name: string, opts: { resourceLimits?: ResourceLimits; workerData?: unknown } = {}): Worker {
  const fromSource = fileURLToPath(from).endsWith('.ts');
  const entry = new URL(`./${name}.${fromSource ? 'ts' : 'js'}`, from);
  if (!fromSource) return new Worker(entry, opts);
  const boot = `import(${JSON.stringify(tsxApi())}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(boot, { ...opts, eval: true });
}

export { Wakeup } from './wakeup.js';
export { lowerTask, lowerThisThread } from './priority.js';
