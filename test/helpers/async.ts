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
