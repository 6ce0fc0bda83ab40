// HL7 NM text -> number, read by hand. Number(text) on the short, fresh strings of a message cost
// ~60 ns a call, and an OBX reads up to three numbers (value, range low and high; CPU profile).

/** 10^k for k = 0..15, each exact in a double. */
const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/** Digits of an integer that is certainly exact in a double (10^15 < 2^53). */
const EXACT_DIGITS = 15;

/**
 * Number(text) when text is a plain decimal (/^[+-]?(\d+\.?\d*|\.\d+)$/: a sign, digits, at most one
 * point, at least one digit); undefined when it is not one. Up to 15 digits it is integer / 10^k:
 * both exact, and IEEE division rounds correctly, so the result is exactly Number()'s (Clinger's fast
 * path). Longer texts are left to Number().
 */
export function parseDecimal(text: string): number | undefined {
  let i = 0;
  const first = text.charCodeAt(0);
  if (first === 0x2b || first === 0x2d) i = 1; // '+' or '-'
  let int = 0;
  let digits = 0;
  let point = -1;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      int = int * 10 + (c - 0x30);
      digits++;
    } else if (c === 0x2e && point < 0) point = digits; // '.'
    else return undefined;
  }
  if (digits === 0) return undefined;
  if (digits > EXACT_DIGITS) return Number(text);
  const n = int / POW10[point < 0 ? 0 : digits - point]!;
  return first === 0x2d ? -n : n;
}
