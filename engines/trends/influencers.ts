/**
 * Influencers of a brand in a window: the authors whose mentions of it reach the most people. A
 * weighted Space-Saving sketch over authors keeps the top ones in fixed memory, however many
 * authors post.
 *
 * Events are partitioned by author, so an author lives in one partition: the top k of the whole
 * brand is the top k of the union of the partitions' top-k lists (`mergeInfluencers`), exact when
 * every partition's list is (each author's error 0).
 */
import { SpaceSaving } from './space-saving.js';

export interface Influencer {
  author: string;
  /** The sum of the author's mention weights (an overestimate by at most `error`). */
  score: number;
  /** Mentions counted since the author entered the board: all of them when error is 0. */
  mentions: number;
  /** Followers at the author's latest mention. */
  followers: number;
  error: number;
}

/**
 * Reach weight of one mention by an author with `followers` followers: 1 + log10(1 + followers).
 * Log-scaled, so reach counts (a million followers weigh 7, ten weigh 2, none 1) but a big account
 * does not outweigh a crowd: seven mentions by people without followers weigh as much as one by
 * a million-follower account. Not a finite number ≥ 0 counts as 0 followers.
 */
export function reachWeight(followers: number): number {
  return 1 + Math.log10(1 + nonNegative(followers));
}

/**
 * Weight of one mention: its reach weight times 1 + log10(1 + engagement) (likes, shares and
 * replies it got), so a post people reacted to counts more: 9 reactions double it, 99 triple it.
 */
export function mentionWeight(followers: number, engagement = 0): number {
  return reachWeight(followers) * (1 + Math.log10(1 + nonNegative(engagement)));
}

function nonNegative(x: number): number {
  return typeof x === 'number' && x > 0 && x !== Infinity ? x : 0;
}

const SNAPSHOT_VERSION = 1;

interface BoardState {
  v: number;
  board: unknown;
  /** [author, mentions, followers] per tracked author. */
  authors: [string, number, number][];
}

/** One brand's influencers in one window (the operator keeps one per brand and window). */
export class InfluencerBoard {
  private board: SpaceSaving;
  private readonly authors = new Map<string, { mentions: number; followers: number }>();

  /** `capacity`: authors tracked, an integer ≥ 1 (a RangeError otherwise). */
  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`influencer board capacity must be an integer ≥ 1, got ${capacity}`);
    this.board = new SpaceSaving(capacity);
  }

  /** Authors tracked (at most capacity). */
  get size(): number {
    return this.board.size;
  }

  /**
   * One mention by `author` with `followers` followers and `engagement` reactions (default 0);
   * NaN, negative or infinite numbers count as 0. An author that is not a non-empty string is ignored.
   */
  add(author: string, followers: number, engagement = 0): void {
    if (typeof author !== 'string' || author === '') return;
    const evicted = this.board.offer(author, mentionWeight(followers, engagement));
    if (evicted !== undefined) this.authors.delete(evicted);
    const a = this.authors.get(author);
    if (a) {
      a.mentions++;
      a.followers = nonNegative(followers);
    } else this.authors.set(author, { mentions: 1, followers: nonNegative(followers) });
  }

  /** The `n` top authors (default: all tracked), by score descending, then author ascending. */
  top(n?: number): Influencer[] {
    return this.board.top(n).map((h) => {
      const a = this.authors.get(h.key);
      return {
        author: h.key,
        score: h.count,
        mentions: a?.mentions ?? 0,
        followers: a?.followers ?? 0,
        error: h.error,
      };
    });
  }

  /**
   * The `n` top authors (default: all tracked) by the score they are known to have: the weight
   * counted since they entered the board (`score` − `error`; all of it when error is 0), which is
   * what `score` is here (and `mentions` counts). Descending, then author ascending. Once more
   * authors post than the board tracks, a newcomer takes the place of the least one with its
   * score as its error: ranked by the overestimate, a crowd of one-off authors would fill the top
   * with scores many times their own.
   */
  leaders(n = this.capacity): Influencer[] {
    const all = this.top().map((i) => ({ ...i, score: Math.max(0, i.score - i.error) }));
    all.sort((a, b) => b.score - a.score || (a.author < b.author ? -1 : a.author > b.author ? 1 : 0));
    return all.slice(0, Math.max(0, Math.floor(n)));
  }

  clear(): void {
    this.board.clear();
    this.authors.clear();
  }

  /** JSON-safe state; restore(snapshot()) continues identically. */
  snapshot(): unknown {
    const state: BoardState = {
      v: SNAPSHOT_VERSION,
      board: this.board.snapshot(),
      authors: [...this.authors].map(([id, a]) => [id, a.mentions, a.followers]),
    };
    return state;
  }

  /** undefined or null: empty. A RangeError for anything that is not a snapshot of this version. */
  restore(state: unknown): void {
    this.clear();
    if (state === undefined || state === null) return;
    const s = state as Partial<BoardState>;
    if (s.v !== SNAPSHOT_VERSION || !Array.isArray(s.authors))
      throw new RangeError(`influencer board: not a version ${SNAPSHOT_VERSION} snapshot`);
    const board = SpaceSaving.fromSnapshot(s.board, this.capacity);
    for (const item of s.authors) {
      const [id, mentions, followers] = Array.isArray(item) ? (item as unknown[]) : [];
      if (
        typeof id !== 'string' ||
        typeof mentions !== 'number' ||
        !Number.isInteger(mentions) ||
        mentions < 0 ||
        typeof followers !== 'number' ||
        !(followers >= 0 && followers !== Infinity)
      )
        throw new RangeError('influencer board: a snapshot author is not [author, mentions, followers]');
      // Authors the board no longer tracks (a smaller capacity) are dropped with it.
      if (board.count(id) > 0) this.authors.set(id, { mentions, followers });
    }
    this.board = board;
  }

  static fromSnapshot(state: unknown, capacity: number): InfluencerBoard {
    const b = new InfluencerBoard(capacity);
    b.restore(state);
    return b;
  }
}

/**
 * The top `n` (default: all) of the partitions' lists: their union by score descending, then author
 * ascending. An author lives in one partition; should one appear in several lists, its entries are
 * summed (followers: the largest).
 */
export function mergeInfluencers(lists: readonly (readonly Influencer[])[], n?: number): Influencer[] {
  const byAuthor = new Map<string, Influencer>();
  for (const list of lists)
    for (const i of list) {
      const m = byAuthor.get(i.author);
      if (m) {
        m.score += i.score;
        m.mentions += i.mentions;
        m.error += i.error;
        m.followers = Math.max(m.followers, i.followers);
      } else byAuthor.set(i.author, { ...i });
    }
  const all = [...byAuthor.values()].sort(
    (a, b) => b.score - a.score || (a.author < b.author ? -1 : a.author > b.author ? 1 : 0),
  );
  return n === undefined ? all : all.slice(0, Math.max(0, Math.floor(n)));
}
