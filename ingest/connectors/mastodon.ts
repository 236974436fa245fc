import { retry, retryAfter, type SocialEventInput } from '../../stream/index.js';
import {
  boundedTags,
  ConnectorFatalError,
  count,
  eventTime,
  isRecord,
  languageTag,
  message,
  ServerBusyError,
  serverWait,
  StreamConnector,
  waitUnlessAborted,
  Watchdog,
  type Mapped,
  type StreamConnectorOptions,
} from './connector.js';
import { htmlToText } from './html-text.js';
import { SseParser } from './sse.js';

export const MASTODON_SOURCE = 'mastodon';

/** A timeline to follow: its streaming endpoint, and the REST timeline that backfills it. */
export interface Timeline {
  /** As given: `public`, `public:local` or `hashtag:NAME`. */
  name: string;
  streamPath: string;
  restPath: string;
  query: Record<string, string>;
}

/** Parses `public`, `public:local` or `hashtag:NAME` (several timelines make several streams). */
export function parseTimeline(spec: string): Timeline {
  if (spec === 'public')
    return {
      name: spec,
      streamPath: '/api/v1/streaming/public',
      restPath: '/api/v1/timelines/public',
      query: {},
    };
  if (spec === 'public:local')
    return {
      name: spec,
      streamPath: '/api/v1/streaming/public/local',
      restPath: '/api/v1/timelines/public',
      query: { local: 'true' },
    };
  const tag = /^hashtag:#?([\p{L}\p{N}_]{1,100})$/u.exec(spec)?.[1];
  if (tag)
    return {
      name: `hashtag:${tag}`,
      streamPath: '/api/v1/streaming/hashtag',
      restPath: `/api/v1/timelines/tag/${encodeURIComponent(tag)}`,
      query: { tag },
    };
  throw new RangeError(
    `unknown Mastodon timeline "${spec}": expected public, public:local or hashtag:NAME (letters, digits, _)`,
  );
}

/**
 * Orders Mastodon status ids. Mastodon's are decimal snowflakes (time-ordered, compared as
 * numbers); other servers' (Pleroma's flake ids) sort as strings of equal length.
 */
export function compareIds(a: string, b: string): number {
  if (/^\d+$/.test(a) && /^\d+$/.test(b) && a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

const newer = (a: string | undefined, b: string): string => (a === undefined || compareIds(b, a) > 0 ? b : a);

/** The URL of one relation in an RFC 8288 `Link` header (Mastodon pages with `next` and `prev`). */
export function linkRel(header: string | null, rel: string): string | undefined {
  if (!header) return undefined;
  for (const m of header.matchAll(/<([^>]*)>\s*((?:;\s*[^;,]+)*)/g)) {
    const rels = /;\s*rel\s*=\s*"?([^";,]+)"?/.exec(m[2] ?? '')?.[1]?.split(/\s+/) ?? [];
    if (rels.includes(rel)) return m[1];
  }
  return undefined;
}

export interface StatusContext {
  /** Host of the instance read, so local accounts (`acct` without a domain) get one. */
  host: string;
  includeBots: boolean;
  receivedMs: number;
  maxFutureSkewMs: number;
}

/**
 * A Mastodon Status (REST entity, and the payload of a streaming `update`) as a SocialEvent.
 * Reblogs are skipped (the public timelines stream originals; a boost is counted on the original's
 * `reblogs_count`), and so are bot accounts unless `includeBots`.
 */
export function mapStatus(status: unknown, ctx: StatusContext): Mapped {
  if (!isRecord(status))
    return { kind: 'rejected', reason: 'bad_shape', detail: 'a status is not an object' };
  const { id, account, content } = status;
  if (typeof id !== 'string' || id === '')
    return { kind: 'rejected', reason: 'bad_shape', detail: 'status without an id' };
  if (status.reblog !== null && status.reblog !== undefined) return { kind: 'ignored', what: 'reblog' };
  if (!isRecord(account) || typeof account.acct !== 'string' || account.acct === '')
    return { kind: 'rejected', reason: 'bad_shape', detail: `status ${id}: no account.acct` };
  if (typeof content !== 'string')
    return { kind: 'rejected', reason: 'bad_shape', detail: `status ${id}: content is not a string` };
  if (account.bot === true && !ctx.includeBots) return { kind: 'ignored', what: 'bot' };

  const acct = account.acct.includes('@') ? account.acct : `${account.acct}@${ctx.host}`;
  const html = htmlToText(content);
  const spoiler = typeof status.spoiler_text === 'string' ? status.spoiler_text.trim() : '';
  const hashtags = list(status.tags, (t) => (typeof t.name === 'string' ? t.name.toLowerCase() : undefined));
  const mentions = list(status.mentions, (m) =>
    typeof m.acct !== 'string' ? undefined : m.acct.includes('@') ? m.acct : `${m.acct}@${ctx.host}`,
  );
  const urls = html.links.filter((l) => !/\b(mention|hashtag)\b/.test(l.className)).map((l) => l.href);
  const verified = Array.isArray(account.fields)
    ? account.fields.some((f) => isRecord(f) && typeof f.verified_at === 'string')
    : undefined;
  const { ts, clamped } = eventTime(status.created_at, ctx.receivedMs, ctx.maxFutureSkewMs);
  const lang = languageTag(status.language);
  const uri = typeof status.uri === 'string' && status.uri.length <= 256 ? status.uri : undefined;

  const event: SocialEventInput = {
    id: uri ?? `${ctx.host}/${id}`,
    source: MASTODON_SOURCE,
    ts,
    author: {
      id: acct,
      ...(count(account.followers_count) !== undefined && { followers: count(account.followers_count) }),
      ...(verified !== undefined && { verified }),
    },
    text: spoiler ? `${spoiler} ${html.text}`.trim() : html.text,
    ...(lang !== undefined && { lang }),
    tags: boundedTags(hashtags, mentions, urls),
    engagement: {
      likes: count(status.favourites_count) ?? 0,
      shares: count(status.reblogs_count) ?? 0,
      replies: count(status.replies_count) ?? 0,
    },
  };
  return { kind: 'event', event, clamped };
}

function list(v: unknown, pick: (item: Record<string, unknown>) => string | undefined): string[] {
  if (!Array.isArray(v)) return [];
  const out: string[] = [];
  for (const item of v) {
    const s = isRecord(item) ? pick(item) : undefined;
    if (s) out.push(s);
  }
  return out;
}

export interface MastodonOptions extends StreamConnectorOptions {
  /** Base URL of the instance, e.g. `https://mastodon.social`. */
  instance: string;
  /** Access token, sent as `Authorization: Bearer`; many servers need one for public timelines. */
  token?: string | undefined;
  /** `public`, `public:local`, `hashtag:NAME`; default `public`. */
  timelines?: string[];
  /** Base URL of the streaming server; default: the one `/api/v2/instance` names, else the instance. */
  streamingUrl?: string | undefined;
  /** Keep posts of accounts marked as bots (default false). */
  includeBots?: boolean;
  /** Statuses per REST page when backfilling (default 40, Mastodon's maximum). */
  pageSize?: number;
  /** Pages per backfill at most (default 25); older gaps than that stay gaps, and the log says so. */
  backfillMaxPages?: number;
  /** An SSE frame (its data lines and any unfinished line) longer than this (characters, default 1 Mi) drops the connection. */
  maxFrameBytes?: number;
  fetch?: typeof fetch;
}

/** The resume state: the newest status id acknowledged per timeline, for the instance it is from. */
export interface MastodonState {
  instance: string;
  timelines: Record<string, string>;
}

interface Position {
  timeline: string;
  id: string;
}

/**
 * Follows Mastodon timelines through the streaming API's server-sent events endpoints, one
 * connection per timeline. After a reconnect (and at start, with a saved position) it first reads
 * what it missed from the REST timeline, paging forward from the newest id it had with `min_id`
 * and the `Link` header, then reads the stream, which the server held meanwhile; statuses the
 * backfill already delivered are skipped there.
 */
export class MastodonConnector extends StreamConnector<Position, MastodonState> {
  private readonly instance: string;
  private readonly host: string;
  private readonly timelines: Timeline[];
  private readonly fetch: typeof fetch;
  /** Newest status id handed over per timeline (acknowledged or not): where a reconnect resumes. */
  private readonly newest = new Map<string, string>();
  private readonly pageSize: number;
  private readonly backfillMaxPages: number;
  private readonly maxFrameBytes: number;

  constructor(private readonly o: MastodonOptions) {
    super('mastodon', o);
    let url: URL;
    try {
      url = new URL(o.instance);
    } catch {
      throw new RangeError(`not a URL: "${o.instance}" (expected e.g. https://mastodon.social)`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw new RangeError(`the instance URL must be http(s), got "${o.instance}"`);
    this.instance = url.origin;
    this.host = url.host;
    this.timelines = (o.timelines?.length ? o.timelines : ['public']).map(parseTimeline);
    const names = this.timelines.map((t) => t.name);
    if (new Set(names).size !== names.length)
      throw new RangeError(`a timeline is listed twice: ${names.join(', ')}`);
    this.fetch = o.fetch ?? fetch;
    this.pageSize = Math.min(40, Math.max(1, o.pageSize ?? 40));
    this.backfillMaxPages = o.backfillMaxPages ?? 25;
    this.maxFrameBytes = o.maxFrameBytes ?? 1024 * 1024;
  }

  protected override restore(saved: MastodonState | undefined): void {
    if (!saved) return;
    if (saved.instance !== this.instance)
      throw new ConnectorFatalError(
        `the state file holds positions of ${saved.instance}, not ${this.instance}; use another --state file`,
      );
    for (const [name, id] of Object.entries(saved.timelines ?? {})) this.newest.set(name, id);
  }

  protected override advance(
    saved: MastodonState | undefined,
    positions: readonly Position[],
  ): MastodonState {
    const timelines = { ...saved?.timelines };
    for (const p of positions) timelines[p.timeline] = newer(timelines[p.timeline], p.id);
    return { instance: this.instance, timelines };
  }

  protected override async connect(signal: AbortSignal): Promise<void> {
    const base = await this.streamingBase(signal);
    await Promise.all(
      this.timelines.map((t) => this.keepConnected(t.name, () => this.session(t, base, signal))),
    );
  }

  /** One connection: open the stream, backfill what was missed, then read the stream until it ends. */
  private async session(t: Timeline, base: string, signal: AbortSignal): Promise<void> {
    const conn = linked(signal);
    let stalled = false;
    const watchdog = new Watchdog(this.stallTimeoutMs, () => {
      stalled = true;
      this.counts.stalls++;
      conn.abort();
    });
    let open = false;
    try {
      const url = withQuery(base + t.streamPath, t.query);
      const res = await this.fetch(url, {
        headers: { ...this.auth(), accept: 'text/event-stream' },
        signal: conn.signal,
      });
      if (!res.ok || !res.body) await refuse(res, `streaming ${t.name}`);
      open = true;
      this.counts.connections++;
      this.log(`mastodon: streaming ${t.name} from ${base}`);

      // The server holds what it streams while the backfill runs: nothing falls between the two.
      watchdog.pause();
      const since = this.newest.get(t.name);
      let backfilled = new Set<string>();
      if (since === undefined) await this.markLiveEdge(t, conn.signal);
      else backfilled = await this.backfill(t, since, conn.signal);
      watchdog.resume();

      const parser = new SseParser();
      const decoder = new TextDecoder();
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        watchdog.kick();
        for (const frame of parser.push(decoder.decode(chunk, { stream: true }))) {
          const wait = this.onFrame(t, frame.event, frame.data, backfilled);
          if (wait) {
            watchdog.pause();
            await waitUnlessAborted(wait, conn.signal);
            conn.signal.throwIfAborted();
            watchdog.resume();
          }
        }
        if (parser.buffered > this.maxFrameBytes) {
          this.reject('frame_too_large', `${t.name}: a frame over ${this.maxFrameBytes} characters`);
          throw new Error(`a frame over ${this.maxFrameBytes} characters`);
        }
      }
      throw new Error('the server ended the stream');
    } catch (err) {
      if (signal.aborted) return;
      if (stalled) throw new Error(`no data or heartbeat for ${this.stallTimeoutMs} ms`, { cause: err });
      if (err instanceof ConnectorFatalError) throw err;
      const cause = (err as { cause?: unknown }).cause;
      throw new Error(`${message(err)}${cause ? ` (${message(cause)})` : ''}`, { cause: err });
    } finally {
      watchdog.stop();
      conn.abort();
      conn.dispose();
      if (open) this.counts.connections--;
    }
  }

  private onFrame(
    t: Timeline,
    event: string,
    data: string,
    backfilled: Set<string>,
  ): Promise<void> | undefined {
    this.counts.received++;
    if (event !== 'update') {
      this.ignore(
        event === 'delete' ? 'delete' : event === 'status.update' ? 'edit' : `event:${event}`.slice(0, 40),
      );
      return undefined;
    }
    let status: unknown;
    try {
      status = JSON.parse(data);
    } catch (err) {
      this.reject('invalid_json', `${t.name}: ${message(err)}: ${data.slice(0, 120)}`);
      return undefined;
    }
    if (isRecord(status) && typeof status.id === 'string' && backfilled.has(status.id)) {
      this.ignore('backfill_overlap');
      return undefined;
    }
    return this.onStatus(t, status);
  }

  private onStatus(t: Timeline, status: unknown): Promise<void> | undefined {
    const mapped = mapStatus(status, {
      host: this.host,
      includeBots: this.o.includeBots ?? false,
      receivedMs: this.now(),
      maxFutureSkewMs: this.maxFutureSkewMs,
    });
    // Any status with an id moves the resume point, whether it is sent, skipped or refused.
    const id = isRecord(status) && typeof status.id === 'string' ? status.id : undefined;
    if (id === undefined) return this.handOver(mapped, { timeline: t.name, id: '' });
    this.newest.set(t.name, newer(this.newest.get(t.name), id));
    return this.handOver(mapped, { timeline: t.name, id });
  }

  /**
   * Without a position the stream starts at the live edge. The newest status of the REST timeline
   * (or `0` when it has none yet) becomes the position a reconnect backfills from, so a quiet
   * timeline (no status read yet) misses nothing while its stream is down. A failure is only logged.
   */
  private async markLiveEdge(t: Timeline, signal: AbortSignal): Promise<void> {
    try {
      const url = withQuery(this.instance + t.restPath, { ...t.query, limit: '1' });
      const { statuses } = await this.page(url, signal);
      const first = statuses[0];
      const id = isRecord(first) && typeof first.id === 'string' && first.id !== '' ? first.id : '0';
      if (!this.newest.has(t.name)) this.newest.set(t.name, id);
    } catch (err) {
      if (signal.aborted) throw err;
      this.log(
        `mastodon: could not read the newest status of ${t.name} (${message(err)}); a disconnect before its first status may miss some`,
      );
    }
  }

  /**
   * Reads the REST timeline forward from `since`: `min_id` gives the page just after it (newest
   * first, so each page is handed over reversed), and the `prev` link the page after that.
   * Returns the ids it handed over, so the stream can skip them.
   */
  private async backfill(t: Timeline, since: string, signal: AbortSignal): Promise<Set<string>> {
    const seen = new Set<string>();
    let url: string | undefined = withQuery(this.instance + t.restPath, {
      ...t.query,
      limit: String(this.pageSize),
      min_id: since,
    });
    let pages = 0;
    while (url !== undefined && !signal.aborted) {
      if (pages === this.backfillMaxPages) {
        this.log(
          `mastodon: backfill of ${t.name} stopped after ${pages} pages (${seen.size} statuses); statuses between them and the live stream are missed`,
        );
        this.ignore('backfill_truncated');
        break;
      }
      const page: { statuses: unknown[]; prev: string | undefined } = await this.page(url, signal);
      pages++;
      for (const status of page.statuses.reverse()) {
        this.counts.received++;
        this.counts.backfilled++;
        if (isRecord(status) && typeof status.id === 'string') seen.add(status.id);
        const wait = this.onStatus(t, status);
        if (wait) {
          await waitUnlessAborted(wait, signal);
          signal.throwIfAborted();
        }
      }
      url = page.statuses.length > 0 ? page.prev : undefined;
    }
    if (seen.size > 0) this.log(`mastodon: backfilled ${seen.size} statuses of ${t.name}`);
    return seen;
  }

  private async page(
    url: string,
    signal: AbortSignal,
  ): Promise<{ statuses: unknown[]; prev: string | undefined }> {
    return retry(
      () =>
        this.withTimeout(signal, async (s) => {
          const res = await this.fetch(url, { headers: this.auth(), signal: s });
          if (!res.ok) await refuse(res, `timeline ${new URL(url).pathname}`);
          const body: unknown = await res.json();
          if (!Array.isArray(body)) throw new Error(`${url}: the reply is not a list of statuses`);
          const prev = linkRel(res.headers.get('link'), 'prev');
          // Follow links only on the instance itself: the token must not go anywhere else.
          const next = prev === undefined ? undefined : new URL(prev, this.instance);
          return { statuses: body, prev: next?.origin === this.instance ? next.href : undefined };
        }),
      {
        retries: 4,
        initialMs: this.o.initialBackoffMs ?? 500,
        maxMs: this.o.maxBackoffMs ?? 60_000,
        retryable: (err) => !(err instanceof ConnectorFatalError),
        delayFor: serverWait,
        onRetry: (err, attempt, delayMs) =>
          this.log(`mastodon: backfill page failed (${message(err)}); retry ${attempt} in ${delayMs} ms`),
        signal,
      },
    );
  }

  /** The streaming server's base URL: given, or named by the instance (it is often another host). */
  private async streamingBase(signal: AbortSignal): Promise<string> {
    if (this.o.streamingUrl) return this.o.streamingUrl.replace(/\/+$/, '');
    try {
      const streaming = await this.withTimeout(signal, async (s) => {
        const res = await this.fetch(`${this.instance}/api/v2/instance`, { signal: s });
        if (!res.ok) return undefined;
        const body = (await res.json()) as { configuration?: { urls?: { streaming?: unknown } } };
        return body.configuration?.urls?.streaming;
      });
      if (typeof streaming === 'string' && /^wss?:\/\//.test(streaming))
        return streaming.replace(/^ws/, 'http').replace(/\/+$/, '');
    } catch (err) {
      this.log(
        `mastodon: could not read ${this.instance}/api/v2/instance (${message(err)}); streaming from the instance`,
      );
    }
    return this.instance;
  }

  /** Runs one request, aborted by `signal` or after the stall timeout. */
  private async withTimeout<T>(signal: AbortSignal, request: (s: AbortSignal) => Promise<T>): Promise<T> {
    const conn = linked(signal);
    const timer = setTimeout(() => conn.abort(), this.stallTimeoutMs);
    try {
      return await request(conn.signal);
    } catch (err) {
      if (conn.signal.aborted && !signal.aborted)
        throw new Error(`no reply within ${this.stallTimeoutMs} ms`, { cause: err });
      throw err;
    } finally {
      clearTimeout(timer);
      conn.dispose();
    }
  }

  private auth(): Record<string, string> {
    return this.o.token ? { authorization: `Bearer ${this.o.token}` } : {};
  }
}

/** Throws for a reply that is not a stream or a page: fatal when no retry can help. */
async function refuse(res: Response, what: string): Promise<never> {
  const body = (await res.text().catch(() => '')).slice(0, 200);
  const detail = `${what}: HTTP ${res.status}${body ? ` ${body}` : ''}`;
  if (res.status === 401 || res.status === 403)
    throw new ConnectorFatalError(
      `${detail}; the instance refused the access token (set --token or PW_MASTODON_TOKEN to a valid token)`,
    );
  if (res.status === 404 || res.status === 400 || res.status === 422) throw new ConnectorFatalError(detail);
  if (res.status === 429 || res.status === 503) {
    // Mastodon's rate limit names its reset time (X-RateLimit-Reset, ISO 8601), not a Retry-After
    const wait =
      retryAfter(res.headers.get('retry-after')) ?? retryAfter(res.headers.get('x-ratelimit-reset'));
    if (wait !== undefined)
      throw new ServerBusyError(`${detail}; the instance asks to wait ${Math.ceil(wait / 1000)} s`, wait);
  }
  if (res.ok) throw new Error(`${what}: the reply has no body`);
  throw new Error(detail);
}

function withQuery(url: string, query: Record<string, string>): string {
  const u = new URL(url);
  for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
  return u.href;
}

/** An abort controller that also aborts when `parent` does; `dispose` unhooks it from the parent. */
function linked(parent: AbortSignal): { signal: AbortSignal; abort(): void; dispose(): void } {
  const c = new AbortController();
  const abort = () => c.abort();
  if (parent.aborted) c.abort();
  else parent.addEventListener('abort', abort, { once: true });
  return { signal: c.signal, abort, dispose: () => parent.removeEventListener('abort', abort) };
}
