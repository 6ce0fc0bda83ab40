// The `type` label of the ingest metrics: a supported message type by name (`ORU^R01`), call notes as
// `CALL`, anything else as `other` — a sender's made-up MSH-9 must not create new metric series.
import { SUPPORTED_TYPES } from '../hl7/index.js';

export function metricType(messageType: string): string {
  if (messageType === 'CALL') return messageType;
  const [code = '', event = ''] = messageType.split('^');
  return SUPPORTED_TYPES[code]?.events.has(event) ? `${code}^${event}` : 'other';
}
