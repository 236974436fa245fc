/**
 * Trending terms of one brand: which terms are growing against their own history, window by window.
 *
 * Each window's term counts go into a Space-Saving sketch (`capacity` terms, so a million distinct
 * hashtags cost no more than a few). When the window closes, every term it tracked is scored against
 * its baseline: the count the term's own history expects in a window of this size. Then the
 * baselines learn from the window. A term is trending when its count is well above that
 * expectation in three ways at once: enough mentions to mean something (`minCount`), a real growth
 * (`minRatio` times the baseline) and a rise the noise of a count cannot explain (`threshold`, a
 * Poisson z-score). It is judged on the window alone, and on the sums of its last `spanWindows`
 * windows, which find a trend that grows over several windows before any one of them is
 * conclusive. A term seen for the first time has a baseline of 0: it trends on its count alone
 * (#newthing), scored against `prior` mentions per window.
 *
 * The baseline of a term is its share of the brand's term mentions, times this window's mentions.
 * The share is the ratio of two exponentially weighted sums with the same half-life (`baselineHalfLife`
 * windows): the term's counts and the brand's totals. Every closed window decays both, empty ones
 * too, so a quiet night changes no share, and the brand's daily volume curve, which lifts every
 * term together, makes none of them trend. A term with a daily rhythm of its own (#morningcoffee)
 * would still rise against a short baseline every morning; so the baseline is the larger of that
 * share and the highest share the term reached lately (a decaying maximum, `peakHalfLife` windows):
 * a term trends when it grows beyond what it did in the last days, not when it repeats it.
 *
 * Memory: the open window's sketch (`capacity` terms), at most `maxBaselineTerms` baselines
 * (baselines that decay to nothing are forgotten, and past the cap the smallest go first) and the
 * rows of the last spanWindows − 1 windows.
 *
 * Counts and baselines add up, over partitions and over windows: each partition's detector reports,
 * per closed window and term, its count and baseline (closeWindow() without `top`), and the sums,
 * scored by `trendScore` / `isTrending`, decide for the whole brand: on the latest window's sums, or
 * on the sums of the last spanWindows windows with `windows` = spanWindows.
 */
import type { Token } from '../text/index.js';
import { SpaceSaving } from './space-saving.js';

export interface TrendOptions {
  /** Terms tracked per window (the Space-Saving sketch's size). More: exact counts further down the tail. */
  capacity: number;
  /** Half-life of a term's baseline share, in windows. Longer: steadier, slower to accept a new level. */
  baselineHalfLife: number;
  /**
   * Half-life of the highest share a term reached, in windows (0: no such memory). Long enough to
   * span a day, so a daily rise is compared with yesterday's; longer also keeps a term that trended
   * from trending again at the same size for longer.
   */
  peakHalfLife: number;
  /** At most this many terms keep a baseline; past it the smallest baselines are forgotten. */
  maxBaselineTerms: number;
  /** Mentions in a window a trending term needs (on the sum over partitions). */
  minCount: number;
  /** The count must be at least this multiple of the baseline: keeps big terms' small rises quiet. */
  minRatio: number;
  /**
   * Score (a Poisson z-score of the count against baseline + prior, see trendScore) a trending term
   * needs. Lower: smaller and earlier trends, more false alarms (a steady term's score reaches 4.25
   * about once in 100,000 windows, 4.75 once in a million).
   */
  threshold: number;
  /**
   * Windows summed for the second judgement (this one and the ones before it): a trend growing over
   * a few windows is found on its sum before any single window is conclusive. 1: single windows only.
   */
  spanWindows: number;
  /**
   * Mentions per window added to every baseline when scoring: a term with no history is scored as
   * if `prior` mentions were expected, so a few mentions of a rare term mean little.
   */
  prior: number;
  /** No term trends in the first windows of a detector: its baselines are learned first. */
  warmupWindows: number;
  /**
   * Rows for summing (closeWindow() without `top`) include terms absent from the window whose
   * baseline expects at least this many mentions: without them, the sums over partitions would
   * miss the baseline of every partition that happened not to see the term, and overstate its
   * growth. Lower: more rows, sums closer to exact.
   */
  reportBaseline: number;
  /**
   * A baseline expecting fewer mentions than this in a window of the brand's usual volume is
   * forgotten (a term nobody uses any more).
   */
  forgetLevel: number;
}

export const DEFAULT_TREND_OPTIONS: TrendOptions = Object.freeze({
  capacity: 200,
  baselineHalfLife: 12,
  peakHalfLife: 864,
  maxBaselineTerms: 2000,
  minCount: 6,
  minRatio: 2,
  threshold: 4.25,
  spanWindows: 3,
  prior: 0.5,
  warmupWindows: 12,
  reportBaseline: 0.25,
  forgetLevel: 0.01,
});

/** A term in a window: its count (of mentions, or weights), its baseline and its score. */
export interface TermWindow {
  term: string;
  /**
   * Mentions counted in the window, at least (the sketch's count minus its error): exact unless
   * the window held more distinct terms than `capacity`.
   */
  count: number;
  /** How many mentions more the term may have had (the sketch's error): true count ∈ [count, count + error]. */
  error: number;
  /** The count the term's history (before this window) expects in a window of this size. */
  baseline: number;
  score: number;
  trending: boolean;
}

/** Fills in the defaults and checks every option; a bad one throws a RangeError naming it. */
export function trendOptions(partial: Partial<TrendOptions> = {}): TrendOptions {
  const o: TrendOptions = {
    ...DEFAULT_TREND_OPTIONS,
    ...Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)),
  };
  const check = (name: keyof TrendOptions, ok: (v: number) => boolean, what: string) => {
    const v = o[name];
    if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v))
      throw new RangeError(`trend option ${name} must be ${what}, got ${String(v)}`);
  };
  check('capacity', (v) => Number.isInteger(v) && v >= 1, 'an integer ≥ 1');
  check('baselineHalfLife', (v) => v > 0, 'a number of windows > 0');
  check('peakHalfLife', (v) => v >= 0, 'a number of windows ≥ 0');
  check('maxBaselineTerms', (v) => Number.isInteger(v) && v >= 1, 'an integer ≥ 1');
  check('minCount', (v) => v >= 0, 'a number ≥ 0');
  check('minRatio', (v) => v >= 1, 'a number ≥ 1');
  check('threshold', (v) => v > 0, 'a number > 0');
  check('spanWindows', (v) => Number.isInteger(v) && v >= 1, 'an integer ≥ 1');
  check('prior', (v) => v > 0, 'a number > 0');
  check('warmupWindows', (v) => Number.isInteger(v) && v >= 0, 'an integer ≥ 0');
  check('reportBaseline', (v) => v >= 0, 'a number ≥ 0');
  check('forgetLevel', (v) => v >= 0, 'a number ≥ 0');
  return o;
}

/** A count or baseline as scored: not a finite number ≥ 0 is 0. */
function amount(x: number): number {
  return typeof x === 'number' && x > 0 && x !== Infinity ? x : 0;
}

function scoreWith(count: number, baseline: number, prior: number): number {
  const x = amount(count);
  const mu = amount(baseline) + prior;
  // The Poisson deviance 2 (x ln(x/μ) − (x − μ)); for x = 0 it is 2μ.
  const deviance = x > 0 ? 2 * (x * Math.log(x / mu) - (x - mu)) : 2 * mu;
  const z = Math.sqrt(Math.max(0, deviance));
  return x >= mu ? z : -z;
}

function trendingWith(count: number, baseline: number, o: TrendOptions, windows: number): boolean {
  const c = amount(count);
  const b = amount(baseline);
  return c >= o.minCount && c >= o.minRatio * b && scoreWith(c, b, o.prior * windows) >= o.threshold;
}

/** `windows` as a number of windows summed: a whole number ≥ 1 (anything else is 1). */
function span(windows: number): number {
  return Number.isInteger(windows) && windows > 1 ? windows : 1;
}

/**
 * How far `count` rises above `baseline`, as a Poisson z-score: the signed square root of the
 * likelihood-ratio statistic of `count` against a Poisson mean of baseline + prior × windows (the
 * deviance residual). Unlike (count − baseline) / √baseline it stays close to a standard normal
 * deviate for small baselines, whose upper tails are long, so one threshold means about the same
 * rate of false alarms for rare and for frequent terms; the prior keeps a baseline of 0 (a new
 * term) finite. `count` and `baseline` may be sums over partitions and over `windows` windows
 * (default 1). Not a finite number ≥ 0 counts as 0.
 */
export function trendScore(
  count: number,
  baseline: number,
  options?: Partial<TrendOptions>,
  windows = 1,
): number {
  const prior = options ? trendOptions(options).prior : DEFAULT_TREND_OPTIONS.prior;
  return scoreWith(count, baseline, prior * span(windows));
}

/**
 * Whether a term with `count` mentions against `baseline` trends: minCount, minRatio and threshold
 * all met. `count` and `baseline` may be sums over partitions and over `windows` windows (default 1;
 * a term trends on the latest window's sums or on the sums of its last spanWindows windows).
 */
export function isTrending(
  count: number,
  baseline: number,
  options?: Partial<TrendOptions>,
  windows = 1,
): boolean {
  return trendingWith(
    count,
    baseline,
    options ? trendOptions(options) : DEFAULT_TREND_OPTIONS,
    span(windows),
  );
}

/**
 * The terms of one post, each once: hashtags as `#tag`, and words of three letters or more that are
 * not STOPWORDS, as the tokenizer normalizes them. Mentions, links, numbers and emoji are left out,
 * and so are the tokens set in `skip` (a BrandMatcher's mentionMask: the tracked brands' names,
 * aliases and hashtags).
 */
export function trendTerms(
  tokens: readonly Token[],
  stopwords: ReadonlySet<string>,
  skip?: Uint8Array,
): string[] {
  const terms = new Set<string>();
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (skip?.[i]) continue;
    if (t.kind === 'hashtag') terms.add(`#${t.norm}`);
    else if (t.kind === 'word' && t.norm.length >= 3 && letters(t.norm) >= 3 && !stopwords.has(t.norm))
      terms.add(t.norm);
  }
  return [...terms];
}

const LETTER = /\p{L}/u;

/** Letters among the first characters of a lower-case term, counted up to 3 (a-z at once, others by Unicode class). */
function letters(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length && n < 3; i++) {
    const c = s.charCodeAt(i);
    if (c >= 97 && c <= 122) n++;
    else if (c > 127) {
      const cp = s.codePointAt(i)!;
      if (LETTER.test(String.fromCodePoint(cp))) n++;
      if (cp > 0xffff) i++;
    }
  }
  return n;
}

const SNAPSHOT_VERSION = 1;

interface DetectorState {
  v: number;
  windows: number;
  volume: number;
  usual: number;
  /** [term, level, peak share] */
  terms: [string, number, number][];
  /** The last closed windows' rows, oldest first: [term, count, baseline] each. */
  past: [string, number, number][][];
  window: unknown;
}

/**
 * One brand's trend detector (the operator keeps one per brand and partition). Deterministic: the
 * results depend only on the terms added and the windows closed, in order.
 */
export class TrendDetector {
  readonly options: TrendOptions;
  private window: SpaceSaving;
  /** Per term: the decayed sum of its counts (level) and the decaying maximum of its share (peak). */
  private readonly terms = new Map<string, { level: number; peak: number }>();
  /** The decayed sum of the windows' totals, with the same rate as the levels. */
  private volume = 0;
  /** The same over the windows with mentions only: the brand's usual volume, which a silence keeps. */
  private usual = 0;
  private closed = 0;
  /** Count and baseline per term of the last spanWindows − 1 closed windows, oldest first. */
  private past: Map<string, [number, number]>[] = [];
  private readonly keep: number;
  private readonly peakKeep: number;

  /** Throws a RangeError naming the first bad option. */
  constructor(options: Partial<TrendOptions> = {}) {
    this.options = trendOptions(options);
    this.window = new SpaceSaving(this.options.capacity);
    this.keep = Math.pow(2, -1 / this.options.baselineHalfLife);
    this.peakKeep = this.options.peakHalfLife > 0 ? Math.pow(2, -1 / this.options.peakHalfLife) : 0;
  }

  /**
   * Terms held: with a baseline, in the open window and in the rows kept for spans; bounded by
   * maxBaselineTerms + capacity + (spanWindows − 1) × (capacity + maxBaselineTerms).
   */
  get size(): number {
    return this.terms.size + this.window.size + this.past.reduce((n, m) => n + m.size, 0);
  }

  /** Windows closed so far. */
  get windows(): number {
    return this.closed;
  }

  /** Whether the warm-up is over (terms can trend). */
  get warm(): boolean {
    return this.closed >= this.options.warmupWindows;
  }

  /** Adds `weight` (default 1) mentions of `term` to the open window; a weight ≤ 0 or not finite is ignored. */
  add(term: string, weight = 1): void {
    this.window.add(term, weight);
  }

  /**
   * Adds a window's counts kept elsewhere (the trends operator's sketch of the window's terms) to
   * the open window. Into an empty open window (what the operator does) the sketch becomes the
   * window, errors included (each tracked term's count and error, and the mentions of the terms it
   * does not track in the total): the same as if every mention had been added here, so the counts
   * are judged on their lower bounds and the baselines learn the same counts as from add(). Into a
   * window that has mentions already, each tracked term's count is added as mentions (its error and
   * the untracked mentions are not). (Adding only the lower bounds, count − error, would teach the baselines of the
   * terms near the sketch's capacity far less than their true counts: a term with 11 mentions in a
   * window may keep 2 in a sketch of 279 distinct terms, so every window where it keeps most of
   * them looks like growth.)
   */
  addCounts(counts: SpaceSaving): void {
    if (this.window.size === 0 && this.window.total === 0) {
      this.window = SpaceSaving.fromSnapshot(counts.snapshot(), this.options.capacity);
      return;
    }
    for (const h of counts.top()) this.window.add(h.key, h.count);
  }

  /** The expected count of `term` in a window whose mentions total `total`. */
  baseline(term: string, total: number): number {
    const s = this.terms.get(term);
    if (!s || !(this.volume > 0)) return 0;
    return Math.max(s.level / this.volume, s.peak) * total;
  }

  /**
   * The open window so far, scored against the baselines as closeWindow would score it now (for
   * live updates); `top` as in closeWindow.
   */
  current(top?: number): TermWindow[] {
    return select(this.scored(), top);
  }

  /**
   * Closes the open window: its terms with their counts, baselines and scores; then updates the
   * baselines (every term decays, windows with no mentions included: call this for every window,
   * even empty ones).
   *
   * Without `top`: the rows to sum over partitions, by count descending then term: every term the
   * window tracked, and every term it did not see whose baseline expects reportBaseline mentions or
   * more (count 0), so that the sums hold every partition's baseline, not only those of the
   * partitions where the term happened to be frequent. With `top`: the `top` terms by count and
   * every trending term besides (for display; a selection by count would bias sums upwards).
   */
  closeWindow(top?: number): TermWindow[] {
    const rows = this.scored();
    if (this.options.spanWindows > 1) {
      this.past.push(new Map(rows.map((r) => [r.term, [r.count, r.baseline]])));
      if (this.past.length >= this.options.spanWindows) this.past.shift();
    }
    this.learn();
    this.window.clear();
    this.closed++;
    return select(rows, top);
  }

  /** JSON-safe state; restore(snapshot()) continues identically. */
  snapshot(): unknown {
    const state: DetectorState = {
      v: SNAPSHOT_VERSION,
      windows: this.closed,
      volume: this.volume,
      usual: this.usual,
      terms: [...this.terms].map(([t, s]) => [t, s.level, s.peak]),
      past: this.past.map((m) => [...m].map(([t, [c, b]]) => [t, c, b])),
      window: this.window.snapshot(),
    };
    return state;
  }

  /** undefined or null: empty. A RangeError for anything that is not a snapshot of this version. */
  restore(state: unknown): void {
    this.terms.clear();
    this.window = new SpaceSaving(this.options.capacity);
    this.past = [];
    this.volume = 0;
    this.usual = 0;
    this.closed = 0;
    if (state === undefined || state === null) return;
    const s = state as Partial<DetectorState>;
    if (
      s.v !== SNAPSHOT_VERSION ||
      !Array.isArray(s.terms) ||
      !Array.isArray(s.past) ||
      !Number.isInteger(s.windows) ||
      !finiteAtLeast0(s.volume) ||
      !finiteAtLeast0(s.usual)
    )
      throw new RangeError(`trend detector: not a version ${SNAPSHOT_VERSION} snapshot`);
    const triples = (items: unknown, what: string) => {
      if (!Array.isArray(items)) throw new RangeError(`trend detector: snapshot ${what} is not a list`);
      return items.map((item) => {
        const [term, a, b] = Array.isArray(item) ? (item as unknown[]) : [];
        if (typeof term !== 'string' || !finiteAtLeast0(a) || !finiteAtLeast0(b))
          throw new RangeError(`trend detector: a snapshot ${what} item is not [term, number, number]`);
        return [term, a, b] as const;
      });
    };
    for (const [term, level, peak] of triples(s.terms, 'terms')) this.terms.set(term, { level, peak });
    const kept = this.options.spanWindows - 1;
    this.past =
      kept > 0
        ? s.past.slice(-kept).map((w) => new Map(triples(w, 'past').map(([t, c, b]) => [t, [c, b]])))
        : [];
    this.window = SpaceSaving.fromSnapshot(s.window, this.options.capacity);
    this.volume = s.volume!;
    this.usual = s.usual!;
    this.closed = s.windows!;
    this.prune();
  }

  /** The open window's rows (see closeWindow without `top`), scored and judged. */
  private scored(): TermWindow[] {
    const o = this.options;
    const total = this.window.total;
    const warm = this.warm;
    const spanned = this.past.length + 1;
    const row = (term: string, count: number, error: number): TermWindow => {
      const baseline = this.baseline(term, total);
      let trending = false;
      if (warm) {
        trending = trendingWith(count, baseline, o, 1);
        if (!trending && spanned > 1) {
          let c = count;
          let b = baseline;
          for (const w of this.past) {
            const r = w.get(term);
            if (r) {
              c += r[0];
              b += r[1];
            }
          }
          trending = trendingWith(c, b, o, spanned);
        }
      }
      return { term, count, error, baseline, score: scoreWith(count, baseline, o.prior), trending };
    };
    const all = this.window.top().map((h) => row(h.key, h.count - h.error, h.error));
    if (total > 0) {
      // An untracked term may have had up to the sketch's floor of mentions.
      const floor = this.window.floor;
      for (const term of this.terms.keys())
        if (this.window.count(term) === 0 && this.baseline(term, total) >= o.reportBaseline)
          all.push(row(term, 0, floor));
    }
    return all.sort((a, b) => b.count - a.count || (a.term < b.term ? -1 : a.term > b.term ? 1 : 0));
  }

  /** Folds the open window into the baselines, then forgets what decayed to nothing. */
  private learn(): void {
    const rate = 1 - this.keep;
    for (const s of this.terms.values()) s.level *= this.keep;
    for (const h of this.window.top()) {
      let s = this.terms.get(h.key);
      if (!s) this.terms.set(h.key, (s = { level: 0, peak: 0 }));
      s.level += rate * h.count;
    }
    this.volume = this.volume * this.keep + rate * this.window.total;
    if (this.window.total > 0) this.usual = this.usual * this.keep + rate * this.window.total;
    // Shares are averages over about a half-life of windows: before there are that many (and before
    // the warm-up ends) they are too noisy to remember as a peak.
    const volume = this.volume;
    const settled = this.closed + 1 >= Math.max(this.options.warmupWindows, this.options.baselineHalfLife);
    for (const s of this.terms.values()) {
      const share = volume > 0 ? s.level / volume : 0;
      s.peak = settled ? Math.max(share, s.peak * this.peakKeep) : 0;
    }
    this.prune();
  }

  /**
   * Forgets the terms whose baseline expects fewer than forgetLevel mentions in a window of the
   * brand's usual volume (a silence, which keeps every share, forgets nothing), then the smallest
   * baselines past maxBaselineTerms.
   */
  private prune(): void {
    const o = this.options;
    const volume = this.volume;
    const usual = this.usual;
    const value = (s: { level: number; peak: number }) =>
      volume > 0 ? Math.max(s.level / volume, s.peak) * usual : 0;
    for (const [t, s] of this.terms) if (!(value(s) >= o.forgetLevel)) this.terms.delete(t);
    if (this.terms.size <= o.maxBaselineTerms) return;
    const ranked = [...this.terms].sort(
      ([ta, a], [tb, b]) => value(b) - value(a) || (ta < tb ? -1 : ta > tb ? 1 : 0),
    );
    for (const [t] of ranked.slice(o.maxBaselineTerms)) this.terms.delete(t);
  }
}

/** Rows as closeWindow returns them: all of them without `top`, else the top `top` and every trending one. */
function select(rows: TermWindow[], top: number | undefined): TermWindow[] {
  if (top === undefined) return rows;
  const n = top >= 0 ? Math.floor(top) : 0;
  return rows.filter((r, i) => i < n || r.trending);
}

function finiteAtLeast0(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x) && x >= 0;
}
