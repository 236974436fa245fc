import type { Store } from '../store/store.js';
import { num, round, settledRows, startFilter, type TimeRange } from './read-common.js';
import { INFLUENCER_WINDOWS_TABLE, type InfluencerWindowRow } from './tables.js';

/**
 * A brand's influencers over a range. Events are partitioned by author, so each author's rows come
 * from one partition: the partitions' top lists are put together, each author's score and mentions
 * added over the windows of the range, and ranked by score.
 */

export interface InfluencerView {
  author: string;
  /** Reach-weighted mentions, added over the windows. */
  score: number;
  mentions: number;
  /** The most followers the author had in a window of the range. */
  followers: number;
  /** Windows of the range the author was among the partition's top authors. */
  windows: number;
}

export interface InfluencersView {
  window_ms: number | null;
  influencers: InfluencerView[];
}

export const DEFAULT_INFLUENCERS = 10;

/** Ranks authors from settled influencer rows of one brand. Pure. */
export function rankInfluencers(
  rows: readonly InfluencerWindowRow[],
  limit = DEFAULT_INFLUENCERS,
): InfluencerView[] {
  const authors = new Map<string, InfluencerView>();
  for (const r of rows) {
    let a = authors.get(r.author);
    if (!a)
      authors.set(r.author, (a = { author: r.author, score: 0, mentions: 0, followers: 0, windows: 0 }));
    a.score += Math.max(0, num(r.score));
    a.mentions += Math.max(0, num(r.mentions));
    a.followers = Math.max(a.followers, num(r.followers));
    a.windows++;
  }
  return [...authors.values()]
    .map((a) => ({ ...a, score: round(a.score) }))
    .sort(
      (a, b) =>
        b.score - a.score ||
        b.mentions - a.mentions ||
        (a.author < b.author ? -1 : a.author > b.author ? 1 : 0),
    )
    .slice(0, Math.max(0, limit));
}

/** A brand's (by name) top authors in a range: one store read. */
export async function readInfluencers(
  store: Store,
  brand: string,
  range: TimeRange,
  limit = DEFAULT_INFLUENCERS,
): Promise<InfluencersView> {
  const settled = settledRows(
    await store.read(INFLUENCER_WINDOWS_TABLE, { brand, start: startFilter(range) }),
    undefined,
    { whole: true },
  );
  return { window_ms: settled.sizeMs, influencers: rankInfluencers(settled.rows, limit) };
}
