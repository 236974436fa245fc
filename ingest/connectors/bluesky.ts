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
 * before it and meet it again, forever. A larger one does drop it, and the next connection starts
 * just past it (found by its time_us: JetstreamConnector.onOversized).
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
  /**
   * The WebSocket's limit, bytes (default {@link MAX_FRAME_BYTES}, at least `maxMessageBytes`): a
   * message over it drops the connection at its header, and is skipped by its time_us (see
   * `session`). Settable for tests.
   */
  maxFrameBytes?: number;
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
  private readonly maxFrameBytes: number;
  /** Newest time_us read (of any message): where a reconnect resumes, before the rewind. */
  private lastTimeUs: number | undefined;
  /**
   * Posts handed over (after a restart: acknowledged before it) within the rewind before
   * `lastTimeUs`, id → time_us: a reconnect or restart reads them again, and they are skipped.
   */
  private readonly recent = new Map<string, number>();
  /**
   * Looking for the cursor just past a message over the frame limit (its time_us T, unread: the
   * connection drops at its header): `lo` ≤ T < `hi` (unknown until a probe finds a message after
   * it). Each probe connects with a cursor between the two and looks only at the first message:
   * the large one again (T ≥ cursor) or another (T < cursor, as nothing lies between the last
   * message read and T). Done when `hi` = `lo` + 1 = T + 1: nothing but T is skipped.
   */
  private skip: { lo: number; hi: number | undefined; probes: number; after: number | undefined } | undefined;
  /** The time_us of the message onMessage read last, when it had one. */
  private readTimeUs: number | undefined;
  /** The cursor of the next connection, once a search is done (instead of the rewind). */
  private resumeAt: number | undefined;

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
    this.maxFrameBytes = Math.max(this.maxMessageBytes, o.maxFrameBytes ?? MAX_FRAME_BYTES);
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
    const cursor = this.nextCursor();
    if (cursor !== undefined) u.searchParams.set('cursor', String(cursor));
    return u.href;
  }

  /** The cursor of the next connection: a probe's, past a skipped message, or the rewind before the last read. */
  private nextCursor(): number | undefined {
    const skip = this.skip;
    if (skip !== undefined)
      return skip.hi === undefined
        ? skip.lo + 2 ** Math.min(skip.probes, 52) // 1, 2, 4, … µs on until past it (2⁵² µs: past any time_us)
        : skip.lo + Math.floor((skip.hi - skip.lo) / 2);
    if (this.resumeAt !== undefined) return this.resumeAt;
    return this.lastTimeUs === undefined ? undefined : Math.max(0, this.lastTimeUs - this.rewindUs);
  }

  /**
   * Connects again and again while a search for the cursor past a message over the frame limit
   * goes on (no backoff: each probe is one short connection), else once.
   */
  private async session(signal: AbortSignal): Promise<void> {
    while ((await this.connection(signal)) === 'probe' && !signal.aborted);
  }

  /**
   * A message over the frame limit dropped the connection after `lastRead` (the time_us of the
   * last message read on it, if any) on a connection opened at `cursor`. Starts or narrows the
   * search for the cursor past it; returns whether to probe (else: reconnect as after any error).
   */
  private onOversized(cursor: number | undefined, lastRead: number | undefined): boolean {
    const skip = this.skip;
    if (skip !== undefined && lastRead === undefined && cursor !== undefined) {
      // A probe met it first: it is at or after the cursor.
      skip.lo = cursor;
      skip.probes++;
      return this.searched(skip);
    }
    const lo = lastRead !== undefined ? lastRead + 1 : cursor;
    if (lo === undefined) {
      // Read at the live edge with nothing before it: the next connection (live again) is past it.
      this.skipped('the live edge', undefined);
      return false;
    }
    this.skip = { lo, hi: undefined, probes: 0, after: lastRead };
    this.log(
      `bluesky: a message over ${this.maxFrameBytes} bytes after time_us ${lastRead ?? `${cursor} (the cursor)`} dropped the connection; looking for the cursor just past it`,
    );
    return true;
  }

  /** A probe found a message after it at `cursor`. Returns whether to go on probing (else read on). */
  private onProbeAnswered(cursor: number): boolean {
    const skip = this.skip!;
    skip.hi = cursor;
    skip.probes++;
    if (skip.hi - skip.lo > 1) return true;
    this.resumeAt = undefined;
    this.skip = undefined;
    this.skipped(`time_us ${skip.lo}`, skip);
    return false;
  }

  /** After a probe narrowed the search: done (connect at `hi`), or probe on. Gives up past MAX_SKIP_PROBES. */
  private searched(skip: NonNullable<JetstreamConnector['skip']>): boolean {
    if (skip.probes > MAX_SKIP_PROBES) {
      this.skip = undefined;
      throw new ConnectorFatalError(
        `a message over ${this.maxFrameBytes} bytes after time_us ${skip.after} could not be got past in ${MAX_SKIP_PROBES} connections (the server does not replay from the cursor asked for?)`,
      );
    }
    if (skip.hi === undefined || skip.hi - skip.lo > 1) return true;
    this.skip = undefined;
    this.resumeAt = skip.hi;
    this.skipped(`time_us ${skip.lo}`, skip);
    return true; // one more connection: at `hi`, read on from there
  }

  /** Counts the message over the frame limit as received and refused (`frame_too_large`), once. */
  private skipped(where: string, skip: NonNullable<JetstreamConnector['skip']> | undefined): void {
    this.counts.received++;
    this.reject(
      'frame_too_large',
      `a message over ${this.maxFrameBytes} bytes (the connection's limit) at ${where}: skipped${skip ? `, found in ${skip.probes} connections; reading on from cursor ${skip.lo + 1}` : ''}`,
    );
  }

  /**
   * One connection, until it closes. Resolves with 'probe' when it was a probe of the search past
   * a message over the frame limit (or started one), so that the next one follows at once.
   */
  private connection(signal: AbortSignal): Promise<'probe' | undefined> {
    return new Promise<'probe' | undefined>((resolve, reject) => {
      const cursor = this.nextCursor();
      const url = this.subscribeUrl();
      if (cursor === this.resumeAt) this.resumeAt = undefined;
      /** The time_us of the last message read on this connection, when it had one. */
      let lastRead: number | undefined;
      let probing = this.skip !== undefined && cursor !== undefined;
      let ended = false;
      const ws = new WebSocket(url, {
        handshakeTimeout: this.stallTimeoutMs,
        maxPayload: this.maxFrameBytes,
      });
      let open = false;
      let pinger: ReturnType<typeof setInterval> | undefined;
      const finish = (err?: Error, next?: 'probe') => {
        ended = true;
        watchdog.stop();
        clearInterval(pinger);
        signal.removeEventListener('abort', onAbort);
        if (open) this.counts.connections--;
        open = false;
        if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
        if (err && !signal.aborted) reject(err);
        else resolve(next);
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
        if (ended) return;
        watchdog.kick();
        if (probing) {
          // A message of a probe before the large one: it lies before this cursor. (One whose
          // time_us cannot be read may lie before the large one: the next one tells.)
          if (this.messageTimeUs(data, isBinary) === undefined) return;
          probing = false;
          if (this.onProbeAnswered(cursor!)) return finish(undefined, 'probe');
        }
        if (byteLength(data) > this.maxMessageBytes) {
          lastRead = scanTimeUs(data) ?? lastRead;
          this.onTooLarge(data);
          return;
        }
        const wait = this.onMessage(isBinary ? undefined : rawText(data));
        lastRead = this.readTimeUs ?? lastRead;
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
      ws.on('error', (err) => {
        if (ended) return;
        if ((err as { code?: string }).code !== 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') return finish(err);
        // A message over the frame limit: the same one comes again after a reconnect with the
        // rewind, so the next connection starts past it (found by its time_us), not before it.
        try {
          if (this.onOversized(cursor, lastRead)) return finish(undefined, 'probe');
        } catch (fatal) {
          return finish(fatal as Error);
        }
        finish(err);
      });
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

  /** A message's time_us when it can be read (parsed, or found in one too large to parse). */
  private messageTimeUs(data: WebSocket.RawData, isBinary: boolean): number | undefined {
    if (isBinary || byteLength(data) > this.maxMessageBytes) return scanTimeUs(data);
    try {
      const msg: unknown = JSON.parse(rawText(data));
      return isRecord(msg) && Number.isSafeInteger(msg.time_us) ? (msg.time_us as number) : undefined;
    } catch {
      return scanTimeUs(data);
    }
  }

  private onMessage(text: string | undefined): Promise<void> | undefined {
    this.readTimeUs = undefined;
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
    this.readTimeUs = mapped.timeUs;
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

/**
 * Connections at most to find the cursor past one message over the frame limit: about twice the
 * bits of its distance in µs from the message before it (doubling, then halving), and some spare.
 */
const MAX_SKIP_PROBES = 122;

/**
 * The time_us of a message too large to parse: the first `"time_us":<digits>` in it (a key: in a
 * string value the quotes would be escaped), so that it still marks where it was read.
 */
function scanTimeUs(data: WebSocket.RawData): number | undefined {
  const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
  const key = buffer.indexOf('"time_us":');
  if (key < 0) return undefined;
  const m = /^\s*(\d{1,16})[,}\s]/.exec(buffer.subarray(key + 10, key + 40).toString('latin1'));
  const v = m ? Number(m[1]) : Number.NaN;
  return Number.isSafeInteger(v) ? v : undefined;
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
