// A background loop's wake-up. The loop runs a round, then sleeps until the next poll unless it is
// poked (a NOTIFY heard, a commit in this process that made work). A poke that comes while a round
// runs is kept, so the loop goes straight on instead of sleeping through work stored after the
// round looked.

export class Wakeup {
  private poked = false;
  private wake: (() => void) | undefined;

  /** A round starts: pokes from here on cut the next sleep short. */
  begin(): void {
    this.poked = false;
  }

  /** Look now: ends a sleep under way, or the next one before it starts. */
  poke(): void {
    this.poked = true;
    this.wake?.();
  }

  /** Waits `ms`, or until a poke; at once when one came since `begin()`. `unref`: the timer does not keep the process alive. */
  async sleep(ms: number, opts: { unref?: boolean } = {}): Promise<void> {
    if (this.poked) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      if (opts.unref) t.unref();
      this.wake = () => { clearTimeout(t); resolve(); };
    });
    this.wake = undefined;
  }
}
