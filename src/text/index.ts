// Text that can be stored and sent on: FHIR R4 strings may not hold C0 control characters other than
// tab, line feed and carriage return (datatypes.html#string), and PostgreSQL refuses NUL in text and
// lone surrogates in jsonb. Inputs that are refused rather than repaired (call notes, schedules) are
// checked with this at their edge; HL7 v2, which must be accepted, reads them as U+FFFD (src/hl7).

/** A C0 control character but tab, LF and CR, or half a surrogate pair on its own. */
const UNSTORABLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export const isStorableText = (s: string): boolean => !UNSTORABLE.test(s);

/** What isStorableText refuses, said for a person fixing the input. */
export const UNSTORABLE_TEXT_MESSAGE = 'control characters are not allowed';
