import { parseArgs } from 'node:util';
import { loadConfig } from '../config/index.js';
import { createLogger } from '../obs/index.js';
import { openStore } from '../store/index.js';
import { listInbox, retryInbox, listRejected, getRejected, INBOX_STATES, type InboxState } from '../ingest/index.js';
import type { Io } from './main.js';

export async function inboxCommand(argv: string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: {
    json: { type: 'boolean', default: false }, state: { type: 'string' }, limit: { type: 'string', default: '100' },
  } });
  if (values.state && !INBOX_STATES.includes(values.state as InboxState)) { io.stderr(`--state must be one of ${INBOX_STATES.join(', ')}\n`); return 2; }
  if (!['list', 'retry', 'rejected'].includes(sub ?? '')) { io.stderr('usage: switchboard inbox list|retry ID|rejected [ID]\n'); return 2; }
  const config = loadConfig();
  const store = await openStore(config, createLogger('warn'), { name: 'switchboard-cli' });
  try {
    if (sub === 'retry') {
      const id = positionals[0];
      if (!id) { io.stderr('usage: switchboard inbox retry ID\n'); return 2; }
      if (!(await retryInbox(store.sql, id))) { io.stderr(`no failed inbox row ${id}\n`); return 1; }
      io.stdout(`inbox ${id} queued again\n`);
      return 0;
    }
    if (sub === 'rejected' && positionals[0]) {
      const r = await getRejected(store.sql, positionals[0]);
      if (!r) { io.stderr(`no rejected input ${positionals[0]}\n`); return 1; }
      if (values.json) { io.stdout(JSON.stringify(r) + '\n'); return 0; }
      io.stdout(`${r.id}  ${r.receivedAt}  ${r.source}  ${r.errorCode}: ${r.reason}\n--- received (${r.bytes} bytes)\n${r.message.replace(/\r\n?/g, '\n')}\n--- answered\n${(r.ack ?? '').replace(/\r/g, '\n')}\n`);
      return 0;
    }
    if (sub === 'rejected') {
      for (const r of await listRejected(store.sql, Number(values.limit))) io.stdout(values.json ? JSON.stringify(r) + '\n' : `${r.id}\t${r.receivedAt}\t${r.source}\t${r.errorCode}\t${r.reason}\n`);
      return 0;
    }
    const rows = await listInbox(store.sql, { ...(values.state ? { state: values.state as InboxState } : {}), limit: Number(values.limit) });
    for (const r of rows) {
      io.stdout(values.json
        ? JSON.stringify({ id: r.id, sender: r.sender, controlId: r.controlId, type: r.type, state: r.state, receivedAt: r.receivedAt }) + '\n'
        : `${r.id}\t${r.receivedAt}\t${r.type}\t${r.state}\t${r.sender}\t${r.controlId}\n`);
    }
    return 0;
  } finally {
    await store.close();
  }
}
