// Variations of fixture messages for load and dedupe tests: same message, another MSH-10.
import { fixture, toWire } from './fixtures.js';

/** The fixture with MSH-10 replaced (field 10 of the first segment). */
export function withControlId(rel: string, controlId: string): Buffer {
  const text = toWire(fixture(rel)).toString('latin1');
  const [msh, ...rest] = text.split('\r');
  const f = msh!.split('|');
  f[9] = controlId;
  return Buffer.from([f.join('|'), ...rest].join('\r'), 'latin1');
}

/** A wire message with MSH field n (1-based, n >= 3) replaced: e.g. MSH-7 re-stamped as some engines do on resend. */
export function withMshField(msg: Buffer, n: number, value: string): Buffer {
  const [msh, ...rest] = msg.toString('latin1').split('\r');
  const f = msh!.split('|');
  f[n - 1] = value;
  return Buffer.from([f.join('|'), ...rest].join('\r'), 'latin1');
}
