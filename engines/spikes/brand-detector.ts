import { AlertLifecycle, type LifecycleState, type Reading } from './alert-lifecycle.js';
import { rateOfHalfLife, spanWindows, type SpikeOptions } from './options.js';
import { RobustMean } from './robust-mean.js';
import { anscombe, countBand, countScore, shareSd } from './scores.js';
import { SeasonalProfile, type SeasonalState } from './seasonal-profile.js';
import { SPIKE_KINDS, type AlertUpdate, type SpikeKind, type WindowStats } from './types.js';
import { COUNT_BIT, SHARE_BIT, VOLUME_BIT, WindowRing, type RingWindow } from './window-ring.js';

/** Mask bit of each kind, in SPIKE_KINDS order. */
const BITS: Record<SpikeKind, number> = {
  negative_share: SHARE_BIT,
  negative_count: COUNT_BIT,
  volume: VOLUME_BIT,
};
/** Mean absolute deviation to standard deviation, for normal residuals. */
const MAD_TO_SD = Math.sqrt(Math.PI / 2);
/** Windows of history before baseline updates are clipped and noise scales are learned. */
const SETTLE_WINDOWS = 5;
/** Noise scales learn this many times slower than the level, and from residuals winsorised at this many SDs. */
const SCALE_SLOWER = 4;
const SCALE_CLIP = 3;
/** The share baseline learns this many times slower than the level: a share moves less than a volume. */
const SHARE_SLOWER = 4;
/** The part of its usual rate at which a raised kind's baseline learns. */
const RAISED_RATE = 0.1;
/** A span's extra share variance is learned only from spans with at least this many posts. */
const SHARE_VARIANCE_POSTS = 10;

export interface BrandState {
  first: number | null;
  last: number | null;
  seen: number;
  quiet: number;
  level: [number, number];
  sharePosts: [number, number];
  shareNegative: [number, number];
  volumeScale: [number, number][];
  countScale: [number, number][];
  shareVariance: [number, number][];
  profile: SeasonalState;
  ring: RingWindow[];
  alerts: LifecycleState[];
}

/**
 * One brand's spike detection: a baseline learned online (a Huber-clipped EWMA of the posts per
 * window with the hour-of-day and day-of-week profile taken out, and a slower one of the negative
 * share), the noise around it per span, the last windows in a ring, and the alert lifecycle of each
 * kind. Each window is scored over the single window and over the longer spans, against the
 * forecasts made before each window was seen; then the baseline learns the window, clipped so that
 * a spike barely moves it.
 */
export class BrandDetector {
  private first: number | null = null;
  private last: number | null = null;
  /** Windows since the first one with posts. */
  private seen = 0;
  /** Consecutive windows without posts. */
  private quiet = 0;
  private readonly level: RobustMean;
  private readonly sharePosts: RobustMean;
  private readonly shareNegative: RobustMean;
  private readonly volumeScale: RobustMean[];
  private readonly countScale: RobustMean[];
  private readonly shareVariance: RobustMean[];
  private readonly profile: SeasonalProfile;
  private readonly ring: WindowRing;
  private readonly spans: number[];
  private readonly lifecycles: AlertLifecycle[];
  private readonly shareRate: number;
  private readonly silenceWindows: number;

  constructor(
    readonly brand: string,
    private readonly o: SpikeOptions,
  ) {
    const halfLife = o.baselineHalfLifeMs / o.windowMs;
    this.level = new RobustMean(rateOfHalfLife(halfLife));
    this.shareRate = rateOfHalfLife(halfLife * SHARE_SLOWER);
    this.sharePosts = new RobustMean(this.shareRate);
    this.shareNegative = new RobustMean(this.shareRate);
    this.spans = spanWindows(o);
    const scaleRate = rateOfHalfLife(halfLife * SCALE_SLOWER);
    // Priors: Poisson noise (mean |residual| of 1 / MAD_TO_SD on the root scale), no extra share variance.
    this.volumeScale = this.spans.map(() => new RobustMean(scaleRate, 1 / MAD_TO_SD, 3));
    this.countScale = this.spans.map(() => new RobustMean(scaleRate, 1 / MAD_TO_SD, 3));
    this.shareVariance = this.spans.map(() => new RobustMean(scaleRate, 0, 3));
    this.profile = new SeasonalProfile(o.windowMs, o.seasonHalfLifeMs);
    this.ring = new WindowRing(this.spans[this.spans.length - 1]!);
    this.lifecycles = SPIKE_KINDS.map((k) => new AlertLifecycle(brand, k, o));
    this.silenceWindows = Math.max(1, Math.round(o.maxSilenceMs / o.windowMs));
  }

  observe(w: WindowStats): AlertUpdate[] {
    const start = w.start;
    if (!Number.isFinite(start)) return [];
    if (this.last !== null && start <= this.last) return []; // a window not after the last one: nothing new
    const posts = count(w.posts);
    const negative = Math.min(count(w.negative), posts);
    const out: AlertUpdate[] = [];
    if (this.last !== null && this.first !== null) this.fillGap(this.last, start, out);
    this.last = start;
    if (this.first === null) {
      if (posts === 0) return out; // nothing to learn before the first posts
      this.first = start;
    }
    this.step(start, posts, negative, out);
    return out;
  }

  /** The open alerts' latest updates, in SPIKE_KINDS order. */
  openAlerts(): AlertUpdate[] {
    const out: AlertUpdate[] = [];
    for (const lc of this.lifecycles) {
      const u = lc.latest;
      if (u) out.push(u);
    }
    return out;
  }

  /**
   * The windows between `last` and `start` that did not come: zero posts. Bounded work however
   * long the gap: the zero windows that still teach the baseline (up to maxSilenceMs of silence),
   * enough more to resolve what is open, and the last ones that fill the ring; the rest change
   * nothing and are skipped.
   */
  private fillGap(last: number, start: number, out: AlertUpdate[]): void {
    const W = this.o.windowMs;
    const missing = Math.floor((start - last) / W) - 1;
    if (missing <= 0) return;
    const head = Math.min(missing, Math.max(0, this.silenceWindows - this.quiet) + this.o.resolveWindows + 1);
    for (let i = 1; i <= head; i++) this.step(last + i * W, 0, 0, out);
    const tail = Math.min(missing - head, this.ring.capacity);
    this.quiet += missing - head - tail;
    for (let i = missing - tail + 1; i <= missing; i++) this.step(last + i * W, 0, 0, out);
  }

  private step(start: number, posts: number, negative: number, out: AlertUpdate[]): void {
    const factor = this.profile.factor(start);
    const expected = Math.max(0, this.level.value) * factor;
    const share = this.baseShare();
    let mask = 0;
    for (const lc of this.lifecycles) if (lc.isOpen) mask |= BITS[lc.kind];
    const t = this.o.threshold;
    this.ring.push({
      start,
      posts,
      negative,
      expected,
      share,
      mask,
      postsCap: Math.min(posts, countBand(expected, t, scaleOf(this.volumeScale[0]))[1]),
      negativeCap: Math.min(negative, countBand(expected * share, t, scaleOf(this.countScale[0]))[1]),
      negativeOfPostsCap: Math.min(negative, countBand(posts * share, t, 1)[1]),
    });
    this.seen++;

    const warm = this.first !== null && start - this.first >= this.o.warmupMs;
    const elevated = { negative_share: true, negative_count: true, volume: true };
    for (const lc of this.lifecycles) {
      const span = lc.openSpan;
      if (span !== undefined) {
        const reading = this.read(lc.kind, span, false);
        const u = lc.follow(start, reading, this.near(lc.kind, reading));
        if (u) out.push(u);
        continue;
      }
      const { best, raised } = this.candidate(lc.kind);
      elevated[lc.kind] = raised;
      const u = lc.consider(start, best, warm);
      if (u) {
        this.ring.mark(BITS[lc.kind], u.opened_at);
        out.push(u);
      }
    }

    const held = posts === 0 && this.quiet >= this.silenceWindows;
    if (!held) this.learn(start, posts, negative, expected, share, factor, elevated);
    this.quiet = posts > 0 ? 0 : this.quiet + 1;
  }

  /**
   * The highest-scoring span that passes the kind's volume rules (masked by the kind's earlier
   * alerts), and whether any span is raised: not near the baseline, though maybe not a spike yet.
   */
  private candidate(kind: SpikeKind): { best: Reading | undefined; raised: boolean } {
    let best: Reading | undefined;
    let raised = false;
    for (const span of this.spans) {
      if (span > this.ring.length) break;
      const r = this.read(kind, span, true);
      if (!this.near(kind, r)) raised = true;
      if (this.passes(kind, r, 1) && (!best || r.score > best.score)) best = r;
    }
    return { best, raised };
  }

  /** A kind's figures over the last `span` windows. */
  private read(kind: SpikeKind, span: number, masked: boolean): Reading {
    const i = this.spans.indexOf(span);
    const s = this.ring.sums(span, BITS[kind], masked);
    const counts = { posts: s.posts, negative: s.negative };
    if (kind === 'volume') {
      const score = countScore(s.posts, s.expectedPosts, scaleOf(this.volumeScale[i]));
      return { score, span, observed: s.posts, baseline: s.expectedPosts, ...counts };
    }
    if (kind === 'negative_count') {
      const score = countScore(s.negative, s.expectedNegative, scaleOf(this.countScale[i]));
      return { score, span, observed: s.negative, baseline: s.expectedNegative, ...counts };
    }
    const p0 = s.posts > 0 ? s.expectedNegativeOfPosts / s.posts : this.baseShare();
    const observed = s.posts > 0 ? s.negative / s.posts : p0;
    const sd = shareSd(p0, s.posts, this.basePosts(), this.shareVariance[i]?.value ?? 0);
    const score = s.posts > 0 ? (observed - p0) / sd : 0;
    return { score, span, observed, baseline: p0, posts: s.posts, negative: s.negative };
  }

  /** Whether a reading passes the kind's volume rules (`relax` < 1 asks for part of the rise: for resolving). */
  private passes(kind: SpikeKind, r: Reading, relax: number): boolean {
    const o = this.o;
    if (kind === 'negative_share')
      return r.posts >= o.shareMinPosts * relax && r.observed - r.baseline >= o.shareMinRise * relax;
    const rise = kind === 'volume' ? o.minRise : o.countMinRise;
    return (
      r.observed - r.baseline >= rise * relax && r.observed >= (1 + (o.minRatio - 1) * relax) * r.baseline
    );
  }

  /** Back near the baseline: a low score, or less than half the rise an alert needs. */
  private near(kind: SpikeKind, r: Reading): boolean {
    return r.score < this.o.resolveScore || !this.passes(kind, r, 0.5);
  }

  /** The window teaches the baseline, the profile and the noise scales, clipped. */
  private learn(
    start: number,
    posts: number,
    negative: number,
    expected: number,
    share: number,
    factor: number,
    elevated: Record<SpikeKind, boolean>,
  ): void {
    const settled = this.level.n >= SETTLE_WINDOWS;
    const volumeOpen = this.lifecycles[2]!.isOpen;
    const [lo, hi] = settled ? countBand(expected, this.o.clip, scaleOf(this.volumeScale[0])) : [0, Infinity];
    const p = Math.min(hi, Math.max(lo, posts));
    const [nlo, nhi] = settled
      ? countBand(expected * share, this.o.clip, scaleOf(this.countScale[0]))
      : [0, Infinity];
    const n = Math.min(p, nhi, Math.max(nlo, negative));

    // Noise scales first, from the residuals of the forecasts this window was scored against.
    if (this.seen > SETTLE_WINDOWS) this.learnNoise();
    // While a kind is raised (or alerted) its baseline learns slowly: a spike that builds up over
    // windows each within the noise is not learned as the new normal before it is caught.
    const volumeRate = settled && elevated.volume ? RAISED_RATE : 1;
    const shareRate = settled && (elevated.negative_share || elevated.negative_count) ? RAISED_RATE : 1;
    this.level.update(p / factor, Infinity, volumeRate);
    this.sharePosts.update(p, Infinity, shareRate);
    this.shareNegative.update(n, Infinity, shareRate);
    if (!volumeOpen && !elevated.volume) this.profile.learn(start, p);
  }

  private learnNoise(): void {
    const [share, countOpen, volumeOpen] = this.lifecycles.map((lc) => lc.isOpen) as [
      boolean,
      boolean,
      boolean,
    ];
    this.spans.forEach((span, i) => {
      if (this.ring.length < span || this.seen < span + SETTLE_WINDOWS) return;
      const v0 = this.ring.sums(span, VOLUME_BIT, false);
      if (!volumeOpen) learnScale(this.volumeScale[i]!, anscombe(v0.posts) - anscombe(v0.expectedPosts));
      const c = this.ring.sums(span, COUNT_BIT, false);
      if (!countOpen) learnScale(this.countScale[i]!, anscombe(c.negative) - anscombe(c.expectedNegative));
      const s = this.ring.sums(span, SHARE_BIT, false);
      if (share || s.posts < SHARE_VARIANCE_POSTS) return;
      const p0 = s.expectedNegativeOfPosts / s.posts;
      const v = this.shareVariance[i]!;
      const binomial = Math.max(p0 * (1 - p0), 0.01) / s.posts;
      const sd = Math.sqrt(binomial + Math.max(0, v.value));
      const d = Math.max(-SCALE_CLIP * sd, Math.min(SCALE_CLIP * sd, s.negative / s.posts - p0));
      v.update(d * d - binomial);
    });
  }

  /** The baseline negative share (0 before any posts). */
  private baseShare(): number {
    const posts = this.sharePosts.value;
    return posts > 1e-9 ? Math.min(1, Math.max(0, this.shareNegative.value / posts)) : 0;
  }

  /** About how many posts the baseline share rests on. */
  private basePosts(): number {
    return this.sharePosts.value * Math.min(this.sharePosts.n, 1 / this.shareRate);
  }

  snapshot(): BrandState {
    return {
      first: this.first,
      last: this.last,
      seen: this.seen,
      quiet: this.quiet,
      level: this.level.snapshot(),
      sharePosts: this.sharePosts.snapshot(),
      shareNegative: this.shareNegative.snapshot(),
      volumeScale: this.volumeScale.map((m) => m.snapshot()),
      countScale: this.countScale.map((m) => m.snapshot()),
      shareVariance: this.shareVariance.map((m) => m.snapshot()),
      profile: this.profile.snapshot(),
      ring: this.ring.toArray(),
      alerts: this.lifecycles.map((lc) => lc.snapshot()),
    };
  }

  /**
   * `relearn`: the snapshot was taken with another window size. What it learned (levels, noise
   * scales, the seasonal profile, recent windows) counts posts per window of that size, so it is
   * left out and learned again, warm-up included; the open alerts are kept, and follow the new
   * windows until they resolve. Windows up to the last one seen stay ignored.
   */
  restore(s: BrandState, relearn = false): void {
    this.last = finiteOrNull(s.last);
    this.lifecycles.forEach((lc, i) => lc.restore(s.alerts?.[i]));
    if (relearn) return;
    this.first = finiteOrNull(s.first);
    this.seen = finiteOr(s.seen, 0);
    this.quiet = finiteOr(s.quiet, 0);
    this.level.restore(s.level, 0);
    this.sharePosts.restore(s.sharePosts, 0);
    this.shareNegative.restore(s.shareNegative, 0);
    this.volumeScale.forEach((m, i) => m.restore(s.volumeScale?.[i], 1 / MAD_TO_SD));
    this.countScale.forEach((m, i) => m.restore(s.countScale?.[i], 1 / MAD_TO_SD));
    this.shareVariance.forEach((m, i) => m.restore(s.shareVariance?.[i], 0));
    this.profile.restore(s.profile);
    this.ring.restore(Array.isArray(s.ring) ? s.ring : []);
  }
}

/** A noise scale (standard deviations on the root scale) from a mean absolute residual, at least Poisson's. */
function scaleOf(m: RobustMean | undefined): number {
  return Math.max(1, (m?.value ?? 0) * MAD_TO_SD);
}

function learnScale(m: RobustMean, residual: number): void {
  if (!Number.isFinite(residual)) return;
  m.update(Math.min(Math.abs(residual), SCALE_CLIP * scaleOf(m)));
}

/** A count as the detector takes it: finite and not negative, else 0. */
function count(x: number): number {
  return Number.isFinite(x) && x > 0 ? x : 0;
}

function finiteOrNull(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function finiteOr(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}
