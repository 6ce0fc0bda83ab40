// The one table from error codes to acknowledgement codes (HL7 v2 2.9.2 / 2.9.3).
// AR/CR: the message cannot be taken as it is (unreadable, unsupported type, version or size) — do
// not resend it unchanged. AE/CE: it was read but is wrong or incomplete, or we could not store it
// now (retryable) — the sender's usual policy resends AE'd messages, which is what a store outage needs.
import type { AckCode } from './ack.js';
import type { Hl7ErrorCode } from './errors.js';

const REJECT: ReadonlySet<Hl7ErrorCode> = new Set([
  'ERR_HL7_EMPTY', 'ERR_HL7_NO_MSH', 'ERR_HL7_BAD_DELIMITERS', 'ERR_HL7_BAD_CHARSET', 'ERR_HL7_UNSUPPORTED_VERSION',
  'ERR_HL7_UNSUPPORTED_TYPE', 'ERR_HL7_UNSUPPORTED_PROCESSING_ID', 'ERR_HL7_FRAME_TOO_LARGE', 'ERR_HL7_FIELD_TOO_LONG',
  // a sender not on the allow-list, or not from where it may send: resending will not help
  'ERR_SENDER_NOT_ALLOWED',
]);

export function ackCodeFor(code: Hl7ErrorCode, enhanced: boolean): AckCode {
  const reject = REJECT.has(code);
  if (enhanced) return reject ? 'CR' : 'CE';
  return reject ? 'AR' : 'AE';
}

export function positiveAck(enhanced: boolean): AckCode {
  return enhanced ? 'CA' : 'AA';
}
