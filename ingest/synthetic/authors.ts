import type { Random } from '../../engines/stats/index.js';
import type { SentimentLabel, SocialEventInput } from '../../stream/model/index.js';
import { slotRandom, STREAM_AUTHORS } from './slots.js';

interface Author {
  id: string;
  followers: number;
  verified: boolean;
}

/**
 * The people who post: a fixed pool per seed, followers Pareto-distributed (a few big accounts,
 * mostly verified, and many small ones), and a few authors writing most of the posts.
 */
export class AuthorPool {
  private readonly pool: Author[] = [];

  constructor(seed: number, size: number) {
    const rng = slotRandom(seed, 0, STREAM_AUTHORS);
    for (let i = 0; i < size; i++) {
      const followers = Math.min(5_000_000, Math.round(rng.pareto(20, 1.1)));
      const verified = followers > 100_000 ? rng.chance(0.6) : rng.chance(0.002);
      this.pool.push({ id: `u${i}`, followers, verified });
    }
  }

  /** The author of the next post: low ids far more often than high ones. */
  draw(rng: Random): Author {
    return this.pool[Math.floor(this.pool.length * rng.next() ** 2)] ?? this.pool[0]!;
  }
}

/** An author as a post carries it: `verified` only when true. */
export function postAuthor(a: Author): SocialEventInput['author'] {
  return a.verified
    ? { id: a.id, followers: a.followers, verified: true }
    : { id: a.id, followers: a.followers };
}

/** Likes, shares and replies, growing with the author's reach. */
export function engagement(
  rng: Random,
  followers: number,
  label: SentimentLabel,
): { likes: number; shares: number; replies: number } {
  const reach = Math.pow(followers, 0.8) * 0.05 * (0.3 + 1.4 * rng.next());
  const likes = rng.poisson(reach);
  // complaints travel: more shares and replies per like
  const heat = label === 'negative' ? 2 : 1;
  return {
    likes,
    shares: rng.poisson(likes * 0.1 * heat),
    replies: rng.poisson(likes * 0.06 * heat + 0.2),
  };
}
