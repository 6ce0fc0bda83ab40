// The one masking rule for phone numbers: only the last four digits in lists, logs and notifications.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { CommunicationRequest, RelatedPerson } from 'fhir/r4.js';
import { MASKED_PHONE, maskPhone, maskPhonesIn } from '../../src/text/index.js';
import { maskResourcePhones } from '../../src/delivery/phone-view.js';

describe('maskPhone', () => {
  it.each([
    ['North American, dashes', '555-867-5309', '•••-•••-5309'],
    ['North American, parentheses', '(555) 867-5309', '•••-•••-5309'],
    ['E.164', '+15558675309', '•••-•••-5309'],
    ['UK, spaces', '+44 20 7946 0958', '•••-•••-0958'],
    ['France, dots', '+33 1.23.45.67.89', '•••-•••-6789'],
    ['Germany, trunk prefix', '030 12345678', '•••-•••-5678'],
    ['Japan, dashes', '+81-3-1234-5678', '•••-•••-5678'],
    ['local 7 digits', '867-5309', '•••-•••-5309'],
    ['extension x', '555-867-5309 x1234', '•••-•••-5309 ext. •••'],
    ['extension ext.', '555-867-5309 ext. 42', '•••-•••-5309 ext. •••'],
    ['extension, RFC 3966', '+1-555-867-5309;ext=77', '•••-•••-5309 ext. •••'],
    ['extension #', '5558675309#9', '•••-•••-5309 ext. •••'],
    ['short: an internal extension', '4321', MASKED_PHONE],
    ['short: 6 digits', '55-12-34', MASKED_PHONE],
    ['short: emergency', '911', MASKED_PHONE],
    ['short number with an extension', '4321 x12', `${MASKED_PHONE} ext. •••`],
    ['no digits at all', 'ask the unit clerk', MASKED_PHONE],
    ['empty', '', MASKED_PHONE],
  ])('%s: %s -> %s', (_what, input, masked) => {
    expect(maskPhone(input)).toBe(masked);
  });

  it('never shows more than four digits, whatever the input', () => {
    fc.assert(fc.property(fc.string({ maxLength: 60 }), (s) => {
      expect(maskPhone(s).replace(/\D/g, '').length).toBeLessThanOrEqual(4);
    }));
  });
});

describe('maskPhonesIn (free text in a list or a notification)', () => {
  it.each([
    ['a number in a sentence', 'Please call back at 555-867-5309 tonight', 'Please call back at •••-•••-5309 tonight'],
    ['two numbers', 'cell +1 (555) 867-5309, home 555.123.4567', 'cell •••-•••-5309, home •••-•••-4567'],
    ['a number with an extension', 'desk 555-867-5309 ext. 12 until 5', 'desk •••-•••-5309 ext. ••• until 5'],
    ['an international number', 'callback +44 20 7946 0958', 'callback •••-•••-0958'],
    ['a lab value is not a number to mask', 'Critical result: Potassium 6.8 mmol/L (HH)', 'Critical result: Potassium 6.8 mmol/L (HH)'],
    ['a date is not', 'since 2025-03-04, worse today', 'since 2025-03-04, worse today'],
    ['a decimal is not', 'WBC 1234567.5 /uL', 'WBC 1234567.5 /uL'],
    ['a short number is left', 'room 4321, bed 2', 'room 4321, bed 2'],
    ['a run too long for E.164 is masked whole', 'ref 12345678901234567890', `ref ${MASKED_PHONE}`],
  ])('%s', (_what, input, masked) => {
    expect(maskPhonesIn(input)).toBe(masked);
  });

  const digit = fc.constantFrom(...'0123456789'.split(''));
  const separator = fc.constantFrom('', ' ', '-', '.', ' - ');

  it('hides every formatted number in a text, showing its last four digits', () => {
    fc.assert(fc.property(fc.array(digit, { minLength: 7, maxLength: 15 }), fc.array(separator, { minLength: 15, maxLength: 15 }), fc.boolean(), (ds, seps, plus) => {
      const number = (plus ? '+' : '') + ds.map((d, i) => (i === 0 ? d : seps[i]! + d)).join('');
      fc.pre(!/^\d{4}-\d{2}-\d{2}(?!\d)|^\d+\.\d+$/.test(number)); // what reads as a date or a decimal is left, by rule
      const out = maskPhonesIn(`Call back at ${number} please`);
      const all = ds.join('');
      expect(out.replace(/\D/g, '')).toBe(all.slice(-4));
      expect(out).toBe(`Call back at •••-•••-${all.slice(-4)} please`);
    }));
  });
});

describe('maskResourcePhones (a message detail for a provider it was not addressed to)', () => {
  it('masks phone ContactPoints and phone numbers in payload text, leaves e-mail, ids and the stored resource alone', () => {
    const caller: RelatedPerson = { resourceType: 'RelatedPerson', id: 'caller', patient: { reference: '#patient' }, telecom: [
      { system: 'phone', value: '+1 (555) 867-5309', use: 'temp' }, { system: 'email', value: 'pat@example.org' }, { system: 'pager', value: '555-010-0199 x4' },
    ] };
    const cr: CommunicationRequest = {
      resourceType: 'CommunicationRequest', id: 'cr-1', status: 'active', identifier: [{ system: 'urn:call', value: '5558675309' }],
      contained: [caller], payload: [{ contentString: 'Dose question, call back at 555-867-5309' }],
    };
    const masked = maskResourcePhones(cr);
    expect((masked.contained![0] as RelatedPerson).telecom).toEqual([
      { system: 'phone', value: '•••-•••-5309', use: 'temp' }, { system: 'email', value: 'pat@example.org' }, { system: 'pager', value: '•••-•••-0199 ext. •••' },
    ]);
    expect(masked.payload).toEqual([{ contentString: 'Dose question, call back at •••-•••-5309' }]);
    expect(masked.identifier).toEqual(cr.identifier);
    expect((cr.contained![0] as RelatedPerson).telecom![0]!.value).toBe('+1 (555) 867-5309');
  });
});
