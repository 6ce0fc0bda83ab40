import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/obs/log.js';

describe('PHI-safe logger', () => {
  it('writes JSON lines with only allow-listed fields', () => {
    const lines: string[] = [];
    const log = createLogger('info', (l) => lines.push(l));
    log.info('hl7_accepted', { inboxId: '42', messageType: 'ORU^R01', patientName: 'DOE^JANE', mrn: 'MRN123', text: 'K 6.8' } as Record<string, string>);
    const ev = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(ev).toMatchObject({ level: 'info', event: 'hl7_accepted', inboxId: '42', messageType: 'ORU^R01' });
    // the PHI-bearing fields are gone, not merely renamed; the timestamp is left out of the text
    // search (a time such as 19:01:16.807Z reads "6.8")
    expect(Object.keys(ev).sort()).toEqual(['event', 'inboxId', 'level', 'messageType', 'time']);
    const { time: _time, ...rest } = ev;
    expect(JSON.stringify(rest)).not.toMatch(/DOE|MRN123|K 6\.8/);
  });

  it('drops lines below its level', () => {
    const lines: string[] = [];
    const log = createLogger('warn', (l) => lines.push(l));
    log.info('quiet');
    log.debug('quieter');
    log.error('loud', { code: 'ERR_X' });
    expect(lines.map((l) => (JSON.parse(l) as { event: string }).event)).toEqual(['loud']);
  });
});
