// The mapping threads (src/pipeline/map-pool.ts) get the site config as a structured clone: its
// prototype-free lookup tables arrive as plain objects, where a key read from a message such as
// `valueOf` or `constructor` finds an Object.prototype member. Mapping with the cloned config must
// give the same result as inline mapping, and the result must survive the clone back to the pool (a
// function inside it made the thread's postMessage throw: the row failed with ERR_MAPPING_INTERNAL).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { callNoteSchema } from '../../src/calls/index.js';
import { validateFhir } from '../../src/fhir/validate.js';
import { parseHl7 } from '../../src/hl7/index.js';
import { DEFAULT_SITE_CONFIG, mapCallNote, mapHl7Message, type SiteConfig } from '../../src/mapping/index.js';
import { CONFIG, FIXTURES, OPTIONS } from './golden.js';

const CONFIGS: [string, SiteConfig][] = [['the example config', CONFIG], ['the default config', DEFAULT_SITE_CONFIG]];
/** Fixtures with Object.prototype member names where the mapper looks up site-config tables. */
const FILES = ['oru/prototype-keys.hl7', 'adt/a01-prototype-key-facility.hl7'];

describe('mapping with the config as a mapping thread receives it', () => {
  it.each(CONFIGS.flatMap(([name, config]) => FILES.map((f) => [f, name, config] as const)))('%s with %s maps as inline, to a cloneable Bundle', (file, _name, config) => {
    const message = () => parseHl7(readFileSync(join(FIXTURES, file), 'latin1'));
    const inline = mapHl7Message(message(), config, OPTIONS);
    const threaded = mapHl7Message(message(), structuredClone(config), OPTIONS);
    expect(() => structuredClone(threaded)).not.toThrow();
    expect(threaded).toEqual(inline);
    expect(validateFhir(threaded.bundle).issues).toEqual([]);
  });

  it.each(['valueOf', 'constructor', '__proto__'])('a call note whose practice and MRN system are %s maps as inline', (key) => {
    const note = callNoteSchema.parse({ ...JSON.parse(readFileSync(join(FIXTURES, 'calls/family-urgent-known-mrn.json'), 'utf8')), practice: key });
    note.patient.mrnSystem = key;
    const ctx = { id: 'call-proto', receivedAt: '2024-03-05T07:11:02.123Z' };
    const inline = mapCallNote(note, ctx, CONFIG, OPTIONS);
    const threaded = mapCallNote(note, ctx, structuredClone(CONFIG), OPTIONS);
    expect(() => structuredClone(threaded)).not.toThrow();
    expect(threaded).toEqual(inline);
  });
});
