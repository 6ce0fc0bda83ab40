// What a provider sees of the phone numbers in a message (src/text/phone-mask.ts's rule): in the
// list, the last four digits only; in the detail, the full numbers (the call note's callback number,
// the caller's and the patient's telecom) only for a provider the message was addressed to (notified:
// an escalation step, a re-notification, a forward). One who sees it through a role they cover sees
// the masked form until it is addressed to them.
import type { Resource } from 'fhir/r4.js';
import { maskPhone, maskPhonesIn } from '../text/index.js';

/** ContactPoint systems whose value is a phone number (FHIR R4 contact-point-system). */
const PHONE_SYSTEMS: ReadonlySet<string> = new Set(['phone', 'fax', 'pager', 'sms']);

/** A FHIR resource (and its contained ones) with every phone ContactPoint masked and payload texts scrubbed. */
export function maskResourcePhones<T extends Resource>(resource: T): T {
  return maskValue(structuredClone(resource)) as T;
}

function maskValue(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(maskValue);
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  for (const [k, x] of Object.entries(o)) {
    if (k === 'telecom' && Array.isArray(x)) {
      o[k] = x.map((cp: unknown) => {
        const c = cp as { system?: string; value?: unknown };
        return c && typeof c.value === 'string' && PHONE_SYSTEMS.has(c.system ?? 'phone') ? { ...c, value: maskPhone(c.value) } : cp;
      });
    } else if ((k === 'contentString' || k === 'text' || k === 'div') && typeof x === 'string') {
      o[k] = maskPhonesIn(x);
    } else {
      o[k] = maskValue(x);
    }
  }
  return o;
}

/** Free text of a list row (the request's payload text), its phone numbers masked. */
export const maskListText = (text: string | null): string | null => (text === null ? null : maskPhonesIn(text));
