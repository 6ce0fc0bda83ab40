import { describe, expect, it } from 'vitest';
import { DEFAULT_SITE_CONFIG } from '../../src/mapping/index.js';
import { mapInboxRow } from '../../src/pipeline/map-row.js';
import { ID_KEY } from './support.js';

describe('a row that fails outside the mapper', () => {
  it('keeps the error class only, never text that quotes the stored input', () => {
    // JSON.parse's SyntaxError quotes the text it could not read
    const raw = Buffer.from('{"patient": {"name": "Alex Testpatient", "callbackNumber": "+1 555 010 0199"', 'utf8');
    const { outcome } = mapInboxRow({ id: '1', source: 'calls', raw, received_at: new Date(0) }, DEFAULT_SITE_CONFIG, ID_KEY);
    expect(outcome).toEqual({ kind: 'failed', code: 'ERR_MAPPING_INTERNAL', reason: 'mapping failed: SyntaxError' });
  });
});
