import { SpaceSaving } from '../../engines/trends/space-saving.js';
import {
  TrendDetector,
  trendTerms,
  type TermWindow,
  type TrendOptions,
} from '../../engines/trends/trending.js';
import { STOPWORDS } from '../../engines/text/index.js';
import { TREND_WINDOWS_TABLE, type TrendWindowRow } from '../analytics/tables.js';
import { windowedColumns } from '../analytics/windowed.js';
import { mentionsOf, tokensOf } from '../model/event-tokens.js';
import type { EnrichedEvent } from '../model/events.js';
import type { Aggregator } from '../windows/index.js';
import {
  analyticsSettings,
  NO_OUTPUT,
  type Operator,
  type OperatorContext,
  type OperatorDefinition,
  type OperatorOutput,
} from './operator.js';
import { WindowedAnalysis } from './windowed-analysis.js';

/** Terms counted per brand and window (Space-Saving). */
export const TREND_CAPACITY = 200;
/** Open windows' rows are written at most once per this much event time per brand. */
const LIVE_EVERY_MS = 60_000;
/** Empty windows a brand's baselines decay through at most when its posts resume after a gap. */
const MAX_GAP_WINDOWS = 2_016;

const counters: Aggregator<readonly string[], SpaceSaving, SpaceSaving> = {
  create: () => new SpaceSaving(TREND_CAPACITY),
  add(counter, terms) {
    for (const term of terms) counter.add(term);
  },
  result: (counter) => counter,
  snapshot: (counter) => counter.snapshot(),
  restore: (state) => SpaceSaving.fromSnapshot(state),
};

/**
 * Closes a brand's detector on one final window's counts (the operator's sketch): the rows to write,
 * every term the window tracked and the absent ones their baseline expects (the sums over the
 * partitions must not lose a term that was not among one partition's top ones).
 */
export function closeTrendWindow(detector: TrendDetector, counts: SpaceSaving): TermWindow[] {
  detector.addCounts(counts);
  return detector.closeWindow();
}

interface BrandTrends {
  detector: TrendDetector;
  /** Start of the last window the detector closed (-Infinity before any). */
  closed: number;
  /** The event-time minute the open window's rows were last written in. */
  live: number;
}

/**
 * Trends: each brand's words and hashtags per analytics window in bounded memory (Space-Saving of
 * TREND_CAPACITY terms per brand and window), scored against each term's own baseline (engines/trends
 * TrendDetector, one per brand). When a window is final, its counts go into the brand's detector,
 * which writes the window's top terms with their baselines and updates the baselines; while a window
 * is open, its top terms are written with the baselines as they stand. Trending is decided when read,
 * on the partitions' counts and baselines added up (`isTrending`).
 *
 * Windows close in start order per brand, and a window's counts depend only on the events in it
 * (late ones are left out at fold), so the detectors see the same sequence on every replay.
 */
export class Trends
  extends WindowedAnalysis<readonly string[], SpaceSaving, SpaceSaving>
  implements Operator
{
  readonly name = 'trends';
  private readonly brands = new Map<string, BrandTrends>();

  /** The brands' detectors' options: the warm-up is a setting (`--trend-warmup-windows`). */
  private readonly detectorOptions: Partial<TrendOptions>;

  constructor(context: OperatorContext) {
    super(context, counters);
    this.detectorOptions = { warmupWindows: analyticsSettings(context).trendWarmupWindows };
  }

  fold(event: EnrichedEvent, watermark: number): readonly string[] | void {
    if (event.brands.length === 0) return;
    // a brand's own name or hashtag is not what is trending about it
    const terms = trendTerms(tokensOf(event), STOPWORDS, mentionsOf(event, this.context.brands));
    if (terms.length === 0) return;
    return this.addPerBrand(event, terms, watermark);
  }

  private brand(name: string): BrandTrends {
    let b = this.brands.get(name);
    if (!b) {
      b = {
        detector: new TrendDetector(this.detectorOptions),
        closed: Number.NEGATIVE_INFINITY,
        live: Number.NaN,
      };
      this.brands.set(name, b);
    }
    return b;
  }

  emit(watermark: number, version: number): OperatorOutput {
    const emissions = this.windows.emit(watermark);
    if (emissions.length === 0) return NO_OUTPUT;
    const rows: TrendWindowRow[] = [];
    const liveNow = new Set<string>(); // brands whose open windows are written in this emit
    for (const e of emissions) {
      const b = this.brand(e.key);
      const columns = windowedColumns(e, this.windowMs, this.context.partition, version);
      // `warm`: whether the detector judges the window past its warm-up (before it closes the window)
      const row = (term: string, count: number, baseline: number, warm: boolean) =>
        rows.push({ brand: e.key, term, count, baseline, warm: warm ? 1 : 0, ...columns });
      if (!e.final) {
        // An open window: every tracked term with the baselines as they stand, at most once a
        // minute of event time per brand (readers add the partitions up, so no term is left out).
        const minute = Math.floor(watermark / LIVE_EVERY_MS);
        if (b.live === minute && !liveNow.has(e.key)) continue;
        b.live = minute;
        liveNow.add(e.key);
        for (const h of e.value.top())
          row(h.key, h.count - h.error, b.detector.baseline(h.key, e.value.total), this.warmAt(b, e.start));
        continue;
      }
      if (e.start <= b.closed) continue; // cannot happen: windows close once, in start order
      for (let i = this.gapBefore(b, e.start); i > 0; i--) b.detector.closeWindow(0);
      const warm = b.detector.warm;
      for (const w of closeTrendWindow(b.detector, e.value)) row(w.term, w.count, w.baseline, warm);
      b.closed = e.start;
    }
    return rows.length > 0 ? { writes: [{ table: TREND_WINDOWS_TABLE, rows }], live: [] } : NO_OUTPUT;
  }

  /** The empty windows the brand's detector closes before the window at `start` (the gap since its last one). */
  private gapBefore(b: BrandTrends, start: number): number {
    if (!Number.isFinite(b.closed)) return 0;
    return Math.max(0, Math.ceil(Math.min((start - b.closed) / this.windowMs - 1, MAX_GAP_WINDOWS)));
  }

  /**
   * Whether the brand's detector will be past its warm-up for the window at `start`: the empty
   * windows of a gap before it count, as they will be closed first (see emit), so an open window's
   * rows say what its final ones will.
   */
  private warmAt(b: BrandTrends, start: number): boolean {
    return b.detector.windows + this.gapBefore(b, start) >= b.detector.options.warmupWindows;
  }

  override get size(): number {
    return super.size + this.brands.size;
  }

  override snapshot(): unknown {
    return {
      windows: super.snapshot(),
      brands: [...this.brands].map(([brand, b]) => [
        brand,
        Number.isFinite(b.closed) ? b.closed : null,
        b.detector.snapshot(),
        Number.isFinite(b.live) ? b.live : null,
      ]),
    };
  }

  override restore(state: unknown): void {
    const s = (state ?? { windows: [], brands: [] }) as {
      windows: unknown;
      brands: [string, number | null, unknown, number | null][];
    };
    super.restore(s.windows);
    this.brands.clear();
    for (const [brand, closed, detector, lastLive] of s.brands) {
      const live = lastLive ?? Number.NaN;
      const d = new TrendDetector(this.detectorOptions);
      d.restore(detector);
      this.brands.set(brand, { detector: d, closed: closed ?? Number.NEGATIVE_INFINITY, live });
    }
  }
}

export const trends: OperatorDefinition = {
  name: 'trends',
  description:
    "each brand's heavy-hitter words and hashtags per analytics window, with each term's own baseline (trending = growth against it)",
  tables: [TREND_WINDOWS_TABLE],
  create: (context) => new Trends(context),
};
