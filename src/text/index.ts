// Text that can be stored and sent on: FHIR R4 strings may not hold C0 control characters other than
// tab, line feed and carriage return (datatypes.html#string), and PostgreSQL refuses NUL in text and
// lone surrogates in jsonb. Inputs that may be refused (call notes, schedules, search values) are
// checked with isStorableText at their edge; HL7 v2, which must be accepted, is repaired with
// toStorableText (src/hl7).

/** A C0 control character but tab, LF and CR, or half a surrogate pair on its own. */
const UNSTORABLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const UNSTORABLE_ALL = new RegExp(UNSTORABLE.source, 'g');

export const isStorableText = (s: string): boolean => !UNSTORABLE.test(s);

/** What isStorableText refuses, said for a person fixing the input. */
export const UNSTORABLE_TEXT_MESSAGE = 'control characters are not allowed';

/** s with each character isStorableText refuses read as U+FFFD, and how many there were. */
export function toStorableText(s: string): { text: string; replaced: number } {
  if (isStorableText(s)) return { text: s, replaced: 0 };
  let replaced = 0;
  const text = s.replace(UNSTORABLE_ALL, () => {
    replaced++;
    return '\uFFFD';
  });
  return { text, replaced };
}
export { table } from './table.js';
export { MASKED_PHONE, maskPhone, maskPhonesIn } from './phone-mask.js';
