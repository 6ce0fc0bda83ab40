// The revocation list the verifier consults on every request, held in memory: loaded at start, reloaded
// when any process revokes a token (LISTEN/NOTIFY, so a revocation reaches every replica as it commits)
// and every REFRESH_MS as a backstop for a lost notification. Only revocations that still matter are
// held: every revoked key, and revoked tokens whose own exp has not passed.
import { insertRevocation, listRevocations, listenRevocations, type Revocation, type Sql } from '../store/index.js';
import type { Logger } from '../obs/index.js';
import { CLOCK_TOLERANCE_S, type RevocationCheck } from './token.js';

/** Backstop reload period: a minute, far below any token lifetime we accept. */
const REFRESH_MS = 60_000;

const key = (issuer: string, value: string): string => `${issuer}\n${value}`;

export class RevocationList implements RevocationCheck {
  private jtis = new Set<string>();
  private kids = new Set<string>();
  private chain: Promise<void> = Promise.resolve();
  private unlisten: (() => Promise<void>) | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly sql: Sql, private readonly opts: { log?: Logger; now?: () => Date } = {}) {}

  /** Loads the list and follows changes until stop(). */
  async start(): Promise<void> {
    await this.reload();
    this.unlisten = await listenRevocations(this.sql, () => void this.reload());
    this.timer = setInterval(() => void this.reload(), REFRESH_MS).unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.unlisten?.();
    await this.chain;
  }

  /** Reads the list again; reloads run one after another, so the last one to finish read last. */
  reload(): Promise<void> {
    this.chain = this.chain.then(() => this.load()).catch((e: unknown) => {
      // keep the last list: requests fail anyway while the store is away
      this.opts.log?.warn('revocations_reload_failed', { errorCode: (e as { code?: string }).code, errorName: (e as Error).name });
    });
    return this.chain;
  }

  private async load(): Promise<void> {
    const now = this.opts.now?.() ?? new Date();
    const rows = await listRevocations(this.sql, new Date(now.getTime() - CLOCK_TOLERANCE_S * 1000));
    this.jtis = new Set(rows.filter((r) => r.kind === 'jti').map((r) => key(r.issuer, r.value)));
    this.kids = new Set(rows.filter((r) => r.kind === 'kid').map((r) => key(r.issuer, r.value)));
  }

  isRevoked(issuer: string, ids: { jti?: string; kid?: string }): boolean {
    return (ids.jti !== undefined && this.jtis.has(key(issuer, ids.jti))) || (ids.kid !== undefined && this.kids.has(key(issuer, ids.kid)));
  }
}

/** Revokes one token (by jti) or a key (by kid) for every replica. False when it was revoked already. */
export function revoke(sql: Sql, r: Revocation): Promise<boolean> {
  return insertRevocation(sql, r);
}
