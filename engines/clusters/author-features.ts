/**
 * The features of an author that audience segments are made of, kept up to date one post at a time
 * in event time (never the clock), with bounded memory per author.
 *
 * | feature      | raw unit                                                            | standardised as          |
 * |--------------|---------------------------------------------------------------------|--------------------------|
 * | `activity`   | posts a day at the author's latest post: the count decayed with     | log1p(posts a day) / 0.75 |
 * |              | `activityHalfLifeMs` over the decayed window since their first post |                          |
 * | `sentiment`  | mean sentiment of the posts, −1..1 (about the last `postMemory`)    | mean / 0.4               |
 * | `engagement` | typical likes + shares + replies per post: expm1 of the mean log1p  | mean log1p / 1.5         |
 * | `reach`      | follower bucket: log10(1 + followers), the latest count             | as is                    |
 * | `brands`     | distinct brands mentioned (at most `maxBrandsPerAuthor`)            | log1p(count) / 0.5       |
 *
 * The transforms are fixed, not learned: every partition standardises the same way, so its
 * centroids are comparable with the others' and segment ids can mean the same everywhere. The
 * logs tame heavy tails (followers, engagement, activity); the divisors put a typical population's
 * spread near 1 on each feature, so no feature dominates the distances by its unit alone.
 */

export const SEGMENT_FEATURES = ['activity', 'sentiment', 'engagement', 'reach', 'brands'] as const;
export type SegmentFeature = (typeof SEGMENT_FEATURES)[number];

/** One post, as the segments need it. */
export interface AuthorPost {
  author: string;
  followers: number;
  /** Event time, ms epoch. */
  ts: number;
  /** −1..1 (clamped). */
  sentiment: number;
  /** Likes + shares + replies. */
  engagement: number;
  brands: readonly string[];
}

/** One author's running features. */
export interface AuthorState {
  /** The latest sane follower count (0 until one is seen). */
  followers: number;
  /** Posts decayed to `last` by the activity half-life. */
  count: number;
  /** Earliest and latest event time seen; null before the first post with a finite time. */
  first: number | null;
  last: number | null;
  /** Posts seen, and posts with a usable sentiment: they set the running means' rates. */
  posts: number;
  sentimentPosts: number;
  sentiment: number;
  /** Running mean of log1p(engagement). */
  engagement: number;
  /** Distinct brands mentioned, at most `maxBrands`, in order of first mention. */
  brands: string[];
  /** The author's segment id; null before the first segmentation reached them. */
  segment: number | null;
}

export interface FeatureSettings {
  activityHalfLifeMs: number;
  /** The running means weigh a post at least 1 / postMemory: they follow an author who changes. */
  postMemory: number;
  maxBrands: number;
}

const DAY_MS = 86_400_000;
/**
 * A prior on the activity window, about one gap of a typical active author: the first post reads
 * as four a day rather than infinity, and a few posts close together are not read as a torrent.
 */
const ACTIVITY_PRIOR_MS = DAY_MS / 4;
/** Followers above this are read as this (no account has more; the log stays tame). */
const MAX_FOLLOWERS = 1e10;

/** Divisor of each feature after its fixed transform, in SEGMENT_FEATURES order. */
const SCALES = [0.75, 0.4, 1.5, 1, 0.5] as const;

export function newAuthor(): AuthorState {
  return {
    followers: 0,
    count: 0,
    first: null,
    last: null,
    posts: 0,
    sentimentPosts: 0,
    sentiment: 0,
    engagement: 0,
    brands: [],
    segment: null,
  };
}

/** Folds one post into the author's features. Bad numbers leave the feature they feed as it was (or count as 0 engagement). */
export function updateAuthor(a: AuthorState, post: AuthorPost, s: FeatureSettings): void {
  const followers = post.followers;
  if (typeof followers === 'number' && Number.isFinite(followers) && followers >= 0)
    a.followers = Math.min(followers, MAX_FOLLOWERS);
  else if (followers === Infinity) a.followers = MAX_FOLLOWERS;

  const ts = post.ts;
  if (typeof ts === 'number' && Number.isFinite(ts)) {
    if (a.last === null || a.first === null) {
      a.count = 1;
      a.first = ts;
      a.last = ts;
    } else if (ts >= a.last) {
      a.count = a.count * decay(ts - a.last, s.activityHalfLifeMs) + 1;
      a.last = ts;
    } else {
      // Out of order: the post counts with the weight it has at the latest time.
      a.count += decay(a.last - ts, s.activityHalfLifeMs);
      a.first = Math.min(a.first, ts);
    }
  }

  a.posts++;
  const rate = Math.max(1 / a.posts, 1 / s.postMemory);
  const e = typeof post.engagement === 'number' && post.engagement > 0 ? post.engagement : 0;
  a.engagement += rate * (Math.log1p(Number.isFinite(e) ? e : 0) - a.engagement);
  if (typeof post.sentiment === 'number' && Number.isFinite(post.sentiment)) {
    a.sentimentPosts++;
    const r = Math.max(1 / a.sentimentPosts, 1 / s.postMemory);
    a.sentiment += r * (Math.min(1, Math.max(-1, post.sentiment)) - a.sentiment);
  }

  if (Array.isArray(post.brands))
    for (const b of post.brands) {
      if (a.brands.length >= s.maxBrands) break;
      if (typeof b === 'string' && b !== '' && !a.brands.includes(b)) a.brands.push(b);
    }
}

function decay(ms: number, halfLifeMs: number): number {
  return Math.pow(2, -ms / halfLifeMs);
}

/** Posts per day at the author's latest post: the decayed count over the decayed window since their first post plus the prior. */
export function activityRate(a: AuthorState, halfLifeMs: number): number {
  if (a.first === null || a.last === null) return 0;
  const window = (halfLifeMs / Math.LN2) * (1 - decay(a.last - a.first, halfLifeMs));
  return (a.count / (window + ACTIVITY_PRIOR_MS)) * DAY_MS;
}

/** The author's features in raw units, by name. */
export function rawFeatures(a: AuthorState, halfLifeMs: number): Record<SegmentFeature, number> {
  return {
    activity: activityRate(a, halfLifeMs),
    sentiment: a.sentiment,
    engagement: Math.expm1(a.engagement),
    reach: Math.log10(1 + a.followers),
    brands: a.brands.length,
  };
}

/**
 * The standardised vector of features in raw units (activity in posts a day, sentiment, reach as
 * log10(1 + followers), brands mentioned), engagement given as its log1p: SEGMENT_FEATURES order.
 */
function standardised(
  activity: number,
  sentiment: number,
  logEngagement: number,
  reach: number,
  brands: number,
): number[] {
  const v = [
    Math.log1p(activity) / SCALES[0],
    sentiment / SCALES[1],
    logEngagement / SCALES[2],
    reach / SCALES[3],
    Math.log1p(brands) / SCALES[4],
  ];
  return v.map((x) => (Number.isFinite(x) ? x : 0));
}

/** The author's standardised feature vector, in SEGMENT_FEATURES order: what k-means sees. */
export function authorVector(a: AuthorState, halfLifeMs: number): number[] {
  return standardised(
    activityRate(a, halfLifeMs),
    a.sentiment,
    a.engagement,
    Math.log10(1 + a.followers),
    a.brands.length,
  );
}

/** A standardised vector (a centroid) back in raw units, by name. */
export function rawOfVector(v: readonly number[]): Record<SegmentFeature, number> {
  const z = (i: number) => (v[i] ?? 0) * SCALES[i as 0 | 1 | 2 | 3 | 4];
  return {
    activity: Math.max(0, Math.expm1(z(0))),
    sentiment: Math.min(1, Math.max(-1, z(1))),
    engagement: Math.max(0, Math.expm1(z(2))),
    reach: Math.max(0, z(3)),
    brands: Math.max(0, Math.expm1(z(4))),
  };
}

/** Raw feature values (a centroid as stored) back as a standardised vector: rawOfVector's inverse. */
export function vectorOfRaw(raw: Readonly<Record<string, number>>): number[] {
  const value = (f: SegmentFeature) => {
    const x = raw[f];
    return typeof x === 'number' && Number.isFinite(x) ? x : 0;
  };
  return standardised(
    Math.max(0, value('activity')),
    value('sentiment'),
    Math.log1p(Math.max(0, value('engagement'))),
    Math.max(0, value('reach')),
    Math.max(0, value('brands')),
  );
}

/**
 * JSON-safe form of an author in snapshots before version 2 (still restored): [id, followers,
 * count, first, last, posts, sentimentPosts, sentiment, engagement, brands, segment].
 */
export type AuthorTuple = [
  string,
  number,
  number,
  number | null,
  number | null,
  number,
  number,
  number,
  number,
  string[],
  number | null,
];

function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** An author from its tuple (snapshots before version 2), or null when the tuple is malformed. */
function authorOfTuple(t: unknown): [string, AuthorState] | null {
  // Checked field by field without closures: a restore reads every author held.
  if (!Array.isArray(t) || t.length !== 11 || typeof t[0] !== 'string') return null;
  if (
    !isNum(t[1]) ||
    !isNum(t[2]) ||
    !isNum(t[5]) ||
    !isNum(t[6]) ||
    !isNum(t[7]) ||
    !isNum(t[8]) ||
    !(t[3] === null || isNum(t[3])) ||
    !(t[4] === null || isNum(t[4])) ||
    !(t[10] === null || isNum(t[10]))
  )
    return null;
  const brands: unknown = t[9];
  if (!Array.isArray(brands)) return null;
  for (const b of brands) if (typeof b !== 'string') return null;
  return [
    t[0],
    {
      followers: t[1],
      count: t[2],
      first: t[3],
      last: t[4],
      posts: t[5],
      sentimentPosts: t[6],
      sentiment: t[7],
      engagement: t[8],
      brands: [...t[9]],
      segment: t[10],
    },
  ];
}

/** The authors of a list of tuples (snapshots before version 2), in its order; null when any is malformed. */
export function authorsOfTuples(value: unknown): [string, AuthorState][] | null {
  if (!Array.isArray(value)) return null;
  const out: [string, AuthorState][] = [];
  for (const t of value) {
    const a = authorOfTuple(t);
    if (!a) return null;
    out.push(a);
  }
  return out;
}

/**
 * A number stored as its difference from a base when that gives it back exactly (a small number
 * in JSON: most authors' times are close to the latest, and most have one post), else as
 * `[value]`; null stays null.
 */
export type Offset = number | [number] | null;

function offset(base: number, value: number | null): Offset {
  if (value === null) return null;
  const d = base - value;
  return base - d === value ? d : [value];
}

function unoffset(base: number, o: unknown): number | null | undefined {
  if (o === null) return null;
  if (isNum(o)) {
    const v = base - o;
    return Number.isFinite(v) ? v : undefined;
  }
  if (Array.isArray(o) && o.length === 1 && isNum(o[0])) return o[0];
  return undefined;
}

/**
 * A mean log1p(engagement) stored as `[n]` when it is log1p(n) of a whole n exactly, as after
 * one post (most authors of a firehose), which is shorter than its 17 digits; else as it is.
 */
export type LogCount = number | [number];

function logCount(value: number): LogCount {
  if (value === 0) return 0;
  const n = Math.round(Math.expm1(value));
  return n > 0 && n <= Number.MAX_SAFE_INTEGER && Math.log1p(n) === value ? [n] : value;
}

function unlogCount(o: unknown): number | undefined {
  if (isNum(o)) return o;
  if (Array.isArray(o) && o.length === 1 && Number.isSafeInteger(o[0]) && o[0] >= 0) return Math.log1p(o[0]);
  return undefined;
}

/**
 * The author table in snapshots of version 2: one array per field, an entry per author in the
 * same order (least recently seen first), so a field's name is written once, not once per author.
 * Every value is kept exactly (JSON writes the shortest decimal that reads back as the same
 * double); what is small is written small:
 * - `last` as `base − last` and `first` as `last − first` (see Offset), `base` the latest `last`;
 * - `ids` without `idPrefix`, the prefix every id has (`did:plc:` of Bluesky's);
 * - `unscored` as `posts − sentimentPosts` (0 for nearly everyone);
 * - `engagement` as `[n]` when it is log1p(n) exactly (see LogCount);
 * - brands once in `brandNames`, each distinct list of them once in `brandLists` (indices into
 *   the names, in the author's order), and per author the index of their list.
 */
export interface AuthorColumns {
  idPrefix: string;
  ids: string[];
  followers: number[];
  count: number[];
  base: number;
  last: Offset[];
  first: Offset[];
  posts: number[];
  unscored: Offset[];
  sentiment: number[];
  engagement: LogCount[];
  brandNames: string[];
  brandLists: number[][];
  brands: number[];
  segment: (number | null)[];
}

/** The authors as columns (see AuthorColumns), in the order given. */
export function authorColumns(authors: Iterable<[string, AuthorState]>): AuthorColumns {
  const list = [...authors];
  let base = 0;
  let seen = false;
  for (const [, a] of list)
    if (a.last !== null && (!seen || a.last > base)) {
      base = a.last;
      seen = true;
    }
  let prefix = list[0]?.[0] ?? '';
  for (const [id] of list) {
    let i = 0;
    while (i < prefix.length && i < id.length && prefix.charCodeAt(i) === id.charCodeAt(i)) i++;
    if (i < prefix.length) prefix = prefix.slice(0, i);
  }
  // Never an id's high surrogate without its low one: each part stays valid text.
  if (/[\uD800-\uDBFF]$/.test(prefix)) prefix = prefix.slice(0, -1);
  const names = new Map<string, number>();
  const lists = new Map<string, number>();
  const c: AuthorColumns = {
    idPrefix: prefix,
    ids: [],
    followers: [],
    count: [],
    base,
    last: [],
    first: [],
    posts: [],
    unscored: [],
    sentiment: [],
    engagement: [],
    brandNames: [],
    brandLists: [],
    brands: [],
    segment: [],
  };
  for (const [id, a] of list) {
    c.ids.push(id.slice(prefix.length));
    c.followers.push(a.followers);
    c.count.push(a.count);
    c.last.push(offset(base, a.last));
    c.first.push(a.last === null ? offset(base, a.first) : offset(a.last, a.first));
    c.posts.push(a.posts);
    c.unscored.push(offset(a.posts, a.sentimentPosts));
    c.sentiment.push(a.sentiment);
    c.engagement.push(logCount(a.engagement));
    const indices = a.brands.map((b) => {
      let i = names.get(b);
      if (i === undefined) {
        i = c.brandNames.length;
        names.set(b, i);
        c.brandNames.push(b);
      }
      return i;
    });
    const key = indices.join(',');
    let l = lists.get(key);
    if (l === undefined) {
      l = c.brandLists.length;
      lists.set(key, l);
      c.brandLists.push(indices);
    }
    c.brands.push(l);
    c.segment.push(a.segment);
  }
  return c;
}

/** The authors of an AuthorColumns, in its order; null when it is malformed. */
export function authorsOfColumns(value: unknown): [string, AuthorState][] | null {
  if (!value || typeof value !== 'object') return null;
  const c = value as Partial<Record<keyof AuthorColumns, unknown>>;
  const { ids, brandNames, brandLists, idPrefix } = c;
  if (
    typeof idPrefix !== 'string' ||
    !Array.isArray(ids) ||
    !isNum(c.base) ||
    !Array.isArray(brandNames) ||
    !Array.isArray(brandLists)
  )
    return null;
  const n = ids.length;
  const columns = [
    c.followers,
    c.count,
    c.last,
    c.first,
    c.posts,
    c.unscored,
    c.sentiment,
    c.engagement,
    c.brands,
    c.segment,
  ];
  for (const col of columns) if (!Array.isArray(col) || col.length !== n) return null;
  const [followers, count, last, first, posts, unscored, sentiment, engagement, brands, segment] =
    columns as unknown[][];
  for (const b of brandNames) if (typeof b !== 'string') return null;
  for (const l of brandLists)
    if (!Array.isArray(l) || !l.every((i) => Number.isInteger(i) && i >= 0 && i < brandNames.length))
      return null;
  const names = brandNames as string[];
  const lists = brandLists as number[][];
  const out: [string, AuthorState][] = [];
  for (let i = 0; i < n; i++) {
    const id: unknown = ids[i];
    const f = followers![i];
    const k = count![i];
    const p = posts![i];
    const s = sentiment![i];
    const e = unlogCount(engagement![i]);
    const l = brands![i];
    const seg = segment![i];
    if (typeof id !== 'string' || !isNum(f) || !isNum(k) || !isNum(p) || !isNum(s) || !isNum(e)) return null;
    if (!(Number.isInteger(l) && (l as number) >= 0 && (l as number) < lists.length)) return null;
    if (!(seg === null || isNum(seg))) return null;
    const lastTs = unoffset(c.base, last![i]);
    if (lastTs === undefined) return null;
    const firstTs = unoffset(lastTs ?? c.base, first![i]);
    const scored = unoffset(p, unscored![i]);
    if (firstTs === undefined || scored === undefined || scored === null) return null;
    out.push([
      idPrefix + id,
      {
        followers: f,
        count: k,
        first: firstTs,
        last: lastTs,
        posts: p,
        sentimentPosts: scored,
        sentiment: s,
        engagement: e,
        brands: lists[l as number]!.map((b) => names[b]!),
        segment: seg,
      },
    ]);
  }
  return out;
}

/** Words for a raw feature value: [upper bound, term] pairs, the first bound above the value wins. */
const TERMS: Record<'reach' | 'activity' | 'sentiment', [number, string][]> = {
  reach: [
    [2, 'low reach'],
    [4, 'mid reach'],
    [Infinity, 'high reach'],
  ],
  activity: [
    [0.5, 'occasional'],
    [3, 'active'],
    [Infinity, 'very active'],
  ],
  sentiment: [
    [-0.15, 'negative'],
    [0.15, 'neutral'],
    [Infinity, 'positive'],
  ],
};

/** Five steps from the lowest to the highest: lowest, lower, in between, higher, highest. */
type Scale = [string, string, string, string, string];

/**
 * How segments that read alike differ, from the lowest to the highest, by feature. On a feature the
 * label names already (`at`: its place in the label), the words go next to its word ("very active
 * (fewer posts)"), since a comparative of its own would contradict it ("very active · less active").
 */
const DISTINCTIONS: Record<SegmentFeature, { at?: number; words: Scale }> = {
  reach: {
    at: 0,
    words: ['fewest followers', 'fewer followers', 'in between', 'more followers', 'most followers'],
  },
  activity: { at: 1, words: ['fewest posts', 'fewer posts', 'in between', 'more posts', 'most posts'] },
  // for a neutral group; a positive or negative one says "less so" / "more so" (see SENTIMENT_WORDS)
  sentiment: {
    at: 2,
    words: ['most negative', 'leaning negative', 'in between', 'leaning positive', 'most positive'],
  },
  engagement: {
    words: ['least engagement', 'less engagement', 'mid engagement', 'more engagement', 'most engagement'],
  },
  brands: { words: ['fewest brands', 'fewer brands', 'mid brands', 'more brands', 'most brands'] },
};

/** Lower to higher sentiment within a group whose sentiment word is not neutral. */
const SENTIMENT_WORDS: Record<string, Scale> = {
  positive: ['least so', 'less so', 'in between', 'more so', 'most so'],
  negative: ['most so', 'more so', 'in between', 'less so', 'least so'],
};

/**
 * The steps of the scale that n segments in order take: two are lower and higher, three add in
 * between, four and five take the ends too ("fewest", "most"); more than five share the steps.
 */
function steps(n: number): number[] {
  if (n === 2) return [1, 3];
  if (n === 3) return [1, 2, 3];
  if (n === 4) return [0, 1, 3, 4];
  return Array.from({ length: n }, (_, rank) => Math.round((rank * 4) / (n - 1)));
}

/**
 * Readable labels of standardised centroids: reach (log10 followers below 2 / below 4 / above),
 * activity (posts a day below 0.5 / below 3 / above) and sentiment (below −0.15 / up to 0.15 /
 * above), e.g. "high reach · active · positive". Segments that read alike are told apart on the
 * feature on which they differ most, from the lowest to the highest in up to five steps: next to its
 * word if the label has one ("very active (more posts)", "very active (most posts)"), else by a
 * comparative ("more engagement"); any still alike (more than five, or equal), by their id.
 */
export function segmentLabels(centroids: readonly (readonly number[])[], ids: readonly number[]): string[] {
  const raw = centroids.map(rawOfVector);
  const term = (value: number, terms: [number, string][]) => terms.find(([below]) => value < below)![1];
  const parts = raw.map((r) => [
    term(r.reach, TERMS.reach),
    term(r.activity, TERMS.activity),
    term(r.sentiment, TERMS.sentiment),
  ]);
  const groups = new Map<string, number[]>();
  parts.forEach((p, i) => groups.set(p.join(), [...(groups.get(p.join()) ?? []), i]));
  for (const members of groups.values()) {
    if (members.length < 2) continue;
    let best = 0;
    let bestSpread = -1;
    SEGMENT_FEATURES.forEach((_, f) => {
      const values = members.map((i) => centroids[i]![f] ?? 0);
      const spread = Math.max(...values) - Math.min(...values);
      if (spread > bestSpread) [best, bestSpread] = [f, spread];
    });
    const feature = SEGMENT_FEATURES[best]!;
    const order = [...members].sort(
      (a, b) => (centroids[a]![best] ?? 0) - (centroids[b]![best] ?? 0) || a - b,
    );
    const { at } = DISTINCTIONS[feature];
    // members read alike, so they share the word the qualifier goes next to
    const words =
      (feature === 'sentiment' && SENTIMENT_WORDS[parts[members[0]!]![2]!]) || DISTINCTIONS[feature].words;
    const place = steps(order.length);
    order.forEach((i, rank) => {
      const word = words[place[rank]!]!;
      if (at === undefined) parts[i]!.push(word);
      else parts[i]![at] += ` (${word})`;
    });
  }
  const labels = parts.map((p) => p.join(' · '));
  return labels.map((l, i) => (labels.indexOf(l) !== labels.lastIndexOf(l) ? `${l} · #${ids[i]}` : l));
}
