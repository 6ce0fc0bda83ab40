// OBX-6 units -> UCUM where the unit is UCUM, the sender's unit text always kept.
// A unit is UCUM when OBX-6.3 says so, or when its text is one of the lab units below (matched
// case-insensitively, since senders write mg/dl for UCUM mg/dL). Otherwise only the text is kept:
// a guessed code would be worse than none.
import type { Quantity } from 'fhir/r4.js';
import { configEntry, type SiteConfig } from './config.js';
import { table } from '../text/index.js';

export const UCUM = 'http://unitsofmeasure.org';

const COMMON_UCUM = [
  '%', 'g/dL', 'g/L', 'mg/dL', 'mg/L', 'ug/dL', 'ug/L', 'ng/mL', 'ng/dL', 'pg/mL', 'ug/mL', 'mmol/L', 'umol/L',
  'nmol/L', 'pmol/L', 'mol/L', 'meq/L', 'U/L', '[IU]/L', 'm[IU]/L', 'u[IU]/mL', 'mU/L', 'U/mL', 'kU/L',
  '10*3/uL', '10*6/uL', '10*9/L', '10*12/L', '/uL', '/mm3', 'fL', 'pg', 'mm/h', 'mm[Hg]', 'mL/min', 'mL/min/{1.73_m2}',
  's', 'min', 'h', 'd', 'wk', 'mo', 'a', 'kg', 'g', 'mg', 'ug', 'lb_av', 'cm', 'm', 'mm', '[in_i]', 'Cel', '[degF]',
  'mosm/kg', 'mL', 'L', 'dL', 'g/(24.h)', 'mg/(24.h)', 'mmol/mol', '{ratio}', '{index}', '{titer}',
  '/min', '{beats}/min', 'kg/m2', 'ng/mL/h', 'mg/g', '[pH]', 'mm2', 'cm2', 'm2', 'kPa', 'Pa', 'mbar', 'umol/(L.min)',
];
const BY_LOWER = new Map(COMMON_UCUM.map((u) => [u.toLowerCase(), u]));
/** COMMON_UCUM as a set: every OBX with a unit asks (an array search was ~80 string compares). */
const EXACT = new Set(COMMON_UCUM);
// well-known non-UCUM spellings of UCUM units
const ALIASES: Readonly<Record<string, string>> = table({
  'µmol/l': 'umol/L', 'μmol/l': 'umol/L', 'µg/l': 'ug/L', 'µg/dl': 'ug/dL', 'µg/ml': 'ug/mL', 'mcg/dl': 'ug/dL',
  'mcg/l': 'ug/L', 'mcg/ml': 'ug/mL', 'k/ul': '10*3/uL', 'x10e3/ul': '10*3/uL', 'm/ul': '10*6/uL', 'x10e6/ul': '10*6/uL',
  'sec': 's', 'secs': 's', 'mins': 'min', 'hrs': 'h', 'hr': 'h', 'days': 'd', 'yrs': 'a', 'years': 'a',
  'deg c': 'Cel', '°c': 'Cel', 'mmhg': 'mm[Hg]', 'iu/l': '[IU]/L', 'miu/l': 'm[IU]/L', 'uiu/ml': 'u[IU]/mL', 'µiu/ml': 'u[IU]/mL',
  'meq/l': 'meq/L', 'bpm': '/min',
});

/** Unit text (OBX-6.1, or .2 when .1 is empty) and its coding system -> Quantity unit fields. */
export function unitFields(text: string | undefined, system: string | undefined, config: SiteConfig): Pick<Quantity, 'unit' | 'system' | 'code'> {
  if (!text) return {};
  const site = configEntry(config.units, text);
  const code = site ?? (system?.toUpperCase() === 'UCUM' || system?.toUpperCase() === 'ANS+' ? text : ucumCode(text));
  return code ? { unit: text, system: UCUM, code } : { unit: text };
}

/** The UCUM code of a unit text, when it is one of the known lab units. */
export function ucumCode(text: string): string | undefined {
  if (EXACT.has(text)) return text;
  const lower = text.toLowerCase();
  return ALIASES[lower] ?? BY_LOWER.get(lower);
}
