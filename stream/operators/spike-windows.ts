import { STOPWORDS, tokenize } from '../../engines/text/index.js';
import { mentionsOf, tokensOf } from '../model/event-tokens.js';
import type { AlertSample } from '../model/alerts.js';
import type { BrandSpec } from '../model/brands.js';
import type { EnrichedEvent } from '../model/events.js';
import { Subjects } from '../bus/topology.js';
import { ALERTS_TABLE } from '../stages/alert-rows.js';
import { windowLabel } from '../windows/assigner.js';
import type { Operator, OperatorContext, OperatorDefinition, OperatorOutput } from './operator.js';

/** Top terms kept per brand and window, and distinct terms counted at most (bounded memory). */
const TOP_TERMS = 20;
const MAX_TERMS = 2_000;
const MAX_SAMPLES = 3;
/**
 * Negative posts per brand and window whose words are counted: the first ones say what a spike is
 * about as well as all of them would, and tokenizing every negative post cost a fifth of stage 2.
 */
const TERM_POSTS = 200;
const SAMPLE_CHARS = 280;

/** One partition's counts of one brand in one closed spike window. */
export interface SpikePartial {
  posts: number;
  negative: number;
  /** The negative posts' most frequent terms, [term, count], most frequent first. */
  terms: [string, number][];
  /** The window's first negative posts (event-time order of arrival). */
  samples: AlertSample[];
}

/**
 * What a partition publishes when its watermark closes spike windows: the windows closed since
 * its last message that had posts, and how far it has closed (every window up to and including
 * `closed_through` is closed in this partition: absent brands had no posts).
 */
export interface SpikeWindowsMessage {
  partition: number;
  window_ms: number;
  closed_through: number;
  windows: { start: number; brands: Record<string, SpikePartial> }[];
}

interface Acc {
  posts: number;
  negative: number;
  terms: Map<string, number>;
  samples: AlertSample[];
}

/**
 * Words of a negative post worth listing: hashtags and words of 3+ letters that are not stopwords,
 * less the mentions of `brands` (names, aliases, handles, hashtags) and the words of
 * their names wherever they stand (the list is of raw counts, where "coffee" of "Northwind Coffee"
 * would top every list of a coffee brand).
 */
function termsOf(
  event: EnrichedEvent,
  nameWords: ReadonlySet<string>,
  brands: readonly BrandSpec[] | undefined,
): string[] {
  const out: string[] = [];
  const tokens = tokensOf(event);
  const skip = mentionsOf(event, brands);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (skip?.[i]) continue;
    if (t.kind === 'hashtag') out.push(`#${t.norm}`);
    else if (t.kind === 'word' && t.norm.length >= 3 && !STOPWORDS.has(t.norm) && !nameWords.has(t.norm))
      out.push(t.norm);
  }
  return out;
}

/**
 * The stage-2 half of spike alerts. A brand's posts are spread over the partitions (events are
 * partitioned by author), so no partition can judge a spike alone: each counts its posts per brand
 * and spike window (event time), and when its watermark closes windows it publishes their counts,
 * with the negative posts' terms and a few samples, to `spikes.windows.<partition>`. The alerts
 * stage (stages/alerts.ts) adds the partitions up once all have closed a window, and detects.
 *
 * An event whose spike window the watermark had already closed when it came is left out (the
 * window was published; alerts do not wait for `--allowed-lateness-ms`) and reported late as
 * `spikes <window>`; the decision depends only on the order of events, so a replay publishes the
 * same counts.
 */
export class SpikeWindows implements Operator {
  readonly name = 'spikes';
  private readonly windowMs: number;
  private readonly open = new Map<number, Map<string, Acc>>();
  private closedThrough = Number.NEGATIVE_INFINITY;
  private readonly nameWords: ReadonlySet<string>;
  /** How an event too late for its spike window is reported (counted late and dead-lettered). */
  private readonly lateFor: readonly string[];
  /** Open windows (per brand) of another size the last restore dropped. */
  droppedAtRestore = 0;

  constructor(private readonly context: OperatorContext) {
    this.windowMs = context.spikeWindowMs ?? 60_000;
    if (!(Number.isInteger(this.windowMs) && this.windowMs >= 1_000))
      throw new RangeError('the spike window must be a whole number of ms, at least 1 s');
    const words = new Set<string>();
    for (const { name } of context.brands ?? []) for (const t of tokenize(name)) words.add(t.norm);
    this.nameWords = words;
    this.lateFor = [`spikes ${windowLabel(this.windowMs)}`];
  }

  fold(event: EnrichedEvent, watermark: number): readonly string[] | void {
    if (event.brands.length === 0) return;
    const start = Math.floor(event.ts / this.windowMs) * this.windowMs;
    if (start + this.windowMs <= watermark || start <= this.closedThrough) return this.lateFor;
    let window = this.open.get(start);
    if (!window) {
      window = new Map();
      this.open.set(start, window);
    }
    const negative = event.sentiment.label === 'negative';
    let terms: string[] | undefined;
    for (const brand of event.brands) {
      let acc = window.get(brand);
      if (!acc) {
        acc = { posts: 0, negative: 0, terms: new Map(), samples: [] };
        window.set(brand, acc);
      }
      acc.posts++;
      if (!negative) continue;
      acc.negative++;
      if (acc.negative > TERM_POSTS) continue;
      terms ??= termsOf(event, this.nameWords, this.context.brands);
      for (const term of terms) {
        const n = acc.terms.get(term);
        if (n !== undefined) acc.terms.set(term, n + 1);
        else if (acc.terms.size < MAX_TERMS) acc.terms.set(term, 1);
      }
      if (acc.samples.length < MAX_SAMPLES)
        acc.samples.push({
          id: event.id,
          source: event.source,
          ts: event.ts,
          text: event.text.slice(0, SAMPLE_CHARS),
        });
    }
  }

  emit(watermark: number, _version?: number): OperatorOutput {
    if (!Number.isFinite(watermark)) return { writes: [], live: [] };
    // The latest window [s, s + w) with s + w <= watermark.
    const target = Math.floor((watermark - this.windowMs) / this.windowMs) * this.windowMs;
    if (target <= this.closedThrough) return { writes: [], live: [] };
    const windows: SpikeWindowsMessage['windows'] = [];
    for (const start of [...this.open.keys()].sort((a, b) => a - b)) {
      if (start > target) break;
      const brands: Record<string, SpikePartial> = {};
      for (const [brand, acc] of [...this.open.get(start)!].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
        brands[brand] = {
          posts: acc.posts,
          negative: acc.negative,
          terms: mostFrequent(acc.terms, TOP_TERMS),
          samples: acc.samples,
        };
      windows.push({ start, brands });
      this.open.delete(start);
    }
    this.closedThrough = target;
    const { partition } = this.context;
    const message: SpikeWindowsMessage = {
      partition,
      window_ms: this.windowMs,
      closed_through: target,
      windows,
    };
    return {
      writes: [],
      live: [],
      publish: [
        { subject: Subjects.spikeWindows(partition), msgId: `spikes:${partition}:${target}`, data: message },
      ],
    };
  }

  get size(): number {
    let n = 0;
    for (const w of this.open.values()) n += w.size;
    return n;
  }

  snapshot(): unknown {
    return {
      windowMs: this.windowMs,
      closedThrough: Number.isFinite(this.closedThrough) ? this.closedThrough : null,
      open: [...this.open].map(([start, brands]) => [
        start,
        [...brands].map(([brand, a]) => [brand, a.posts, a.negative, [...a.terms], a.samples]),
      ]),
    };
  }

  /**
   * Open windows of another size are dropped (a restart with another `--alert-window`): their counts
   * span another stretch of time than the window they would be published as, and the alerts stage
   * would read a 5-minute window published as 1 minute as a jump in volume. Windows of the new size
   * then count from the checkpoint on, so the first ones may hold only part of their posts. A
   * snapshot from before the size was recorded is taken to be of this size, less the windows whose
   * start is not on its grid. `closedThrough` is kept: it is a time (everything up to the old
   * window's start was published), and a new window starting at or before it is late.
   */
  restore(state: unknown): void {
    this.open.clear();
    this.closedThrough = Number.NEGATIVE_INFINITY;
    this.droppedAtRestore = 0;
    if (state === undefined || state === null) return;
    const s = state as {
      /** Missing in checkpoints before it. */
      windowMs?: number;
      closedThrough: number | null;
      open: [number, [string, number, number, [string, number][], AlertSample[]][]][];
    };
    this.closedThrough = s.closedThrough ?? Number.NEGATIVE_INFINITY;
    for (const [start, brands] of s.open) {
      if (s.windowMs === undefined ? start % this.windowMs !== 0 : s.windowMs !== this.windowMs) {
        this.droppedAtRestore += brands.length;
        continue;
      }
      this.open.set(
        start,
        new Map(
          brands.map(([brand, posts, negative, terms, samples]) => [
            brand,
            { posts, negative, terms: new Map(terms), samples },
          ]),
        ),
      );
    }
  }
}

/** The `n` most frequent terms, [term, count], most frequent first, then by name (deterministic). */
export function mostFrequent(terms: Iterable<[string, number]>, n: number): [string, number][] {
  return [...terms].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0)).slice(0, n);
}

export const spikeWindows: OperatorDefinition = {
  name: 'spikes',
  description:
    "per-brand counts of posts and negative posts per spike window, with the negative posts' terms and samples, for the alerts stage",
  // Written by its second half, the alerts stage (stages/alerts.ts).
  tables: [ALERTS_TABLE],
  create: (context) => new SpikeWindows(context),
};
