// Phone numbers (a call note's callback number) are PHI (HIPAA 164.514(b)(2)(i)(D) "telephone
// numbers"). Minimum necessary (164.502(b)): lists, logs and notifications show only the last four
// digits — `•••-•••-1234` — and the full number is shown only where a person needs it (the addressed
// provider's message detail; the FHIR resource for a system client with the scope).
// One shape for every number, whatever its length or country, so the mask tells nothing but the last
// four; a number too short for four digits to be a small part of it is masked whole.

/** The mask of a number whose digits are all hidden (short numbers, text without digits). */
export const MASKED_PHONE = '•••-•••-••••';

/** Fewest digits of the number itself (extension aside) for its last four to be shown: 7 (a local number). */
const MIN_DIGITS_TO_SHOW = 7;

/** An extension at the end: `x123`, `ext. 123`, `extension 123`, `#123`, RFC 3966 `;ext=123`. */
const EXTENSION = /(?:;\s*ext=|\s*(?:\bext(?:ension)?\.?|\bx|#)\s*)(\d{1,10})\s*$/i;

/**
 * `value` (a phone number as typed) masked: `•••-•••-1234`, plus ` ext. •••` when it has an
 * extension (whose digits are hidden too). Fewer than 7 digits, or none: every digit hidden.
 */
export function maskPhone(value: string): string {
  const ext = EXTENSION.exec(value);
  const main = ext ? value.slice(0, ext.index) : value;
  const digits = main.replace(/\D/g, '');
  const suffix = ext ? ' ext. •••' : '';
  if (digits.length < MIN_DIGITS_TO_SHOW) return MASKED_PHONE + suffix;
  return `•••-•••-${digits.slice(-4)}${suffix}`;
}

/**
 * A run of text that reads as a phone number: an optional +, then digits with spaces, dots, dashes
 * or parentheses between them, and an optional extension. Whether it is one is decided by its digit
 * count (PHONE_DIGITS) and by not being a date or a decimal.
 */
const CANDIDATE = /(?<![\w.])(?:\+\s?)?\(?\d[\d ().\-\u00a0]*\d(?:\s*(?:;\s*ext=|\bext(?:ension)?\.?|\bx|#)\s*\d{1,10})?(?![\w])/gi;
/** 7 to 15 digits: a local number up to a full E.164 number (ITU-T E.164: at most 15 digits). */
const PHONE_DIGITS = { min: MIN_DIGITS_TO_SHOW, max: 15 } as const;
/** ISO 8601 dates (and date-times) and decimals (`1234567.25`) are not numbers to mask. */
const NOT_A_PHONE = /^\d{4}-\d{2}-\d{2}(?!\d)|^\d+\.\d+$/;

/**
 * Free text (a reason typed by an operator, a note) with every phone number in it masked, for a list
 * or a notification. Numbers that are clearly something else (dates, decimals) are left alone; a long
 * digit string that might be a phone number is masked (a list may over-mask, never under-mask).
 */
export function maskPhonesIn(text: string): string {
  return text.replace(CANDIDATE, (m) => {
    const trimmed = m.trim();
    const ext = EXTENSION.exec(trimmed);
    const digits = (ext ? trimmed.slice(0, ext.index) : trimmed).replace(/\D/g, '').length;
    if (digits < PHONE_DIGITS.min || NOT_A_PHONE.test(trimmed)) return m;
    if (digits > PHONE_DIGITS.max) return MASKED_PHONE;
    return maskPhone(trimmed);
  });
}
