import WebSocket from 'ws';
import type { SocialEventInput } from '../../stream/index.js';
import {
  boundedTags,
  ConnectorFatalError,
  eventTime,
  isRecord,
  languageTag,
  message,
  StreamConnector,
  Watchdog,
  type Mapped,
  type StreamConnectorOptions,
} from './connector.js';

export const BLUESKY_SOURCE = 'bluesky';
export const POST_COLLECTION = 'app.bsky.feed.post';
export const DEFAULT_JETSTREAM_URL = 'wss://jetstream2.us-east.bsky.network/subscribe';

const FACET = 'app.bsky.richtext.facet';
/**
 * Messages up to this size are read whole even when over `maxMessageBytes`, so that one can be
 * skipped and the connection kept: a connection dropped for it would resume (with the rewind)
 * before it and meet it again, forever.
 */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;
const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** A mapped Jetstream message, with its `time_us` when it has one (the resume cursor). */
export type JetstreamMapped = Mapped & { timeUs?: number };

/**
 * One decoded Jetstream message as a SocialEvent: creates of `app.bsky.feed.post` become events;
 * updates and deletes of posts, other collections, and `identity` / `account` messages are skipped
 * by kind. Event time is the record's `createdAt`, unless the client clock is absurd (see eventTime);
 * then the time Jetstream received it (`time_us`).
 */
export function mapJetstream(msg: unknown, maxFutureSkewMs: number): JetstreamMapped {
  if (!isRecord(msg)) return { kind: 'rejected', reason: 'bad_shape', detail: 'a message is not an object' };
  const { did, time_us: timeUs, kind } = msg;
  if (
    typeof did !== 'string' ||
    !did.startsWith('did:') ||
    !Number.isSafeInteger(timeUs) ||
    typeof kind !== 'string'
  )
    return { kind: 'rejected', reason: 'bad_shape', detail: 'a message without did, time_us or kind' };
  const at = { timeUs: timeUs as number };
  if (kind !== 'commit') return { kind: 'ignored', what: kind.slice(0, 40), ...at };
  const commit = msg.commit;
  if (!isRecord(commit) || typeof commit.collection !== 'string' || typeof commit.operation !== 'string')
    return {
      kind: 'rejected',
      reason: 'bad_shape',
      detail: `${did}: a commit without collection or operation`,
      ...at,
    };
  if (commit.collection !== POST_COLLECTION) return { kind: 'ignored', what: 'other_collection', ...at };
  if (commit.operation !== 'create') return { kind: 'ignored', what: commit.operation.slice(0, 40), ...at };
  const { rkey, record } = commit;
  if (typeof rkey !== 'string' || rkey === '' || !isRecord(record) || typeof record.text !== 'string')
    return {
      kind: 'rejected',
      reason: 'bad_shape',
      detail: `${did}: a post create without rkey or record.text`,
      ...at,
    };

  const text = record.text;
  const { ts, clamped } = eventTime(record.createdAt, (timeUs as number) / 1000, maxFutureSkewMs);
  const tags = facetTags(text, record.facets);
  const external =
    isRecord(record.embed) && isRecord(record.embed.external) ? record.embed.external.uri : undefined;
  if (typeof external === 'string') tags.urls.push(external);
  const lang = Array.isArray(record.langs) ? languageTag(record.langs[0]) : undefined;
  const event: SocialEventInput = {
    id: `at://${did}/${POST_COLLECTION}/${rkey}`,
    source: BLUESKY_SOURCE,
    ts,
    author: { id: did },
    text,
    ...(lang && { lang }),
    tags: boundedTags(tags.hashtags, tags.mentions, tags.urls),
  };
  return { kind: 'event', event, clamped, ...at };
}

/**
 * Hashtags, mentions and links from a post's rich-text facets. A mention facet carries the DID;
 * the handle as written is the facet's byte range of the UTF-8 text, used when it reads `@…`.
 */
function facetTags(
  text: string,
  facets: unknown,
): { hashtags: string[]; mentions: string[]; urls: string[] } {
  const out = { hashtags: [] as string[], mentions: [] as string[], urls: [] as string[] };
  if (!Array.isArray(facets)) return out;
  let bytes: Uint8Array | undefined;
  for (const facet of facets) {
    if (!isRecord(facet) || !Array.isArray(facet.features)) continue;
    for (const f of facet.features) {
      if (!isRecord(f)) continue;
      if (f.$type === `${FACET}#tag` && typeof f.tag === 'string')
        out.hashtags.push(f.tag.replace(/^#/, '').toLowerCase());
      else if (f.$type === `${FACET}#link` && typeof f.uri === 'string') out.urls.push(f.uri);
      else if (f.$type === `${FACET}#mention` && typeof f.did === 'string') {
        bytes ??= utf8.encode(text);
        const index = isRecord(facet.index) ? facet.index : {};
        const { byteStart, byteEnd } = index;
        const written =
          Number.isSafeInteger(byteStart) && Number.isSafeInteger(byteEnd)
            ? utf8Decoder.decode(bytes.subarray(byteStart as number, byteEnd as number))
            : '';
        out.mentions.push(/^@[^\s@]+$/.test(written) ? written.slice(1).toLowerCase() : f.did);
      }
    }
  }
  return out;
}

export interface JetstreamOptions extends StreamConnectorOptions {
  /** The subscribe endpoint (default DEFAULT_JETSTREAM_URL). */
  url?: string;
  /** Only these accounts (Jetstream's `wantedDids`, up to 10,000). */
  wantedDids?: string[];
  /**
   * A reconnect asks for `cursor` = the last time_us read minus this (default 5 s), as Jetstream
   * advises for gapless playback; the repeats are absorbed by the de-duplication by event id.
   */
  rewindMs?: number;
  /**
   * Largest message accepted, bytes (default 1 MiB); a larger one is counted as `frame_too_large`
   * and skipped. Only one over {@link MAX_FRAME_BYTES} (or this, if larger) drops the connection.
   */
  maxMessageBytes?: number;
}

/** The resume state: `time_us` of the newest event the sink acknowledged. */
export interface JetstreamState {
  cursor: number;
  /**
   * The posts acknowledged within the rewind before `cursor`, id → time_us. A resume reads them
   * again (it starts the rewind before the cursor) and skips them: sent again, they would be counted
   * twice by a pipeline whose de-duplication window has passed since.
   */
  recent?: Record<string, number>;
}

/** Where a message was read: its time_us and, for a post, its id. */
interface Position {
  timeUs: number;
  id: string | undefined;
}

/**
 * Reads Bluesky posts from a Jetstream instance over WebSocket. Jetstream sends no heartbeat, so
 * the connector pings (a third of the stall timeout apart) and any message or pong counts as life.
 */
export class JetstreamConnector extends StreamConnector<Position, JetstreamState> {
  private readonly url: URL;
  private readonly rewindUs: number;
  private readonly maxMessageBytes: number;
  /** Newest time_us read (of any message): where a reconnect resumes, before the rewind. */
  private lastTimeUs: number | undefined;
  /**
   * Posts handed over (after a restart: acknowledged before it) within the rewind before
   * `lastTimeUs`, id → time_us: a reconnect or restart reads them again, and they are skipped.
   */
  private readonly recent = new Map<string, number>();

  constructor(private readonly o: JetstreamOptions) {
    super('bluesky', o);
    try {
      this.url = new URL(o.url ?? DEFAULT_JETSTREAM_URL);
    } catch {
      throw new RangeError(`not a URL: "${o.url}" (expected e.g. ${DEFAULT_JETSTREAM_URL})`);
    }
    if (this.url.protocol !== 'wss:' && this.url.protocol !== 'ws:')
      throw new RangeError(`the Jetstream URL must be ws(s), got "${o.url}"`);
    for (const did of o.wantedDids ?? [])
      if (!/^did:[a-z]+:[a-zA-Z0-9._:%-]+$/.test(did)) throw new RangeError(`not a DID: "${did}"`);
    if ((o.wantedDids?.length ?? 0) > 10_000)
      throw new RangeError('Jetstream takes at most 10,000 wanted DIDs');
    this.rewindUs = (o.rewindMs ?? 5000) * 1000;
    this.maxMessageBytes = o.maxMessageBytes ?? 1024 * 1024;
  }

  protected override restore(saved: JetstreamState | undefined): void {
    if (saved === undefined) return;
    if (!Number.isSafeInteger(saved.cursor) || saved.cursor <= 0)
      throw new ConnectorFatalError(`the state file has no valid cursor: ${JSON.stringify(saved)}`);
    this.lastTimeUs = saved.cursor;
    for (const [id, timeUs] of recentOf(saved).sort((a, b) => a[1] - b[1])) this.recent.set(id, timeUs);
  }

  protected override advance(
    saved: JetstreamState | undefined,
    positions: readonly Position[],
  ): JetstreamState {
    const cursor = Math.max(saved?.cursor ?? 0, ...positions.map((p) => p.timeUs));
    const recent: Record<string, number> = {};
    for (const [id, timeUs] of recentOf(saved)) recent[id] = timeUs;
    for (const p of positions) if (p.id !== undefined) recent[p.id] = p.timeUs;
    for (const [id, timeUs] of Object.entries(recent)) if (timeUs < cursor - this.rewindUs) delete recent[id];
    return { cursor, recent };
  }

  /** The saved cursor, without the posts remembered for the next resume (too long for a log line). */
  protected override position(): unknown {
    const saved = super.position() as JetstreamState | undefined;
    return saved && { cursor: saved.cursor };
  }

  protected override connect(signal: AbortSignal): Promise<void> {
    return this.keepConnected('jetstream', () => this.session(signal));
  }

  /** The subscribe URL for the next connection: posts only, the wanted DIDs, and the cursor. */
  subscribeUrl(): string {
    const u = new URL(this.url);
    u.searchParams.delete('wantedCollections');
    u.searchParams.append('wantedCollections', POST_COLLECTION);
    for (const did of this.o.wantedDids ?? []) u.searchParams.append('wantedDids', did);
    u.searchParams.delete('cursor');
    if (this.lastTimeUs !== undefined)
      u.searchParams.set('cursor', String(Math.max(0, this.lastTimeUs - this.rewindUs)));
    return u.href;
  }

  private session(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const url = this.subscribeUrl();
      const ws = new WebSocket(url, {
        handshakeTimeout: this.stallTimeoutMs,
        maxPayload: Math.max(this.maxMessageBytes, MAX_FRAME_BYTES),
      });
      let open = false;
      let pinger: ReturnType<typeof setInterval> | undefined;
      const finish = (err?: Error) => {
        watchdog.stop();
        clearInterval(pinger);
        signal.removeEventListener('abort', onAbort);
        if (open) this.counts.connections--;
        open = false;
        if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
        if (err && !signal.aborted) reject(err);
        else resolve();
      };
      const watchdog = new Watchdog(this.stallTimeoutMs, () => {
        this.counts.stalls++;
        finish(new Error(`no message or pong for ${this.stallTimeoutMs} ms`));
      });
      const onAbort = () => finish();
      signal.addEventListener('abort', onAbort, { once: true });

      ws.on('open', () => {
        open = true;
        this.counts.connections++;
        watchdog.kick();
        this.log(`bluesky: connected to ${url}`);
        pinger = setInterval(() => ws.ping(), Math.max(10, Math.floor(this.stallTimeoutMs / 3)));
      });
      ws.on('pong', () => watchdog.kick());
      ws.on('message', (data, isBinary) => {
        watchdog.kick();
        if (byteLength(data) > this.maxMessageBytes) {
          this.onTooLarge(data);
          return;
        }
        const wait = this.onMessage(isBinary ? undefined : rawText(data));
        if (wait) {
          // Stop reading until the sink has caught up; a pause is not a stall.
          ws.pause();
          watchdog.pause();
          void wait.then(() => {
            watchdog.resume();
            ws.resume();
          });
        }
      });
      ws.on('unexpected-response', (_req, res) => {
        const status = res.statusCode ?? 0;
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body = (body + c).slice(0, 200)));
        res.on('end', () => {
          const detail = `Jetstream answered HTTP ${status}${body ? `: ${body.trim()}` : ''}`;
          finish(
            status >= 400 && status < 500 && status !== 429
              ? new ConnectorFatalError(detail)
              : new Error(detail),
          );
        });
        res.on('error', () => finish(new Error(`Jetstream answered HTTP ${status}`)));
      });
      ws.on('error', (err) => finish(err));
      ws.on('close', (code, reason) =>
        finish(new Error(`the connection closed (${code}${reason.length ? ` ${reason.toString()}` : ''})`)),
      );
    });
  }

  /** Counts and skips a message over the size limit without parsing it; the connection stays. */
  private onTooLarge(data: WebSocket.RawData): void {
    this.counts.received++;
    this.reject(
      'frame_too_large',
      `a message of ${byteLength(data)} bytes, over ${this.maxMessageBytes}: ${rawText(data, 120)}`,
    );
  }

  private onMessage(text: string | undefined): Promise<void> | undefined {
    this.counts.received++;
    if (text === undefined) {
      this.reject('bad_shape', 'a binary message (compression is not requested)');
      return undefined;
    }
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch (err) {
      this.reject('invalid_json', `${message(err)}: ${text.slice(0, 120)}`);
      return undefined;
    }
    const mapped = mapJetstream(msg, this.maxFutureSkewMs);
    const timeUs = mapped.timeUs ?? 0;
    if (mapped.timeUs !== undefined) this.lastTimeUs = Math.max(this.lastTimeUs ?? 0, timeUs);
    this.forget();
    if (mapped.kind !== 'event') return this.handOver(mapped, { timeUs, id: undefined });
    const id = mapped.event.id;
    if (this.recent.has(id)) {
      this.ignore('rewind_overlap');
      return undefined;
    }
    this.recent.set(id, timeUs);
    return this.handOver(mapped, { timeUs, id });
  }

  /** Drops the posts that are older than the rewind before the newest message read. */
  private forget(): void {
    const from = (this.lastTimeUs ?? 0) - this.rewindUs;
    // In the order read, which is time_us order but for what a restart carried over.
    for (const [id, timeUs] of this.recent) {
      if (timeUs >= from) break;
      this.recent.delete(id);
    }
  }
}

/** The valid entries of a saved state's `recent`. */
function recentOf(saved: JetstreamState | undefined): [string, number][] {
  const recent = saved?.recent;
  if (typeof recent !== 'object' || recent === null) return [];
  return Object.entries(recent).filter(([, timeUs]) => Number.isSafeInteger(timeUs));
}

/** A message's text, or the text of its first `maxBytes` bytes. */
function rawText(data: WebSocket.RawData, maxBytes = Number.POSITIVE_INFINITY): string {
  const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
  return buffer.subarray(0, Math.min(buffer.length, maxBytes)).toString('utf8');
}

function byteLength(data: WebSocket.RawData): number {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0);
  return data.byteLength;
}
