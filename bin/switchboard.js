#!/usr/bin/env node
// Entry point of the `switchboard` command. From a source checkout it runs the TypeScript through
// tsx, so a fresh clone works after `npm ci` with no build step; the Docker image ships only the
// compiled dist/ and runs that.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const source = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(source).href);
} else {
  await import(new URL('../dist/cli/main.js', import.meta.url).href);
}
