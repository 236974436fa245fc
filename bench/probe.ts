/**
 * Update-latency probes shared by the benchmarks that time ingest → WebSocket update: the bench
 * POSTs a post about a brand of its own (`Bench Probe`, in no other traffic) every so often, and a
 * subscriber of `brand:bench-probe` counts the brand's posts in the `1h` windows of each update.
 * When the count reaches probe n, probe n's latency is the time from just before its POST to the
 * arrival of that update, both read on the bench's clock.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_BRANDS } from '../ingest/brands-default.js';

export const PROBE_BRAND = { name: 'Bench Probe', handles: ['benchprobe'], kind: 'competitor' as const };
export const PROBE_CHANNEL = 'brand:bench-probe';

/** Writes the default brands plus the probe brand to `<dir>/brands.json`, for `--brands`. */
export function writeProbeBrands(dir: string): string {
  const file = join(dir, 'brands.json');
  writeFileSync(file, JSON.stringify([...DEFAULT_BRANDS, PROBE_BRAND]));
  return file;
}

export function percentile(sorted: number[], p: number): number {
  return sorted.length === 0
    ? NaN
    : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Sends probe posts to an ingest URL and remembers when each went out. */
export class ProbeSender {
  /** `sentAt[n - 1]`: when probe n was sent (ms since the epoch). */
  readonly sentAt: number[] = [];

  constructor(
    private readonly ingestUrl: string,
    private readonly runId: string,
  ) {}

  get count(): number {
    return this.sentAt.length;
  }

  async send(): Promise<void> {
    const at = Date.now();
    const n = this.sentAt.push(at);
    const res = await fetch(`${this.ingestUrl}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: JSON.stringify({
        id: `probe-${this.runId}-${n}`,
        source: 'bench',
        ts: at,
        author: { id: `probe-${n % 16}` },
        text: 'checking in on #benchprobe',
      }),
    });
    if (res.status !== 202)
      throw new Error(`the ingest refused probe ${n}: ${res.status} ${await res.text()}`);
  }
}

interface ProbeWindow {
  window: string;
  start: number;
  posts: number;
}

/**
 * One subscriber's view of the probes: the probe brand's posts per `1h` window (a sum over window
 * starts, so an hour boundary does not reset it), and the latency of each probe it saw arrive.
 */
export class ProbeReceiver {
  private readonly hours = new Map<number, number>();
  private counted = 0;

  constructor(
    private readonly sender: ProbeSender,
    private readonly latencies: number[],
  ) {}

  /**
   * Folds the windows of a `snapshot` or `update` of the probe channel received at `now`. Probes
   * already counted by a snapshot were sent before this subscriber listened: they get no latency.
   */
  receive(windows: ProbeWindow[], now: number, snapshot = false): void {
    for (const w of windows) if (w.window === '1h') this.hours.set(w.start, w.posts);
    let total = 0;
    for (const posts of this.hours.values()) total += posts;
    for (; this.counted < Math.min(total, this.sender.count); this.counted++)
      if (!snapshot) this.latencies.push(now - this.sender.sentAt[this.counted]!);
  }
}
