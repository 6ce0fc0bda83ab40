// Small typed factories for synthetic FHIR test resources (no real patient data).
import type { Communication, CommunicationRequest, Observation, Patient } from 'fhir/r4.js';

export const MRN = 'urn:oid:2.16.840.1.113883.19.5';

export const patient = (id: string, mrn: string, family = 'Testpatient'): Patient => ({
  resourceType: 'Patient',
  id,
  identifier: [{ system: MRN, value: mrn }],
  name: [{ family, given: ['Synthetic'] }],
});

export const communicationRequest = (id: string, over: Partial<CommunicationRequest> = {}): CommunicationRequest => ({
  resourceType: 'CommunicationRequest',
  id,
  status: 'active',
  priority: 'routine',
  subject: { reference: 'Patient/p1' },
  recipient: [{ reference: 'Practitioner/dr-a' }],
  identifier: [{ system: 'urn:switchboard:request', value: id }],
  ...over,
});

export const communication = (id: string, over: Partial<Communication> = {}): Communication => ({
  resourceType: 'Communication',
  id,
  status: 'in-progress',
  priority: 'urgent',
  subject: { reference: 'Patient/p1' },
  recipient: [{ reference: 'Practitioner/dr-a' }],
  ...over,
});

export const observation = (id: string, subject = 'Patient/p1'): Observation => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '2823-3' }] },
  subject: { reference: subject },
  valueQuantity: { value: 6.8, unit: 'mmol/L' },
});
