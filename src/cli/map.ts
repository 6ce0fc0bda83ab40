// `switchboard map FILE [--report] [--pretty] [--config SITE.json|yaml]`: prints one FHIR Bundle per HL7
// message in FILE (one JSON document per line; --pretty indents for humans). With --report the mapping
// report of each message goes to stderr as one JSON line. Exit 0 when every message mapped; exit 2 with
// the reason (stderr) on bad input: unreadable file, unparsable HL7, unsupported or unmappable message.
import { readFile } from 'node:fs/promises';
import { type Hl7Message, isHl7Error, parseHl7Input } from '../hl7/index.js';
import { DEFAULT_SITE_CONFIG, isMappingError, mapHl7Message, parseSiteConfig, type SiteConfig } from '../mapping/index.js';

export interface MapIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

const USAGE = 'usage: switchboard map FILE [--report] [--pretty] [--config SITE_CONFIG]';

export async function mapCommand(argv: string[], io: MapIo): Promise<number> {
  const args = argv[0] === 'map' ? argv.slice(1) : argv;
  const flags = new Set(args.filter((a) => a === '--report' || a === '--pretty'));
  const configAt = args.indexOf('--config');
  const configPath = configAt >= 0 ? args[configAt + 1] : undefined;
  const files = args.filter((a, i) => !a.startsWith('--') && (configAt < 0 || i !== configAt + 1));
  if (files.length !== 1 || (configAt >= 0 && !configPath)) {
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
      const result = mapHl7Message(message, config);
      io.stdout(`${flags.has('--pretty') ? JSON.stringify(result.bundle, null, 2) : JSON.stringify(result.bundle)}\n`);
      if (flags.has('--report')) io.stderr(`${JSON.stringify({ message: i + 1, controlId: message.header.controlId, report: result.report, triage: result.triage, routing: result.routing })}\n`);
    } catch (e) {
      failed++;
      io.stderr(`map: ${files[0]}: message ${i + 1}: ${reason(e)}\n`);
    }
  }
  return failed > 0 ? 2 : 0;
}

function reason(e: unknown): string {
  if (isMappingError(e) || isHl7Error(e)) return `${e.code}: ${e.message}`;
  if (e instanceof Error && 'code' in e && typeof e.code === 'string') return `${e.code}: cannot read the file`;
  return e instanceof Error ? e.message : String(e);
}
