// `switchboard map FILE [--report] [--pretty] [--config SITE.json|yaml] [--id-key HEX]`: prints one
// FHIR Bundle per HL7 message in FILE (one JSON document per line; --pretty indents for humans). With
// --report the mapping report of each message goes to stderr as one JSON line. Exit 0 when every
// message mapped; exit 2 with the reason (stderr) on bad input: unreadable file, unparsable HL7,
// unsupported or unmappable message, a malformed --id-key.
//
// Resource ids are keyed per installation (src/mapping/ids.ts). The key is, in order: --id-key;
// MAPPING_ID_KEY; the installation's stored key when its store is reachable (DATABASE_URL, or the
// embedded default's DATA_DIR once a gateway has created it: read only, never created here); else
// the published development key, said on stderr. The last keeps `map` a tool that works anywhere
// (a sample, a laptop, CI) and reproduces the golden files, whose ids use the same key; its ids are
// not the installation's, so a Bundle printed with it matches stored resources by identifier only.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../config/index.js';
import { type Hl7Message, isHl7Error, parseHl7Input } from '../hl7/index.js';
import { DEFAULT_SITE_CONFIG, DEVELOPMENT_ID_KEY, isMappingError, mapHl7Message, parseSiteConfig, type SiteConfig } from '../mapping/index.js';
import { createLogger } from '../obs/index.js';
import { openStore, readIdKey } from '../store/index.js';

export interface MapIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

export interface MapDeps {
  /** The installation's stored id key, when its store can be reached; undefined otherwise. */
  storedIdKey?: () => Promise<Uint8Array | undefined>;
}

const USAGE = 'usage: switchboard map FILE [--report] [--pretty] [--config SITE_CONFIG] [--id-key HEX]';
const VALUE_FLAGS = new Set(['--config', '--id-key']);
const HEX_KEY = /^(?:[0-9a-fA-F]{2}){16,64}$/;

export async function mapCommand(argv: string[], io: MapIo, deps: MapDeps = {}): Promise<number> {
  const args = argv[0] === 'map' ? argv.slice(1) : argv;
  const flags = new Set(args.filter((a) => a === '--report' || a === '--pretty'));
  const value = (flag: string): string | undefined => { const i = args.indexOf(flag); return i >= 0 ? args[i + 1] : undefined; };
  const files = args.filter((a, i) => !a.startsWith('--') && !VALUE_FLAGS.has(args[i - 1] ?? ''));
  const configPath = value('--config');
  const keyHex = value('--id-key');
  if (files.length !== 1 || (args.includes('--config') && !configPath) || (args.includes('--id-key') && !keyHex)) {
    io.stderr(`${USAGE}\n`);
    return 2;
  }
  let config: SiteConfig = DEFAULT_SITE_CONFIG;
  try {
    if (configPath) config = parseSiteConfig(await readFile(configPath, 'utf8'), configPath);
  } catch (e) {
    io.stderr(`map: ${reason(e)}\n`);
    return 2;
  }
  const idKey = await resolveIdKey(keyHex, io, deps.storedIdKey ?? storedIdKey);
  if (!idKey) return 2;
  let messages: Hl7Message[];
  try {
    const parsed = parseHl7Input(await readFile(files[0]!));
    messages = parsed.kind === 'batch' ? parsed.messages : [parsed.message];
  } catch (e) {
    io.stderr(`map: ${files[0]}: ${reason(e)}\n`);
    return 2;
  }
  let failed = 0;
  for (const [i, message] of messages.entries()) {
    try {
      const result = mapHl7Message(message, config, { idKey });
      io.stdout(`${flags.has('--pretty') ? JSON.stringify(result.bundle, null, 2) : JSON.stringify(result.bundle)}\n`);
      if (flags.has('--report')) io.stderr(`${JSON.stringify({ message: i + 1, controlId: message.header.controlId, report: result.report, triage: result.triage, routing: result.routing })}\n`);
    } catch (e) {
      failed++;
      io.stderr(`map: ${files[0]}: message ${i + 1}: ${reason(e)}\n`);
    }
  }
  return failed > 0 ? 2 : 0;
}

/** --id-key, MAPPING_ID_KEY, the stored key, else the development key (said on stderr); undefined after a usage error. */
async function resolveIdKey(keyHex: string | undefined, io: MapIo, stored: () => Promise<Uint8Array | undefined>): Promise<Uint8Array | undefined> {
  const given = keyHex ?? (process.env.MAPPING_ID_KEY || undefined);
  if (given !== undefined) {
    if (HEX_KEY.test(given)) return Buffer.from(given, 'hex');
    io.stderr(`map: ${keyHex !== undefined ? '--id-key' : 'MAPPING_ID_KEY'} must be hex, 32 to 128 digits (128 to 512 bits)\n`);
    return undefined;
  }
  const key = await stored().catch(() => undefined);
  if (key) return key;
  io.stderr('map: no installation store reachable: ids use the published development key (not this installation\'s ids; --id-key to give one)\n');
  return DEVELOPMENT_ID_KEY;
}

/** How long `map` waits for the store before it says so and uses the development key, ms. */
const STORE_WAIT_MS = 5_000;

/** The installation's key from its store: DATABASE_URL, or an embedded server a gateway created in DATA_DIR. */
async function storedIdKey(): Promise<Uint8Array | undefined> {
  const config = loadConfig();
  if (!config.DATABASE_URL && !existsSync(path.join(path.resolve(config.DATA_DIR), 'pg', 'PG_VERSION'))) return undefined;
  const store = await openStore(config, createLogger('error', () => {}), { migrate: false, name: 'switchboard-map' });
  let timer: NodeJS.Timeout | undefined;
  try {
    const late = new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), STORE_WAIT_MS); });
    return await Promise.race([readIdKey(store.sql), late]);
  } finally {
    clearTimeout(timer);
    await store.close();
  }
}

function reason(e: unknown): string {
  if (isMappingError(e) || isHl7Error(e)) return `${e.code}: ${e.message}`;
  if (e instanceof Error && 'code' in e && typeof e.code === 'string') return `${e.code}: cannot read the file`;
  return e instanceof Error ? e.message : String(e);
}
