/**
 * Replay pacing: the gap between two events' times, divided by the speed and capped, is the wait
 * between sending them. `speed` Infinity (`--speed max`) never waits. Pure but for the clock it is
 * given, so tests drive it with a fake one.
 */
export function pacedGap(deltaMs: number, speed: number, maxGapMs: number): number {
  return Math.min(Math.max(0, deltaMs) / speed, maxGapMs);
}

/** The paced time from the event at `order[from]` to the last one: what is left of the schedule. */
export function pacedDuration(
  ts: ArrayLike<number>,
  order: ArrayLike<number>,
  from: number,
  speed: number,
  maxGapMs: number,
): number {
  let total = 0;
  for (let k = from + 1; k < order.length; k++)
    total += pacedGap(ts[order[k]!]! - ts[order[k - 1]!]!, speed, maxGapMs);
  return total;
}

/**
 * When each event is due on the wall clock: the first one at once (when {@link dueAt} is first
 * called), each next one a paced gap after the one before. The schedule does not shift when the
 * sender falls behind (the server was slow or away): late events go out at once until it has
 * caught up.
 */
export class Pacer {
  private due: number | undefined;
  private lastTs = 0;

  constructor(
    private readonly speed: number,
    private readonly maxGapMs: number,
    private readonly now: () => number,
  ) {}

  /** Wall-clock time (on `now`'s clock) to send the event with time `ts`; times come in order. */
  dueAt(ts: number): number {
    this.due =
      this.due === undefined ? this.now() : this.due + pacedGap(ts - this.lastTs, this.speed, this.maxGapMs);
    this.lastTs = ts;
    return this.due;
  }
}
