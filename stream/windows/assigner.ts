/** Event-time tumbling windows: a window size, and which window an event time falls in. */

export interface WindowSpec {
  /** Label used in the API and the store, for example "1m". */
  name: string;
  sizeMs: number;
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses "30s", "1m", "15m", "1h", "1d". Throws RangeError on anything else. */
export function parseWindow(name: string): WindowSpec {
  const m = /^(\d{1,4})([smhd])$/.exec(name.trim());
  if (!m) throw new RangeError(`invalid window "${name}": use a number and s, m, h or d, like 1m or 1h`);
  const sizeMs = Number(m[1]) * UNITS[m[2]!]!;
  if (sizeMs <= 0) throw new RangeError(`invalid window "${name}": size must be positive`);
  if (86_400_000 % sizeMs !== 0 && sizeMs % 86_400_000 !== 0)
    throw new RangeError(`invalid window "${name}": windows must divide a day evenly`);
  return { name: `${m[1]}${m[2]}`, sizeMs };
}

export class TumblingWindowAssigner {
  constructor(readonly sizeMs: number) {
    if (!(sizeMs > 0)) throw new RangeError('window size must be positive');
  }

  /** Start of the window holding `ts`: windows are aligned to the Unix epoch. */
  assign(ts: number): number {
    return Math.floor(ts / this.sizeMs) * this.sizeMs;
  }
}

/** A window length as people write it (1h, 15m, 30s), for reports of late events. */
export function windowLabel(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ] as const)
    if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}
