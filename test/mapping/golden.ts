// Golden-file helpers: map a fixture, render it stably, read or (UPDATE_GOLDEN=1) rewrite its expectation.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseHl7Input } from '../../src/hl7/index.js';
import { isMappingError, mapHl7Message, parseSiteConfig, type SiteConfig } from '../../src/mapping/index.js';

export const ROOT = new URL('../../', import.meta.url).pathname;
export const FIXTURES = join(ROOT, 'fixtures/hl7');
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
    const results = messages.map((m) => mapHl7Message(m, config));
    return results.length === 1 ? results[0] : results;
  } catch (e) {
    if (isMappingError(e)) return { error: { code: e.code, reason: e.reason } };
    throw e;
  }
}

export const render = (x: unknown): string => `${JSON.stringify(x, null, 2)}\n`;
