import { setImmediate as tick } from 'node:timers/promises';

/** Whether `p` has settled once pending I/O callbacks and microtasks have run (two turns). */
export async function isSettled(p: Promise<unknown>): Promise<boolean> {
  let settled = false;
  p.then(
    () => (settled = true),
    () => (settled = true),
  );
  await tick();
  await tick();
  return settled;
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Returns once the current minute (wall clock) has at least `leftMs` to go, waiting into the next
 * one if need be. The live page's cards count the current minute and empty at its turn: a test
 * that posts and then reads a card must not straddle it.
 */
export async function clearOfMinuteTurn(leftMs = 20_000): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < leftMs) await new Promise((r) => setTimeout(r, left + 100));
}
