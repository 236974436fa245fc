import { brandId } from '../model/brands.js';
import type { Store } from '../store/store.js';
import {
  finalWindows,
  num,
  ratio,
  scoredOf,
  settledRows,
  startFilter,
  type TimeRange,
} from './read-common.js';
import { VOICE_WINDOWS_TABLE, type VoiceWindowRow } from './tables.js';

/**
 * Share of voice: a brand's part of the posts (and of the reach) of its group in each window. The
 * group of an own brand is itself and every competitor; the group of a competitor is every own brand
 * and every other competitor. The partitions' rows are added up first.
 */

/** A brand as the voice reader needs it (stream/model BrandSpec and api BrandInfo both fit). */
export interface VoiceBrandRef {
  name: string;
  kind?: 'own' | 'competitor';
}

export interface VoiceBrandView {
  id: string;
  name: string;
  kind: 'own' | 'competitor';
  posts: number;
  positive: number;
  negative: number;
  /** sentiment_sum / posts; null without posts. */
  sentiment_mean: number | null;
  /** Followers of the posting authors, added up. */
  reach: number;
  engagement: number;
  /** posts / the group's posts; null when the group has none. */
  share: number | null;
  /** reach / the group's reach; null when the group has none. */
  reach_share: number | null;
}

export interface VoiceWindowView {
  start: number;
  end: number;
  final: boolean;
  /** Every brand of the group, in the group's order. */
  brands: VoiceBrandView[];
}

export interface VoiceView {
  window_ms: number | null;
  /** The brand first, then the others of its group in configuration order. */
  group: string[];
  /** Totals over the range. */
  brands: VoiceBrandView[];
  /** Per window, oldest first. */
  windows: VoiceWindowView[];
}

const kindOf = (b: VoiceBrandRef) => b.kind ?? 'own';

/** The brands a brand's share of voice is taken against, the brand first. */
export function voiceGroup<B extends VoiceBrandRef>(brand: B, all: readonly B[]): B[] {
  const own = kindOf(brand) === 'own';
  const others = all.filter((b) => b.name !== brand.name && (!own || kindOf(b) === 'competitor'));
  return [brand, ...others];
}

type Sums = Pick<VoiceBrandView, 'posts' | 'positive' | 'negative' | 'reach' | 'engagement'> & {
  sentiment: number;
  /** Posts with a sentiment score: the mean is over them. */
  scored: number;
};

const zero = (): Sums => ({
  posts: 0,
  positive: 0,
  negative: 0,
  reach: 0,
  engagement: 0,
  sentiment: 0,
  scored: 0,
});

function add(s: Sums, r: VoiceWindowRow): void {
  s.posts += num(r.posts);
  s.positive += num(r.positive);
  s.negative += num(r.negative);
  s.reach += num(r.reach);
  s.engagement += num(r.engagement);
  s.sentiment += num(r.sentiment_sum);
  s.scored += scoredOf(r, num(r.posts));
}

function views(group: readonly VoiceBrandRef[], sums: ReadonlyMap<string, Sums>): VoiceBrandView[] {
  let posts = 0;
  let reach = 0;
  for (const b of group) {
    posts += sums.get(b.name)?.posts ?? 0;
    reach += sums.get(b.name)?.reach ?? 0;
  }
  return group.map((b) => {
    const { sentiment, scored, ...s } = sums.get(b.name) ?? zero();
    return {
      id: brandId(b.name),
      name: b.name,
      kind: kindOf(b),
      ...s,
      sentiment_mean: ratio(sentiment, scored),
      share: ratio(s.posts, posts),
      reach_share: ratio(s.reach, reach),
    };
  });
}

/** Share of voice of the group's brands from settled voice rows (any brands; others are ignored). Pure. */
export function shareOfVoice(
  rows: readonly VoiceWindowRow[],
  group: readonly VoiceBrandRef[],
): Omit<VoiceView, 'window_ms'> {
  const names = new Set(group.map((b) => b.name));
  const mine = rows.filter((r) => names.has(r.brand));
  const finals = finalWindows(mine);
  const totals = new Map<string, Sums>();
  const windows = new Map<number, { end: number; sums: Map<string, Sums> }>();
  for (const r of mine) {
    let t = totals.get(r.brand);
    if (!t) totals.set(r.brand, (t = zero()));
    add(t, r);
    let w = windows.get(r.start);
    if (!w) windows.set(r.start, (w = { end: r.start + r.size_ms, sums: new Map() }));
    let s = w.sums.get(r.brand);
    if (!s) w.sums.set(r.brand, (s = zero()));
    add(s, r);
  }
  return {
    group: group.map((b) => b.name),
    brands: views(group, totals),
    windows: [...windows]
      .sort((a, b) => a[0] - b[0])
      .map(([start, w]) => ({
        start,
        end: w.end,
        final: finals.get(start) ?? false,
        brands: views(group, w.sums),
      })),
  };
}

/** A brand's share of voice against its group in a range: one store read (every brand's rows in the range). */
export async function readShareOfVoice(
  store: Store,
  brand: VoiceBrandRef,
  all: readonly VoiceBrandRef[],
  range: TimeRange,
): Promise<VoiceView> {
  const group = voiceGroup(brand, all);
  const names = new Set(group.map((b) => b.name));
  const rows = (await store.read(VOICE_WINDOWS_TABLE, { start: startFilter(range) })).filter((r) =>
    names.has(r.brand),
  );
  const settled = settledRows(rows, (r) => r.brand);
  return { window_ms: settled.sizeMs, ...shareOfVoice(settled.rows, group) };
}
