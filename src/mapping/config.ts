// The site mapping config: one file, validated once at start-up. Every field has a
// documented default, so `{}` is a valid config; DEFAULT_SITE_CONFIG is exactly that.
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { MappingError } from './errors.js';
import { table } from '../text/index.js';

export const PRIORITIES = ['routine', 'urgent', 'asap', 'stat'] as const;
export type Priority = (typeof PRIORITIES)[number];

const uri = z.string().regex(/^[a-z][a-z0-9+.-]*:\S+$/i, 'must be an absolute URI');
const priority = z.enum(PRIORITIES);

const ruleSchema = z.object({ priority, category: z.string().min(1) }).strict();

const thresholdSchema = z.object({
  /** Code system URI of OBX-3 (after mapping), e.g. http://loinc.org */
  system: uri,
  code: z.string().min(1),
  /** Short label for the notification text (replaces OBX-3 text, which may be long). */
  label: z.string().min(1).optional(),
  /** UCUM code the limits are in; a result in another unit is not compared (reported). */
  unit: z.string().min(1),
  above: z.number().optional(),
  below: z.number().optional(),
  priority,
  category: z.string().min(1).default('critical-result'),
}).strict().refine((t) => t.above !== undefined || t.below !== undefined, 'needs `above` or `below`');

const practiceSchema = z.object({
  /** Identifier system of the practice's MRNs (call notes without mrnSystem). */
  mrnSystem: uri.optional(),
}).strict();

export const siteConfigSchema = z.object({
  /** IANA zone for HL7 times without an offset (HL7 v2 2.A.22: the sender's local time). */
  timeZone: z.string().min(1).refine(isZone, 'not an IANA time zone').default('UTC'),
  identifierSystems: z.object({
    /** PID-3.4 / EI assigning authority (namespace id or universal id) -> identifier system URI. */
    byAuthority: z.record(z.string(), uri).default({}).transform(table),
    /** MSH-4 sending facility -> system for identifiers that name no assigning authority. */
    byFacility: z.record(z.string(), uri).default({}).transform(table),
    /** Prefix of the system minted when neither names one: `<base>:<facility>:<authority>`. */
    fallbackBase: uri.default('urn:switchboard:id'),
  }).strict().prefault({}),
  /** v2 coding system names (table 0396 and local 99xxx / L) -> code system URI; adds to the built-ins. */
  codeSystems: z.record(z.string(), uri).default({}).transform(table),
  /** Local unit texts -> UCUM code, for units a sender writes in a non-UCUM way. */
  units: z.record(z.string(), z.string().min(1)).default({}).transform(table),
  /** Base of the code systems Switchboard itself defines (triage categories, mapping keys). */
  systemBase: uri.default('urn:switchboard'),
  triage: z.object({
    /** OBX-8 flag -> rule. A flag not listed here does not by itself need a human. */
    flags: z.record(z.string(), ruleSchema).default({
      HH: { priority: 'stat', category: 'critical-result' },
      LL: { priority: 'stat', category: 'critical-result' },
      AA: { priority: 'stat', category: 'critical-result' },
      '>': { priority: 'urgent', category: 'critical-result' },
      '<': { priority: 'urgent', category: 'critical-result' },
      H: { priority: 'routine', category: 'abnormal-result' },
      L: { priority: 'routine', category: 'abnormal-result' },
      A: { priority: 'routine', category: 'abnormal-result' },
    }).transform(table),
    thresholds: z.array(thresholdSchema).default([
      { system: 'http://loinc.org', code: '2823-3', label: 'Potassium', unit: 'mmol/L', above: 6.0, below: 2.8, priority: 'stat', category: 'critical-result' },
      { system: 'http://loinc.org', code: '2951-2', label: 'Sodium', unit: 'mmol/L', above: 160, below: 120, priority: 'stat', category: 'critical-result' },
      { system: 'http://loinc.org', code: '2345-7', label: 'Glucose', unit: 'mg/dL', above: 500, below: 40, priority: 'stat', category: 'critical-result' },
      { system: 'http://loinc.org', code: '718-7', label: 'Hemoglobin', unit: 'g/dL', below: 7, priority: 'stat', category: 'critical-result' },
    ]),
    /** ADT events that notify (MSH-9.2 -> rule); other events update records silently. */
    adtEvents: z.record(z.string(), ruleSchema).default({
      A01: { priority: 'routine', category: 'admission' },
      A02: { priority: 'routine', category: 'transfer' },
      A03: { priority: 'routine', category: 'discharge' },
    }).transform(table),
    /** A caller of this type raises a call note to at least this priority. */
    callerMinimum: z.record(z.string(), priority).default({ hospital: 'urgent', lab: 'urgent' }).transform(table),
    /** Priorities that wake the on-call provider now; the others are held until morning. */
    wakePriorities: z.array(priority).default(['urgent', 'asap', 'stat']),
  }).strict().prefault({}),
  answeringService: z.object({
    name: z.string().min(1).default('Answering service'),
    /** Identifier system of operator ids in call notes. */
    operatorSystem: uri.default('urn:switchboard:operator'),
  }).strict().prefault({}),
  /** Practice (call note `practice`) -> settings. */
  practices: z.record(z.string(), practiceSchema).default({}).transform(table),
}).strict();

export type SiteConfig = z.output<typeof siteConfigSchema>;

/**
 * A site-config record's entry for a key read from a message or a call note: own entries only. The
 * records are prototype-free tables when parsed, but a config copied to a mapping thread (structured
 * clone) has plain objects again, where `valueOf` or `constructor` would find Object.prototype's.
 */
export function configEntry<V>(record: Readonly<Record<string, V>>, key: string): V | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

export const DEFAULT_SITE_CONFIG: SiteConfig = siteConfigSchema.parse({});

/** Parses and validates a site config; JSON or YAML by file extension. Throws ERR_CONFIG_INVALID. */
export function parseSiteConfig(text: string, filename: string): SiteConfig {
  const ext = filename.toLowerCase().split('.').pop() ?? '';
  let data: unknown;
  try {
    if (ext === 'json') data = JSON.parse(text);
    else if (ext === 'yaml' || ext === 'yml') data = parseYaml(text);
    else throw new MappingError('ERR_CONFIG_INVALID', `${filename}: site config must be .json, .yaml or .yml`);
  } catch (e) {
    if (e instanceof MappingError) throw e;
    throw new MappingError('ERR_CONFIG_INVALID', `${filename}: not valid ${ext.toUpperCase()}`, [e instanceof Error ? e.message.split('\n')[0]! : 'syntax error']);
  }
  const parsed = siteConfigSchema.safeParse(data ?? {});
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
    throw new MappingError('ERR_CONFIG_INVALID', `${filename}: invalid site config`, lines);
  }
  return parsed.data;
}

function isZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
