// Bounds on the work one message can cause. The frame limit (1 MiB) already bounds a message's size,
// but not what a mapper makes of it: 200,000 one-byte repetitions of OBX-5 fit in 400 KB and would
// become 200,000 lines or Observation components. Past these bounds a field is mapped up to the
// bound and the report lists it under `truncated` (the inbox keeps the whole message); a message
// with more segments than the mapper accepts fails as ERR_MAPPING_TOO_LARGE.

/**
 * Repetitions mapped per field, for coded, identifier, name, address, telecom, person and flag
 * fields (each repetition becomes a FHIR element). Real feeds send a handful; 1,000 coded OBX-5
 * repetitions make ~200 KB of Observation.component JSON and map in a few milliseconds.
 */
export const MAX_REPETITIONS = 1_000;

/**
 * Lines mapped per text field (OBX-5 ST/TX/FT and NTE-3 repetitions: one line each). A line is a
 * string, not an element, so the bound is higher: a 10,000-line report maps in a few milliseconds.
 */
export const MAX_TEXT_LINES = 10_000;

/**
 * Segments in one message the mapper accepts. Each segment becomes at most a few resources; 5,000
 * OBX make a Bundle of ~5 MB that maps in well under a second. A larger message is refused whole
 * (ERR_MAPPING_TOO_LARGE) rather than cut: dropping whole results could drop the critical one.
 */
export const MAX_SEGMENTS = 5_000;
