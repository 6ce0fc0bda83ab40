import { describe, expect, it } from 'vitest';
import { Wakeup } from '../../src/threads/index.js';

describe('a loop\'s wake-up', () => {
  it('a poke during a round makes the next sleep return at once', async () => {
    const w = new Wakeup();
    w.begin();
    w.poke();
    let done = false;
    await w.sleep(60_000).then(() => { done = true; });
    expect(done).toBe(true);
  });

  it('a poke ends a sleep under way; a new round forgets earlier pokes', async () => {
    const w = new Wakeup();
    w.begin();
    const slept = w.sleep(60_000);
    w.poke();
    await slept;
    w.begin();
    let ended = false;
    const again = w.sleep(20).then(() => { ended = true; });
    await Promise.resolve();
    expect(ended).toBe(false);
    await again;
    expect(ended).toBe(true);
  });
});
