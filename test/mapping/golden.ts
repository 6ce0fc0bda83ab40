// Golden-file helpers: map a fixture, render it stably, compare it with its expectation. A golden is a
// snapshot of our own output: it says the output did not change, not that it is right (the IG tests
// in ig.test.ts say that). UPDATE_GOLDENS=1 writes new and changed goldens (review each diff by eye);
// without it, and always under CI, a missing golden fails like a wrong one.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseHl7Input } from '../../src/hl7/index.js';
import { DEVELOPMENT_ID_KEY, isMappingError, type MapOptions, mapHl7Message, parseSiteConfig, type SiteConfig } from '../../src/mapping/index.js';

export const ROOT = new URL('../../', import.meta.url).pathname;
export const FIXTURES = join(ROOT, 'fixtures/hl7');
/** The goldens' id key: the published development key, so `switchboard map` offline reproduces them. */
export const OPTIONS: MapOptions = { idKey: DEVELOPMENT_ID_KEY };

export const CONFIG: SiteConfig = parseSiteConfig(readFileSync(join(ROOT, 'fixtures/site-config.example.json'), 'utf8'), 'site-config.example.json');

export function hl7Files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? hl7Files(p) : f.endsWith('.hl7') ? [p] : [];
  }).sort();
}

/** What a fixture maps to: the result, or the MappingError's code and reason. */
export function mapFixture(path: string, config: SiteConfig = CONFIG): unknown {
  try {
    const input = parseHl7Input(readFileSync(path));
    const messages = input.kind === 'batch' ? input.messages : [input.message];
    const results = messages.map((m) => mapHl7Message(m, config, OPTIONS));
    return results.length === 1 ? results[0] : results;
  } catch (e) {
    if (isMappingError(e)) return { error: { code: e.code, reason: e.reason } };
    throw e;
  }
}

export const render = (x: unknown): string => `${JSON.stringify(x, null, 2)}\n`;

/** Whether this run may write goldens: UPDATE_GOLDENS set, and not under CI. */
export const updatingGoldens = (): boolean => !process.env.CI && !!process.env.UPDATE_GOLDENS && process.env.UPDATE_GOLDENS !== '0';

/**
 * The golden text at `path` to compare `got` with. When updating, `got` is written first (so the
 * comparison passes and git shows the diff); otherwise a missing golden throws, naming the file.
 */
export function golden(path: string, got: string): string {
  if (updatingGoldens()) {
    writeFileSync(path, got);
    return got;
  }
  if (!existsSync(path)) throw new Error(`missing golden ${path}: run with UPDATE_GOLDENS=1 (never under CI), then review it`);
  return readFileSync(path, 'utf8');
}
