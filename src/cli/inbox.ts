// `switchboard inbox list|retry|rejected`: what was stored and what was refused, for an integration
// engineer. Lists print one row per line (tab-separated columns; `--json`: one JSON document per line),
// a page at a time: `--limit N` (100, at most 1,000), `--after ID` / `--before ID` to continue, `--all`
// to page through everything. When a limit cut a list short, stderr says how to continue.
import { parseArgs } from 'node:util';
import {
  INBOX_STATES, LIST_MAX_LIMIT, getRejected, listInbox, listRejected, retryInbox,
  type InboxListItem, type InboxState, type ListPage, type RejectedItem,
} from '../ingest/index.js';
import type { Io } from './io.js';
import { withStore } from './store.js';

const USAGE = `usage: switchboard inbox list [--json] [--state S] [--limit N] [--after ID] [--all]
       switchboard inbox retry ID
       switchboard inbox rejected [ID] [--json] [--limit N] [--before ID] [--all]
`;

const ROW_ID = /^\d{1,18}$/;

/** Prints pages from `from` until the list ends, or after the first unless `all`; says on stderr when rows remain. */
async function printPages<T>(io: Io, opts: { all: boolean; from: string | undefined; flag: '--after' | '--before' }, fetch: (from: string | undefined) => Promise<ListPage<T>>, format: (item: T) => string): Promise<void> {
  let from = opts.from;
  for (;;) {
    const page = await fetch(from);
    for (const item of page.items) io.stdout(`${format(item)}\n`);
    if (page.next === undefined) return;
    if (!opts.all) {
      io.stderr(`more rows follow: continue with ${opts.flag} ${page.next}, or use --all\n`);
      return;
    }
    from = page.next;
  }
}

const inboxLine = (r: InboxListItem): string => `${r.id}\t${r.receivedAt}\t${r.type}\t${r.state}\t${r.sender}\t${r.controlId}`;
const inboxJson = (r: InboxListItem) => ({ id: r.id, sender: r.sender, controlId: r.controlId, type: r.type, state: r.state, receivedAt: r.receivedAt });
const rejectedLine = (r: RejectedItem): string => `${r.id}\t${r.receivedAt}\t${r.source}\t${r.errorCode}\t${r.reason}`;


export async function inboxCommand(argv: string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv;
  let parsed;
  try {
    parsed = parseArgs({ args: rest, allowPositionals: true, options: {
      json: { type: 'boolean', default: false }, all: { type: 'boolean', default: false }, state: { type: 'string' },
      limit: { type: 'string' }, after: { type: 'string' }, before: { type: 'string' },
    } });
  } catch (e) {
    io.stderr(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (!['list', 'retry', 'rejected'].includes(sub ?? '')) { io.stderr(USAGE); return 2; }
  if (values.state && !INBOX_STATES.includes(values.state as InboxState)) { io.stderr(`--state must be one of ${INBOX_STATES.join(', ')}\n`); return 2; }
  // --all pages through at the largest page size unless told otherwise
  const limitText = values.limit ?? String(values.all ? LIST_MAX_LIMIT : 100);
  if (!/^\d{1,4}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > LIST_MAX_LIMIT) { io.stderr(`--limit must be an integer from 1 to ${LIST_MAX_LIMIT}\n`); return 2; }
  for (const flag of ['after', 'before'] as const) {
    if (values[flag] !== undefined && !ROW_ID.test(values[flag])) { io.stderr(`--${flag} must be a row id (digits)\n`); return 2; }
  }
  if (sub === 'list' && values.before !== undefined) { io.stderr('inbox list pages with --after (oldest first)\n'); return 2; }
  if (sub === 'rejected' && values.after !== undefined) { io.stderr('inbox rejected pages with --before (newest first)\n'); return 2; }
  const limit = Number(limitText);

  if (sub === 'retry') {
    const id = positionals[0];
    if (!id) { io.stderr('usage: switchboard inbox retry ID\n'); return 2; }
    if (!(await withStore(({ sql }) => retryInbox(sql, id)))) { io.stderr(`no failed inbox row ${ROW_ID.test(id) ? id : 'with that id'}\n`); return 1; }
    io.stdout(`inbox ${id} queued again\n`);
    return 0;
  }
  if (sub === 'rejected' && positionals[0]) {
    const id = positionals[0];
    const r = await withStore(({ sql }) => getRejected(sql, id));
    if (!r) { io.stderr(`no rejected input ${ROW_ID.test(id) ? id : 'with that id'}\n`); return 1; }
    if (values.json) { io.stdout(JSON.stringify(r) + '\n'); return 0; }
    io.stdout(`${r.id}  ${r.receivedAt}  ${r.source}  ${r.errorCode}: ${r.reason}\n--- received (${r.bytes} bytes)\n${r.message.replace(/\r\n?/g, '\n')}\n--- answered\n${(r.ack ?? '').replace(/\r/g, '\n')}\n`);
    return 0;
  }
  await withStore(async ({ sql }) => {
    if (sub === 'rejected') {
      await printPages(io, { all: values.all, from: values.before, flag: '--before' },
        (before) => listRejected(sql, { limit, ...(before ? { beforeId: before } : {}) }),
        (r) => (values.json ? JSON.stringify(r) : rejectedLine(r)));
      return;
    }
    const state = values.state as InboxState | undefined;
    await printPages(io, { all: values.all, from: values.after, flag: '--after' },
      (after) => listInbox(sql, { limit, ...(state ? { state } : {}), ...(after ? { afterId: after } : {}) }),
      (r) => (values.json ? JSON.stringify(inboxJson(r)) : inboxLine(r)));
  });
  return 0;
}
