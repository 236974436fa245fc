/**
 * The eval's stream of posts for trending terms: the synthetic generator's posts about the default
 * brands (daily volume curve included), with hashtags appended at known shares of each brand's
 * posts: trends injected at known windows (new hashtags that grow, background hashtags that jump),
 * low background hashtags, and decoys that must not trend (one always frequent, one with a daily
 * rhythm of its own that peaks in the morning while the volume peaks in the evening). Posts are
 * tokenized and matched to brands as stage 1 does, and reduced to the terms the trends operator adds.
 */
import { Random } from '../../engines/stats/index.js';
import { BrandMatcher, STOPWORDS, tokenize } from '../../engines/text/index.js';
import { trendTerms } from '../../engines/trends/index.js';
import { SyntheticGenerator } from '../../ingest/synthetic/index.js';
import type { BrandSpec } from '../../stream/index.js';

export const WINDOW_MS = 5 * 60_000;
const DAY_MS = 86_400_000;

export interface InjectedTrend {
  brand: string;
  tag: string;
  /** `new`: a hashtag never seen before; `jump`: a background hashtag of the brand rising. */
  kind: 'new' | 'jump';
  /** Window index of the first window with the trend. */
  start: number;
  /** Windows of linear growth to the peak (and of decline after it). */
  ramp: number;
  /** Windows at the peak. */
  hold: number;
  /** Share of the brand's posts that carry the tag at the peak. */
  peakShare: number;
  /** First window after the trend. */
  end: number;
}

/** Hashtags every brand has at a low share all the time; jumps lift one of them. */
export const BACKGROUND_TAGS = ['#oatmilk', '#pastry', '#decaf', '#happyhour', '#studyspot', '#latteart'];
export const BACKGROUND_SHARE = 0.003;
/** A decoy at a steady, high share of every brand's posts. */
export const ALWAYS_TAG = '#dailygrind';
export const ALWAYS_SHARE = 0.05;
/** A decoy whose share follows a daily curve of its own: mean 2.5%, from 0.25% (20:00) to 4.75% (08:00 UTC). */
export const DAILY_TAG = '#morningrush';
export const DAILY_SHARE = 0.025;
const DAILY_PEAK_HOUR = 8;

const NEW_WORDS = [
  'nitrodrop',
  'mochamadness',
  'latteleague',
  'beanbash',
  'brewfest',
  'sipandsave',
  'cupcrawl',
  'roastreveal',
  'frothfriday',
  'espressoexpress',
  'coldbrewchallenge',
  'pumpkinparty',
  'baristabattle',
  'secretmenu',
  'matchamonday',
  'caramelcraze',
  'beanstreet',
  'mugshot',
  'cupofkindness',
  'roastery',
];

export interface TrendStreamOptions {
  seed: number;
  /** Windows of WINDOW_MS generated. */
  windows: number;
  /** Windows before which no trend is injected (the baselines' warm-up; not scored). */
  warmup: number;
  /** Mean posts per second over a day (all brands). */
  rate: number;
  /** ms epoch of the first window's start. */
  from: number;
  brands: BrandSpec[];
}

/**
 * The trends injected in a run: for each brand, from the end of the warm-up, one after another with
 * 1 to 4 hours between them; 60% new hashtags growing over 15 to 60 minutes, 40% jumps of one of
 * the brand's background hashtags within 5 to 10 minutes (each background hashtag jumps once per
 * brand: a term that trended in the last days is not news when it reaches the same level again, see
 * TrendOptions.peakHalfLife); each at a peak of 2 to 6% of the brand's posts for 30 to 120 minutes.
 */
export function planTrends(
  o: Pick<TrendStreamOptions, 'seed' | 'windows' | 'warmup' | 'brands'>,
): InjectedTrend[] {
  const rng = new Random((o.seed ^ 0x7e4d5) >>> 0);
  const out: InjectedTrend[] = [];
  let word = 0;
  for (const { name: brand } of o.brands) {
    const unused = [...BACKGROUND_TAGS];
    for (let t = o.warmup + rng.int(24); t + 12 <= o.windows;) {
      const kind = rng.chance(0.6) || unused.length === 0 ? 'new' : 'jump';
      const ramp = kind === 'new' ? 3 + rng.int(10) : 1 + rng.int(2);
      const hold = 6 + rng.int(19);
      const peakShare = 0.02 + rng.next() * 0.04;
      const round = Math.floor(word / NEW_WORDS.length);
      const tag =
        kind === 'new'
          ? `#${NEW_WORDS[word++ % NEW_WORDS.length]!}${round > 0 ? round + 1 : ''}`
          : unused.splice(rng.int(unused.length), 1)[0]!;
      const end = t + 2 * ramp + hold;
      out.push({ brand, tag, kind, start: t, ramp, hold, peakShare, end });
      t = end + 12 + rng.int(36);
    }
  }
  return out.sort((a, b) => a.start - b.start || (a.brand < b.brand ? -1 : 1));
}

/** The injected share of a trend in window `w`: a linear ramp up, the peak, a linear ramp down. */
export function injectedShare(t: InjectedTrend, w: number): number {
  let r = w - t.start;
  if (r < 0) return 0;
  if (r < t.ramp) return (t.peakShare * (r + 1)) / t.ramp;
  r -= t.ramp;
  if (r < t.hold) return t.peakShare;
  r -= t.hold;
  if (r < t.ramp) return t.peakShare * (1 - (r + 1) / (t.ramp + 1));
  return 0;
}

/** The daily decoy's share at `ts`. */
export function dailyShare(ts: number): number {
  const hour = (((ts % DAY_MS) + DAY_MS) % DAY_MS) / 3_600_000;
  return DAILY_SHARE * (1 + 0.9 * Math.cos((2 * Math.PI * (hour - DAILY_PEAK_HOUR)) / 24));
}

/** A post as the trends operator sees it. */
export interface TrendPost {
  author: string;
  followers: number;
  engagement: number;
  brands: string[];
  terms: string[];
}

/**
 * Generates the run window by window: each window's posts (by event time), with tags appended to
 * posts about one brand by the shares of `injections`, the backgrounds and the decoys.
 */
export function* trendWindows(
  o: TrendStreamOptions,
  injections: readonly InjectedTrend[],
): Generator<{ index: number; start: number; posts: TrendPost[] }> {
  const generator = new SyntheticGenerator({
    seed: o.seed,
    brands: o.brands,
    ratePerSec: o.rate,
    dailyAmplitude: 0.5,
  });
  const matcher = new BrandMatcher(o.brands);
  const rng = new Random((o.seed ^ 0x1a66ed) >>> 0);
  const byBrand = new Map(o.brands.map((b) => [b.name, injections.filter((t) => t.brand === b.name)]));
  // Out-of-order posts carry a ts up to 3 s before they are generated: a window is complete once
  // the next one has been generated.
  let pending: TrendPost[] = [];
  let next: TrendPost[] = [];
  for (let w = 0; w <= o.windows; w++) {
    const start = o.from + w * WINDOW_MS;
    if (w < o.windows) {
      for (const g of generator.generate(start, start + WINDOW_MS)) {
        if (g.kind !== 'social' || g.truth.copy) continue;
        const e = g.event;
        const at = Math.floor((e.ts - o.from) / WINDOW_MS);
        if (at < w - 1 || at > w) continue;
        let text = e.text;
        if (g.truth.brands.length === 1) {
          const tags = tagsFor(g.truth.brands[0]!, at, e.ts, byBrand);
          for (const [tag, share] of tags) if (rng.chance(share)) text += ` ${tag}`;
        }
        const tokens = tokenize(text);
        const { likes = 0, shares = 0, replies = 0 } = e.engagement ?? {};
        const post: TrendPost = {
          author: e.author.id,
          followers: e.author.followers ?? 0,
          engagement: likes + shares + replies,
          brands: matcher.match(text, tokens),
          terms: trendTerms(tokens, STOPWORDS, matcher.mentionMask(tokens)),
        };
        (at === w ? next : pending).push(post);
      }
    }
    if (w > 0) yield { index: w - 1, start: start - WINDOW_MS, posts: pending };
    pending = next;
    next = [];
  }
}

function tagsFor(
  brand: string,
  w: number,
  ts: number,
  byBrand: Map<string, InjectedTrend[]>,
): [string, number][] {
  const shares = new Map<string, number>(BACKGROUND_TAGS.map((t) => [t, BACKGROUND_SHARE]));
  shares.set(ALWAYS_TAG, ALWAYS_SHARE);
  shares.set(DAILY_TAG, dailyShare(ts));
  for (const t of byBrand.get(brand) ?? []) {
    const s = injectedShare(t, w);
    if (s > 0) shares.set(t.tag, Math.max(shares.get(t.tag) ?? 0, s));
  }
  return [...shares];
}
