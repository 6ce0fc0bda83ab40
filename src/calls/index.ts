
export { CALLER_TYPES, CALL_NOTE_MAX_BYTES, OPERATOR_URGENCY, callNoteSchema } from './schema.js';
export type { CallNote } from './schema.js';
