// Who may send what from where. MSH-3/MSH-4 are whatever the sender writes, so without a check
// anyone who reaches the port can speak for the lab or the ADT system (a made-up ADT^A08 would change
// a patient). SENDERS_FILE maps each sender (MSH-3, MSH-4) to where it may connect from — addresses
// and CIDRs, and/or the subject of its TLS client certificate — for MLLP and POST /hl7 alike, and
// to where its enhanced-mode application ACKs go. Without a file only loopback senders are accepted
// (a first run on one machine); DEV_ALLOW_ANY_SENDER=1 accepts anyone, said loudly at every start.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/** Where an enhanced-mode application ACK goes (HL7 v2 2.9.3). */
export type AppAckDestination =
  | { to: 'stored' }
  | { to: 'connection' }
  | { to: 'address'; host: string; port: number; tls: boolean };

const cidr = z.string().refine((s) => parseCidr(s) !== undefined, 'not an IP address or CIDR (10.1.2.0/24, 2001:db8::/32)');

const appAckSchema = z.discriminatedUnion('to', [
  // kept with the inbox row only (GET /inbox/:id): nothing unsolicited on the sender's connection
  z.object({ to: z.literal('stored') }).strict(),
  // the connection the message came on, while it is open in this process
  z.object({ to: z.literal('connection') }).strict(),
  // a listener of the sender's own, as other engines do: one connection per ACK
  z.object({ to: z.literal('address'), host: z.string().min(1), port: z.number().int().min(1).max(65535), tls: z.boolean().default(false) }).strict(),
]);

const senderSchema = z.object({
  application: z.string().min(1).max(227),
  facility: z.string().max(227),
  from: z.array(cidr).min(1).optional(),
  certificateSubject: z.string().regex(/^\s*[A-Za-z.0-9]+=[^,]*(,\s*[A-Za-z.0-9]+=[^,]*)*$/, 'a subject like "CN=lab-feed" or "CN=lab-feed,O=North Lab"').optional(),
  appAck: appAckSchema.optional(),
  /** the organisation (answering service, practice, hospital) this sender's messages belong to; default: `default` */
  organization: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/, 'an organisation id: letters, digits and . _ : -').optional(),
}).strict().refine((s) => s.from !== undefined || s.certificateSubject !== undefined, { message: 'give `from` (addresses/CIDRs), `certificateSubject`, or both' });

export const sendersFileSchema = z.object({ senders: z.array(senderSchema) }).strict()
  .superRefine((f, ctx) => {
    const seen = new Set<string>();
    f.senders.forEach((s, i) => {
      const key = `${s.application}\u0000${s.facility}`;
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['senders', i], message: 'this application and facility are listed twice' });
      seen.add(key);
    });
  });

export type SendersFile = z.infer<typeof sendersFileSchema>;
type SenderEntry = SendersFile['senders'][number];

/** A bad senders file: names the file and the path of the problem in it. */
export class SendersFileError extends Error {
  readonly code = 'ERR_SENDERS_FILE';
  constructor(readonly file: string, readonly problems: string[]) {
    super(`SENDERS_FILE ${file}: ${problems.join('; ')}`);
  }
}

/** Reads and validates a senders file (JSON, or YAML by its extension). */
export function loadSendersFile(file: string): SendersFile {
  let data: unknown;
  try {
    const text = readFileSync(file, 'utf8');
    data = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw new SendersFileError(file, [`cannot be read as ${/\.ya?ml$/i.test(file) ? 'YAML' : 'JSON'} (${(e as Error).name})`]);
  }
  const parsed = sendersFileSchema.safeParse(data);
  if (!parsed.success) throw new SendersFileError(file, parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`));
  return parsed.data;
}

/** Where a message came from, as the transport saw it. */
export interface Origin {
  /** the peer's IP address (a trusted proxy's client for HTTP); null when unknown */
  address: string | null;
  /** the TLS client certificate's subject, as `CN=...,O=...` (MLLP over mutual TLS) */
  certSubject?: string;
}

export type SenderCheck = { ok: true; appAck: AppAckDestination; organization?: string } | { ok: false; reason: 'unknown_sender' | 'wrong_origin' };

const STORED: AppAckDestination = { to: 'stored' };

export class SenderPolicy {
  private constructor(
    readonly mode: 'list' | 'loopback' | 'any',
    private readonly senders: ReadonlyMap<string, { entry: SenderEntry; from: net.BlockList | undefined; subject: [string, string][] | undefined }>,
  ) {}

  static fromFile(file: SendersFile): SenderPolicy {
    const m = new Map<string, { entry: SenderEntry; from: net.BlockList | undefined; subject: [string, string][] | undefined }>();
    for (const s of file.senders) {
      m.set(keyOf(s.application, s.facility), { entry: s, from: s.from ? blockList(s.from) : undefined, subject: s.certificateSubject ? parseSubject(s.certificateSubject) : undefined });
    }
    return new SenderPolicy('list', m);
  }

  /** No allow-list: senders on this machine only (a first run), never from the network. */
  static loopbackOnly(): SenderPolicy {
    return new SenderPolicy('loopback', new Map());
  }

  /** DEV_ALLOW_ANY_SENDER: everyone, from anywhere. */
  static anySender(): SenderPolicy {
    return new SenderPolicy('any', new Map());
  }

  /** May this sender (MSH-3, MSH-4 first components) send from this origin? */
  check(application: string, facility: string, origin: Origin): SenderCheck {
    if (this.mode === 'any') return { ok: true, appAck: STORED };
    if (this.mode === 'loopback') return isLoopback(origin.address) ? { ok: true, appAck: STORED } : { ok: false, reason: 'wrong_origin' };
    const s = this.senders.get(keyOf(application, facility));
    if (!s) return { ok: false, reason: 'unknown_sender' };
    // every condition given must hold: an address in `from`, and the certificate's subject
    if (s.from && !(origin.address && inList(s.from, origin.address))) return { ok: false, reason: 'wrong_origin' };
    if (s.subject && !(origin.certSubject && subjectMatches(s.subject, origin.certSubject))) return { ok: false, reason: 'wrong_origin' };
    return { ok: true, appAck: s.entry.appAck ?? STORED, ...(s.entry.organization !== undefined ? { organization: s.entry.organization } : {}) };
  }
}

/**
 * The client's address for an HTTP request: the socket's peer, or — only when that peer is a
 * configured trusted proxy — the right-most X-Forwarded-For address that is not itself a trusted
 * proxy (the left part of the header is whatever the client wrote).
 */
export function clientAddress(peer: string | null, forwardedFor: string | undefined, trustedProxies: readonly string[]): string | null {
  if (!peer || !trustedProxies.length || !forwardedFor) return peer ? normalise(peer) : null;
  const trusted = blockList(trustedProxies);
  if (!inList(trusted, peer)) return normalise(peer);
  const hops = forwardedFor.split(',').map((h) => h.trim()).filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    if (net.isIP(normalise(hop)) === 0) return null; // unreadable: trust nothing further left
    if (!inList(trusted, hop)) return normalise(hop);
  }
  return null;
}

/** The entries of an address/CIDR list that are not one (TRUST_PROXY is checked at start with it). */
export function invalidCidrs(list: readonly string[]): string[] {
  return list.filter((s) => parseCidr(s) === undefined);
}

const keyOf = (application: string, facility: string) => `${application}\u0000${facility}`;

/** IPv4-mapped IPv6 (::ffff:10.1.2.3, how a dual-stack socket reports IPv4 peers) as IPv4. */
function normalise(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1]! : address;
}

function isLoopback(address: string | null): boolean {
  if (!address) return false;
  const a = normalise(address);
  return a === '::1' || (net.isIPv4(a) && a.startsWith('127.'));
}

function parseCidr(s: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [address = '', prefixText, extra] = s.trim().split('/');
  if (extra !== undefined) return undefined;
  const version = net.isIP(address);
  if (version === 0) return undefined;
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText ?? String(max)) || prefix > max) return undefined;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

function blockList(entries: readonly string[]): net.BlockList {
  const b = new net.BlockList();
  for (const e of entries) {
    const c = parseCidr(e);
    if (c) b.addSubnet(c.address, c.prefix, c.family); // lists are checked at start; never throw here
  }
  return b;
}

function inList(list: net.BlockList, address: string): boolean {
  const a = normalise(address);
  const version = net.isIP(a);
  if (version === 0) return false;
  return list.check(a, version === 4 ? 'ipv4' : 'ipv6');
}

/** `CN=lab-feed, O=North Lab` -> [['CN', 'lab-feed'], ['O', 'North Lab']] */
function parseSubject(s: string): [string, string][] {
  return s.split(',').map((p) => {
    const i = p.indexOf('=');
    return [p.slice(0, i).trim(), p.slice(i + 1).trim()];
  });
}

/** Every attribute the configuration names is in the certificate's subject with that value. */
function subjectMatches(wanted: [string, string][], actual: string): boolean {
  const have = parseSubject(actual);
  return wanted.every(([k, v]) => have.some(([hk, hv]) => hk === k && hv === v));
}
