// The ask for a human (a message's life begins here): a CommunicationRequest,
// status active, with priority, categories, subject, `about` the resources it concerns and a short
// payload without unnecessary PHI (no names, no identifiers: what, how much, which flag).
import type { CodeableConcept, CommunicationRequest, Reference, Resource } from 'fhir/r4.js';
import { type Entry, fullUrlFor, keyIdentifier } from './bundle.js';
import type { IdMinter } from './ids.js';
import type { SiteConfig } from './config.js';
import type { Triage } from './triage.js';

const COMM_CATEGORY = 'http://terminology.hl7.org/CodeSystem/communication-category';

export interface AskInput {
  key: readonly string[];
  triage: Triage;
  text: string;
  subject?: Reference;
  about: Reference[];
  encounter?: Reference;
  authoredOn?: string;
  requester?: Reference;
  sender?: Reference;
  medium?: CodeableConcept[];
  reasonText?: string;
  contained?: Resource[];
}

/** Categories: the FHIR communication category, Switchboard's triage category, and wake/hold. */
export function askCategories(config: SiteConfig, triage: Triage): CodeableConcept[] {
  const critical = triage.priority !== 'routine';
  return [
    { coding: [{ system: COMM_CATEGORY, code: critical ? 'alert' : 'notification' }] },
    { coding: [{ system: `${config.systemBase}:triage-category`, code: triage.category }] },
    { coding: [{ system: `${config.systemBase}:delivery`, code: triage.wakeNow ? 'wake-now' : 'hold-until-morning' }] },
  ];
}

export function mapAsk(config: SiteConfig, ids: IdMinter, a: AskInput): Entry<CommunicationRequest> {
  const key = ['CommunicationRequest', ...a.key];
  const c = { resourceType: 'CommunicationRequest' } as CommunicationRequest; // status set below, in element order
  if (a.contained?.length) c.contained = a.contained;
  const hash = ids.hash(key);
  c.identifier = [keyIdentifier(ids, hash)];
  c.status = 'active';
  c.category = askCategories(config, a.triage);
  c.priority = a.triage.priority;
  if (a.medium) c.medium = a.medium;
  if (a.subject) c.subject = a.subject;
  if (a.about.length) c.about = a.about;
  if (a.encounter) c.encounter = a.encounter;
  c.payload = [{ contentString: a.text }];
  if (a.authoredOn) c.authoredOn = a.authoredOn;
  if (a.requester) c.requester = a.requester;
  if (a.sender) c.sender = a.sender;
  c.reasonCode = [{ text: a.reasonText ?? a.triage.reasons.join('; ') }];
  return { fullUrl: fullUrlFor(ids, 'CommunicationRequest', hash), resource: c, mode: 'upsert', match: c.identifier[0]! };
}
