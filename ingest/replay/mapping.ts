import { checkSocialEvent, SocialEventSchema, type SocialEventInput } from '../../stream/index.js';
import { ReplayError } from './errors.js';
import type { LocalRejectReason } from './rejects.js';
import { parseTimestamp } from './timestamps.js';

/** The SocialEvent fields a row can fill; `time` is `ts`, `group` becomes a hashtag (see {@link RowMapper}). */
export const FIELDS = [
  'id',
  'time',
  'text',
  'author',
  'group',
  'lang',
  'followers',
  'likes',
  'shares',
  'replies',
] as const;
export type Field = (typeof FIELDS)[number];

/**
 * Where each field is read from: paths tried in order, the first with a value wins. JSON paths are
 * dotted (`user.screen_name`); for CSV a path is a header column name. `explicit` lists the fields
 * given with `--map`.
 */
export interface Mapping {
  paths: Record<Field, string[]>;
  explicit: Field[];
}

/**
 * Paths tried when `--map` does not name a field. They cover Pulsewatch's own SocialEvent JSON,
 * Twitter/X API exports and common CSV headers.
 */
export const DEFAULT_PATHS: Readonly<Record<Field, readonly string[]>> = {
  id: ['id_str', 'id', 'tweet_id', 'post_id'],
  time: ['ts', 'time', 'created_at', 'timestamp', 'date'],
  text: ['text', 'full_text', 'body', 'content', 'message'],
  author: [
    'author.id',
    'author',
    'user.screen_name',
    'user.id_str',
    'user.id',
    'user',
    'username',
    'screen_name',
  ],
  group: ['brand', 'group'],
  lang: ['lang', 'language'],
  followers: ['author.followers', 'followers', 'user.followers_count', 'followers_count'],
  likes: ['engagement.likes', 'likes', 'favorite_count', 'like_count'],
  shares: ['engagement.shares', 'shares', 'retweet_count', 'repost_count'],
  replies: ['engagement.replies', 'replies', 'reply_count'],
};

/** The author of a row that has none. */
export const DEFAULT_AUTHOR = 'unknown';

/** The range of event times the SocialEvent schema accepts (2000-01-01 to 2100-01-01). */
export const { minimum: EARLIEST_TS, maximum: LATEST_TS } = SocialEventSchema.properties.ts as {
  minimum: number;
  maximum: number;
};

/**
 * The mapping of `--map field=path` flags over the defaults. `field=` (empty path) maps nothing to
 * the field: for `id` that means generated ids, for `author` the default author.
 */
export function parseMapFlags(flags: readonly string[]): Mapping {
  const paths = Object.fromEntries(FIELDS.map((f) => [f, [...DEFAULT_PATHS[f]]])) as Record<Field, string[]>;
  const explicit: Field[] = [];
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    const field = flag.slice(0, eq) as Field;
    if (eq < 1 || !FIELDS.includes(field))
      throw new ReplayError(`--map ${flag}: expected field=path with field one of ${FIELDS.join(', ')}`);
    if (explicit.includes(field)) throw new ReplayError(`--map ${flag}: ${field} is mapped twice`);
    const path = flag.slice(eq + 1).trim();
    if (path === '' && (field === 'text' || field === 'time'))
      throw new ReplayError(`--map ${flag}: every event needs a ${field}; give its path`);
    paths[field] = path === '' ? [] : [path];
    explicit.push(field);
  }
  return { paths, explicit: FIELDS.filter((f) => explicit.includes(f)) };
}

export type MapOutcome =
  { ok: true; event: SocialEventInput } | { ok: false; reason: LocalRejectReason; detail: string };

/** What a mapper needs besides the row: the event source, and the file name for generated ids. */
export interface MapContext {
  source: string;
  /** File name (no directory): a row without an id gets `<name>:<line>`. */
  name: string;
}

type Getter = { path: string; get: (row: unknown) => unknown };

/**
 * Turns a decoded row (a JSON object, or CSV fields) into a SocialEvent, or says why it cannot.
 *
 * - A row without an id gets `<file name>:<line>`, so a re-run or a resume sends the same id and the
 *   server's dedup absorbs it. A row without an author gets {@link DEFAULT_AUTHOR}.
 * - The group (brand) value becomes a hashtag appended to the text (`… #NorthwindCoffee`) and put
 *   in `tags.hashtags`: stage 1 matches brands in the text, and a hashtag matches a brand whose
 *   name, alias or handle has the same letters and digits.
 * - Counts (followers, likes, shares, replies) must be whole numbers ≥ 0, as numbers or strings.
 * The event passes `checkSocialEvent`, or the row is rejected with the schema's reason.
 */
export class RowMapper {
  private constructor(
    private readonly getters: Record<Field, Getter[]>,
    private readonly ctx: MapContext,
  ) {}

  /** A mapper of JSON objects: dotted paths (a key with a dot in it is tried first). */
  static forJson(mapping: Mapping, ctx: MapContext): RowMapper {
    const getters = {} as Record<Field, Getter[]>;
    for (const f of FIELDS) getters[f] = mapping.paths[f].map((path) => ({ path, get: jsonGetter(path) }));
    return new RowMapper(getters, ctx);
  }

  /**
   * A mapper of CSV rows with this header. A field given with --map must name a column, and text
   * and time must be found: otherwise every row would fail, so it is an error up front.
   */
  static forCsv(mapping: Mapping, header: readonly string[], ctx: MapContext): RowMapper {
    const getters = {} as Record<Field, Getter[]>;
    for (const f of FIELDS) {
      const paths = mapping.paths[f].filter((p) => header.includes(p));
      if (
        paths.length === 0 &&
        mapping.paths[f].length > 0 &&
        (mapping.explicit.includes(f) || isRequired(f))
      )
        throw new ReplayError(
          `the CSV header has no ${f} column (looked for ${mapping.paths[f].join(', ')}; the columns are ` +
            `${header.join(', ')}); name it with --map ${f}=COLUMN`,
        );
      getters[f] = paths.map((path) => {
        const index = header.indexOf(path);
        return { path, get: (row) => (row as string[])[index] };
      });
    }
    return new RowMapper(getters, ctx);
  }

  map(row: unknown, line: number): MapOutcome {
    const text = this.pick('text', row);
    if (text === undefined || (typeof text.value === 'string' && text.value.trim() === ''))
      return mappingFailed(`no text (${this.looked('text')})`);
    if (typeof text.value !== 'string') return mappingFailed(wrongType(text, 'a string'));

    const time = this.pick('time', row);
    if (time === undefined) return mappingFailed(`no time (${this.looked('time')})`);
    const ts = parseTimestamp(time.value);
    if (ts === undefined)
      return {
        ok: false,
        reason: 'bad_timestamp',
        detail: `${time.path}: ${show(time.value)} is not a date-time or epoch number`,
      };
    if (ts < EARLIEST_TS || ts > LATEST_TS)
      return {
        ok: false,
        reason: 'bad_timestamp',
        detail: `${time.path}: ${show(time.value)} is outside 2000-01-01..2100-01-01`,
      };

    const id = this.pick('id', row);
    if (id !== undefined && !isScalar(id.value)) return mappingFailed(wrongType(id, 'a string or number'));
    // A JSON number above 2^53 has lost digits (tweet ids do): two posts would share one id.
    if (id !== undefined && typeof id.value === 'number' && !Number.isSafeInteger(id.value))
      return mappingFailed(unsafeNumber(id));
    const author = this.pick('author', row);
    if (author !== undefined && !isScalar(author.value))
      return mappingFailed(wrongType(author, 'a string or number'));
    if (author !== undefined && typeof author.value === 'number' && !Number.isSafeInteger(author.value))
      return mappingFailed(unsafeNumber(author));
    const lang = this.pick('lang', row);
    if (lang !== undefined && typeof lang.value !== 'string')
      return mappingFailed(wrongType(lang, 'a string'));

    const counts: Partial<Record<'followers' | 'likes' | 'shares' | 'replies', number>> = {};
    for (const f of ['followers', 'likes', 'shares', 'replies'] as const) {
      const v = this.pick(f, row);
      if (v === undefined) continue;
      const n = count(v.value);
      if (n === undefined) return mappingFailed(`${v.path}: ${show(v.value)} is not a whole number ≥ 0`);
      counts[f] = n;
    }

    let body = text.value;
    let tag: string | undefined;
    const group = this.pick('group', row);
    if (group !== undefined) {
      if (!isScalar(group.value)) return mappingFailed(wrongType(group, 'a string or number'));
      tag = hashtagOf(String(group.value));
      if (tag === undefined)
        return mappingFailed(`${group.path}: ${show(group.value)} has no letters to make a hashtag of`);
      if (!hasHashtag(body, tag)) body = `${body} #${tag}`;
    }

    const event: SocialEventInput = {
      id: id === undefined ? `${this.ctx.name}:${line}` : String(id.value),
      source: this.ctx.source,
      ts,
      author: {
        id: author === undefined ? DEFAULT_AUTHOR : String(author.value),
        ...(counts.followers !== undefined && { followers: counts.followers }),
      },
      text: body,
      ...(lang !== undefined && { lang: lang.value as string }),
      ...(tag !== undefined && { tags: { hashtags: [tag] } }),
    };
    if (counts.likes !== undefined || counts.shares !== undefined || counts.replies !== undefined)
      event.engagement = {
        ...(counts.likes !== undefined && { likes: counts.likes }),
        ...(counts.shares !== undefined && { shares: counts.shares }),
        ...(counts.replies !== undefined && { replies: counts.replies }),
      };
    const checked = checkSocialEvent(event);
    return checked.ok ? { ok: true, event } : { ok: false, reason: checked.reason, detail: checked.detail };
  }

  /** The first path of the field with a value (not missing, null or an empty string). */
  private pick(field: Field, row: unknown): { path: string; value: unknown } | undefined {
    for (const g of this.getters[field]) {
      const value = g.get(row);
      if (value !== undefined && value !== null && value !== '') return { path: g.path, value };
    }
    return undefined;
  }

  private looked(field: Field): string {
    const paths = this.getters[field].map((g) => g.path);
    return paths.length === 0 ? 'no column for it' : `looked at ${paths.join(', ')}`;
  }
}

function isRequired(f: Field): boolean {
  return f === 'text' || f === 'time';
}

function jsonGetter(path: string): (row: unknown) => unknown {
  const keys = path.split('.');
  return (row) => {
    const obj = row as Record<string, unknown>;
    if (Object.hasOwn(obj, path)) return obj[path];
    let v: unknown = obj;
    for (const k of keys) {
      if (typeof v !== 'object' || v === null || !Object.hasOwn(v, k)) return undefined;
      v = (v as Record<string, unknown>)[k];
    }
    return v;
  };
}

function mappingFailed(detail: string): MapOutcome {
  return { ok: false, reason: 'mapping_failed', detail };
}

function isScalar(v: unknown): v is string | number {
  return typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
}

/** The message for a numeric id that JSON could not hold exactly. */
function unsafeNumber(v: { path: string; value: unknown }): string {
  return `${v.path}: ${show(v.value)} is not a whole number JSON holds exactly (above 2^53 digits are lost); map the id as a string (e.g. id_str)`;
}
function wrongType(v: { path: string; value: unknown }, want: string): string {
  const kind = Array.isArray(v.value)
    ? 'an array'
    : typeof v.value === 'object'
      ? 'an object'
      : typeof v.value;
  return `${v.path} is ${kind}, not ${want}`;
}

function show(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function count(v: unknown): number | undefined {
  const n =
    typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+(\.0*)?\s*$/.test(v) ? Number(v) : NaN;
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

const NOT_TAG = /[^\p{L}\p{M}\p{N}_]/gu;
const LETTER = /\p{L}/u;

/** The group value as a hashtag body: letters, digits and `_` only; undefined without a letter ("#1" is a number). */
export function hashtagOf(value: string): string | undefined {
  const tag = value.normalize('NFC').replace(NOT_TAG, '');
  return LETTER.test(tag) ? tag : undefined;
}

function hasHashtag(text: string, tag: string): boolean {
  return new RegExp(`(?<![\\p{L}\\p{M}\\p{N}_])#${tag}(?![\\p{L}\\p{M}\\p{N}_])`, 'iu').test(text);
}
