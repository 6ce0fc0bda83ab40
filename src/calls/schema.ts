// A call note taken by an answering-service operator (POST /calls, the web console). Validated with
// zod at the edge; everything past the edge uses the inferred type.
import { z } from 'zod';
import { isStorableText, UNSTORABLE_TEXT_MESSAGE } from '../text/index.js';

export const CALLER_TYPES = ['patient', 'family', 'pharmacist', 'hospital', 'lab', 'other'] as const;
export const OPERATOR_URGENCY = ['routine', 'urgent', 'asap', 'stat'] as const;

const text = (max: number) => z.string().trim().min(1).max(max).refine(isStorableText, UNSTORABLE_TEXT_MESSAGE);
/** E.164-ish: digits, spaces, + ( ) - . and an optional extension; 7-20 digits. */
const phone = z.string().trim().max(40).refine((s) => {
  const digits = s.replace(/(ext\.?|x)\s*\d+$/i, '').replace(/[^0-9]/g, '');
  return /^[+0-9 ().\-]+((ext\.?|x)\s*\d+)?$/i.test(s) && digits.length >= 7 && digits.length <= 20;
}, 'not a phone number');

export const callNoteSchema = z.object({
  caller: z.object({
    type: z.enum(CALLER_TYPES),
    name: text(200),
    callbackNumber: phone,
    relationship: text(100).optional(),
  }).strict(),
  patient: z.object({
    name: text(200),
    birthDate: z.iso.date().optional(),
    mrn: text(64).optional(),
    /** identifier system of the MRN (the practice's assigning authority), when the operator knows it */
    mrnSystem: z.string().trim().max(255).refine(isStorableText, UNSTORABLE_TEXT_MESSAGE).optional(),
  }).strict(),
  practice: text(100),
  service: text(100).optional(),
  reason: text(4000),
  urgency: z.enum(OPERATOR_URGENCY),
  operator: z.object({ id: text(64), name: text(200).optional() }).strict().optional(),
  /** when the call was taken (ISO 8601 with offset); defaults to the time it was received */
  takenAt: z.iso.datetime({ offset: true }).optional(),
}).strict();

export type CallNote = z.infer<typeof callNoteSchema>;

/** Body size limit for POST /calls. A call note is short text; 64 KiB is generous. */
export const CALL_NOTE_MAX_BYTES = 64 * 1024;
