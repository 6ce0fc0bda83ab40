// Enhanced mode (HL7 v2 2.9.3): after the commit ACK (CA) the application ACK follows when the
// message has been processed, if MSH-16 asks for it. Where it goes is the sender's choice in the
// senders file (`appAck`): a listener of its own (`address`, as other engines do: a new connection,
// the ACK as a message of its own), the connection the message came on (`connection`, while it is
// open in this process), or nowhere (`stored`, the default). It is always stored with the inbox row
// (GET /inbox/:id) for a sender that reconnects, or whose message another replica processed.
//
// Why `stored` by default: MLLP is one reply per frame on a connection. An application ACK written
// on that connection arrives while the sender waits for the commit ACK of its next message, and a
// client that pairs one reply per message (most do) takes it for that reply. Sending it there is
// right only for a sender that says it reads unsolicited frames.

/** MSH-16 (HL7 table 0155): does the sender want the application ACK for this outcome? */
export function wantsAppAck(condition: string, failed: boolean): boolean {
  switch (condition) {
    case 'AL': return true;
    case 'ER': return failed;
    case 'SU': return !failed;
    default: return false; // NE, or not valued
  }
}

/** Whether MSH-16 wants an application ACK for some outcome (then the way back is remembered). */
export function mayWantAppAck(condition: string): boolean {
  return wantsAppAck(condition, true) || wantsAppAck(condition, false);
}

/** Writes a payload as one MLLP frame on the originating connection; false when it is gone. */
export type Reply = (payload: Buffer) => boolean;

/** Attempts to reach a sender's ACK listener, and the waits between them, ms. */
const ADDRESS_RETRY_MS = [0, 1_000, 5_000, 30_000];

/**
 * A Reply that delivers to the sender's own MLLP listener: a connection per ACK, the frame written,
 * the listener's answer (if any) awaited briefly, then closed; retried a few times when the
 * listener cannot be reached. Returns true at once: delivery goes on in the background.
 */
export function replyToAddress(dest: { host: string; port: number; tls: boolean }, log: Logger): Reply {
  return (payload) => {
    void (async () => {
      for (const [attempt, wait] of ADDRESS_RETRY_MS.entries()) {
        if (wait) await new Promise((r) => setTimeout(r, wait).unref());
        try {
          await deliverFrame({ host: dest.host, port: dest.port, timeoutMs: 5_000, ...(dest.tls ? { tls: {} } : {}) }, payload);
          return;
        } catch (e) {
          log.warn('app_ack_delivery_failed', { host: dest.host, port: dest.port, attempts: attempt + 1, errorCode: (e as { code?: string }).code });
        }
      }
    })();
    return true;
  };
}

/** Messages waiting for their application ACK at most, before the oldest is forgotten (stored only). */
const MAX_WAITING = 10_000;

import { deliverFrame } from '../mllp/index.js';
import type { Logger } from '../obs/index.js';

export class AppAckRouter {
  private readonly waiting = new Map<string, Reply>();

  /** Remembers where the application ACK for this inbox row should go. */
  register(inboxId: string, reply: Reply): void {
    if (this.waiting.size >= MAX_WAITING) {
      const oldest = this.waiting.keys().next().value;
      if (oldest !== undefined) this.waiting.delete(oldest);
    }
    this.waiting.set(inboxId, reply);
  }

  /** Sends it if the connection is still open here; returns whether it was sent. */
  deliver(inboxId: string, ack: Buffer): boolean {
    const reply = this.waiting.get(inboxId);
    this.waiting.delete(inboxId);
    return reply ? reply(ack) : false;
  }

  get size(): number {
    return this.waiting.size;
  }
}
