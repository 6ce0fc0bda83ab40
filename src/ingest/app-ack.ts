// Enhanced mode (HL7 v2 2.9.3): after the commit ACK (CA) the application ACK follows when the
// message has been processed, if MSH-16 asks for it. It goes back over the connection the message
// came in on while that connection is open in this process; it is always stored with the inbox row
// (GET /inbox/:id) for a sender that reconnects, or whose message another replica processed.

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

/** Messages waiting for their application ACK at most, before the oldest is forgotten (stored only). */
const MAX_WAITING = 10_000;

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
