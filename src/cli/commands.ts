// The `switchboard` command's dispatch: each sub-command is a function of (argv, io) returning an exit
// code. main.ts runs it as the process's entry.
import type { Io } from './io.js';
import { serveCommand, migrateCommand } from './serve.js';
import { tokenCommand } from './token.js';
import { sendCommand } from './send.js';
import { inboxCommand } from './inbox.js';
import { mapCommand } from './map.js';
import { oncallCommand } from './oncall.js';
import { scheduleCommand } from './schedule.js';
import { deliveryCommand } from './delivery.js';
import { auditCommand, purgeCommand } from './audit.js';
import { dbCommand } from './db.js';
import { keysCommand } from './keys.js';
import { usersCommand } from './users.js';

export const USAGE = `usage: switchboard <command> [options]
  serve                         run the gateway (HTTP :PORT, MLLP :MLLP_PORT)
  migrate                       apply database migrations and exit
  token [--scope S]... [--ttl SECONDS] [--subject SUB] [--patient ID]
                                print a short-lived bearer token signed by the local key
  token --practitioner ID [--ttl SECONDS]
                                a provider token: the /me routes, as that practitioner
  token revoke TOKEN | --jti ID [--issuer I] | --kid KID [--issuer I]
                                revoke one token, or every token a key signed
  send FILE... [--host H] [--port P] [--tls] [--ca FILE]
                                send each HL7 message over MLLP, print each ACK (exit 1 on AE/AR)
  map FILE [--report] [--pretty] map HL7 v2 to FHIR R4 Bundles (one JSON document per line)
  inbox list [--json] [--state S] [--limit N] [--after ID] [--all]
  inbox retry ID                re-process a failed inbox row
  inbox rejected [ID] [--json] [--limit N] [--before ID] [--all]
                                list refused input with the reason; with ID, its bytes and the ACK sent
  oncall ROLE [--at ISO-8601] [--next] [--json] [--schedule FILE]
                                who is on call, the backups and the escalation chain (--next: until when, who next)
  schedule import FILE [--mapping FILE] [--from D] [--to D] [--layer ID]
                                store a JSON/YAML schedule, or merge an iCalendar feed
  schedule lint [--from D] [--to D] [--schedule FILE] [--json]
  schedule show                 print the stored schedule
  delivery dead-letters [--json] [--limit N] [--after ID]
                                pages, pushes and webhooks given up on
  delivery replay ID            send a dead letter again (same webhook-id)
  delivery timeline MESSAGE_ID [--json]
                                every escalation step, attempt and receipt of a message, with reasons
  audit verify [--json] [--require-hmac]
                                check the audit hash chain; print the head hash (exit 1 at a broken link)
  audit list [--patient ID] [--actor X] [--since T] [--until T] [--limit N] [--before SEQ] [--json]
                                audit events, newest first
  purge [--json]                apply MESSAGE_/FHIR_/AUDIT_RETENTION_DAYS now
  users add USERNAME --role ROLE [--practitioner ID] [--organization ORG] [--password-stdin]
  users list [--json] | disable USERNAME | enable USERNAME | reset-password USERNAME
  users totp-enroll USERNAME | totp-remove USERNAME | passkeys-remove USERNAME
                                local accounts of the built-in sign-in (a generated password is shown once)
  db roles --print [--role NAME] [--owner NAME] [--schema NAME] [--database NAME]
                                print the GRANT script for the runtime role (least privilege)
  keys status [--json]          the PHI data keys and how many stored values each one seals
  keys rotate [--reseal-only] [--batch N]
                                a new active PHI key; re-seal every value under it, retire unused keys
Configuration is read from the environment: see README.md.`;

const COMMANDS: Record<string, (argv: string[], io: Io) => Promise<number>> = {
  serve: serveCommand,
  migrate: migrateCommand,
  token: tokenCommand,
  send: sendCommand,
  map: mapCommand,
  inbox: inboxCommand,
  oncall: oncallCommand,
  schedule: scheduleCommand,
  delivery: deliveryCommand,
  audit: auditCommand,
  purge: purgeCommand,
  db: dbCommand,
  keys: keysCommand,
  users: (argv, io) => usersCommand(argv, io),
};

export async function runCli(argv: string[], io: Io): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    io.stdout(USAGE + '\n');
    return cmd ? 0 : 2;
  }
  const run = COMMANDS[cmd];
  if (!run) {
    io.stderr(`switchboard: unknown command '${cmd}'\n${USAGE}\n`);
    return 2;
  }
  return run(rest, io);
}
