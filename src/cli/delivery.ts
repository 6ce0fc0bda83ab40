// `switchboard delivery dead-letters|replay|timeline`: the operator's view of delivery from a shell.
//   dead-letters [--json] [--limit N] [--after ID]   pages given up on: one per line (id, message, practitioner, channel, attempts, last error)
//   replay ID                                        send a dead letter again (same webhook-id); a running gateway sends it at once
//   timeline MESSAGE_ID [--json]                     every step, attempt and receipt of a message, with reasons
import { parseArgs } from 'node:util';
import { listEvents, notifyDeliveryWake } from '../store/index.js';
import { listDeadLetters, replayDeadLetter } from '../delivery/index.js';
import type { Io } from './io.js';
import { withStore } from './store.js';

const USAGE = `usage: switchboard delivery dead-letters [--json] [--limit N] [--after ID]
       switchboard delivery replay ID
       switchboard delivery timeline MESSAGE_ID [--json]
`;


export async function deliveryCommand(argv: string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' }, limit: { type: 'string' }, after: { type: 'string' } } });
  } catch (e) {
    io.stderr(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const [sub, arg, ...extra] = parsed.positionals;
  const { values } = parsed;
  if (extra.length > 0) { io.stderr(USAGE); return 2; }
  if (sub === 'dead-letters' && arg === undefined) {
    const limit = Number(values.limit ?? 100);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) { io.stderr('--limit must be 1 to 500\n'); return 2; }
    if (values.after !== undefined && !/^\d{1,18}$/.test(values.after)) { io.stderr('--after must be a dead-letter id\n'); return 2; }
    const list = await withStore(({ sql }) => listDeadLetters(sql, { limit, ...(values.after ? { afterId: values.after } : {}) }));
    for (const d of list) {
      io.stdout(values.json ? `${JSON.stringify(d)}\n` : `${d.id}\t${d.messageId ?? `digest ${d.digestId ?? ''}`}\t${d.practitioner}\t${d.channel}\t${d.contact}\t${d.attempts}\t${d.lastError ?? ''}\n`);
    }
    if (list.length === limit) io.stderr(`more may follow: continue with --after ${list.at(-1)!.id}\n`);
    return 0;
  }
  if (sub === 'replay' && arg !== undefined) {
    if (!/^\d{1,18}$/.test(arg)) { io.stderr('ID must be a dead-letter id (switchboard delivery dead-letters)\n'); return 2; }
    const r = await withStore(async ({ sql }) => {
      const d = await replayDeadLetter(sql, arg, new Date(), 'cli');
      if (d) await notifyDeliveryWake(sql, 'attempt');
      return d;
    });
    if (r === undefined) { io.stderr(`no dead letter ${arg}\n`); return 1; }
    io.stdout(`dead letter ${arg} queued again (${r.channel} to ${r.practitioner})\n`);
    return 0;
  }
  if (sub === 'timeline' && arg !== undefined) {
    if (!/^[A-Za-z0-9\-.]{1,64}$/.test(arg)) { io.stderr('MESSAGE_ID must be a CommunicationRequest id\n'); return 2; }
    const events = await withStore(({ sql }) => listEvents(sql, arg));
    if (events.length === 0) { io.stderr(`no delivery for message ${arg}\n`); return 1; }
    for (const e of events) {
      io.stdout(values.json
        ? `${JSON.stringify({ at: e.at.toISOString(), kind: e.kind, step: e.step, practitioner: e.recipient, channel: e.channel, notificationId: e.notification_id, attemptId: e.attempt_id, reason: e.reason })}\n`
        : `${e.at.toISOString()}\t${e.kind}\t${e.step ?? ''}\t${e.recipient ?? ''}\t${e.channel ?? ''}\t${e.reason ?? ''}\n`);
    }
    return 0;
  }
  io.stderr(USAGE);
  return 2;
}
