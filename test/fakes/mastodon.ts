import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local Mastodon that speaks the parts of the real API the connector uses (docs.joinmastodon.org):
 * server-sent events on `/api/v1/streaming/public`, `/public/local` and `/hashtag?tag=` (`event:
 * update` with a Status, `event: delete` with an id, `:thump` heartbeats), the REST timelines
 * `/api/v1/timelines/public` and `/api/v1/timelines/tag/:tag` with `limit`, `max_id`, `since_id`,
 * `min_id` and a `Link` header, `/api/v2/instance` naming the streaming server, and a bearer-token
 * check. Tests drive it: publish statuses, cut or stall streams, inject raw frames.
 */
export interface FakeMastodon {
  readonly url: string;
  /** `host:port`, which the connector appends to local accounts' `acct`. */
  readonly host: string;
  /** Every request, as `METHOD /path?query`. */
  readonly requests: string[];
  /** Stores a status (REST timelines) and streams it to the open streams it belongs to. */
  publish(status: Status): void;
  /** Streams `event: delete` for an id. */
  deleteStatus(id: string): void;
  /** Writes raw text to every open, non-stalled stream (malformed frames). */
  sendRaw(text: string): void;
  /** Ends every open stream abruptly (a server restart or a network cut). */
  dropStreams(): void;
  /** The streams open now get nothing more, not even heartbeats, and stay open (a hung connection). */
  stallStreams(): void;
  /** While true, new streaming requests get 503 (with `Retry-After: streamingRetryAfter` if set, in seconds). */
  streamingDown: boolean;
  streamingRetryAfter: number | undefined;
  /**
   * The next `requests` REST timeline requests get 429 with an `X-RateLimit-Reset` `resetMs` ahead
   * (ISO 8601, and no Retry-After, as Mastodon answers); each sets `resetAt` to the reset it named.
   */
  rateLimit: { requests: number; resetMs: number; resetAt?: number } | undefined;
  /** When each REST timeline request came (ms epoch), in order. */
  readonly timelineTimes: number[];
  /** When each streaming request came (ms epoch), in order. */
  readonly streamTimes: number[];
  /** Called on each REST timeline request before it is answered (a test can publish in between). */
  onTimelineRequest: (() => void) | undefined;
  openStreams(): number;
  close(): Promise<void>;
}

export type Status = Record<string, unknown> & { id: string };

const FIXTURES: Status[] = JSON.parse(
  readFileSync(new URL('../fixtures/mastodon/statuses.json', import.meta.url), 'utf8'),
) as Status[];

/** The Status fixtures, written from the Mastodon docs' Status entity (a fresh copy each call). */
export function statusFixtures(): Status[] {
  return structuredClone(FIXTURES);
}

let serial = 0n;
/**
 * A new status like the first fixture (a local account praising Northwind Coffee) with the next
 * id and `created_at` now. Ids grow like Mastodon's snowflakes, so they sort by time.
 */
export function makeStatus(over: Partial<Status> = {}): Status {
  serial++;
  const base = FIXTURES[0] as Status;
  const id = String(BigInt(Date.now()) * 65536n + serial);
  return {
    ...structuredClone(base),
    id,
    uri: `https://mastodon.social/users/alice/statuses/${id}`,
    url: `https://mastodon.social/@alice/${id}`,
    created_at: new Date().toISOString(),
    content: `<p>Latte number ${serial} at Northwind Coffee, lovely as always.</p>`,
    ...over,
  };
}

interface Stream {
  res: ServerResponse;
  matches: (s: Status) => boolean;
  stalled: boolean;
}

export async function startFakeMastodon(
  o: { token?: string; heartbeatMs?: number } = {},
): Promise<FakeMastodon> {
  const statuses: Status[] = [];
  const streams = new Set<Stream>();
  const requests: string[] = [];
  let base = '';

  const isLocal = (s: Status) =>
    !String((s.account as { acct?: string } | undefined)?.acct ?? '').includes('@');
  const hasTag = (s: Status, tag: string) =>
    Array.isArray(s.tags) &&
    s.tags.some((t: { name?: string }) => t.name?.toLowerCase() === tag.toLowerCase());

  const write = (text: string) => {
    for (const s of streams) if (!s.stalled) s.res.write(text);
  };
  const heartbeat = setInterval(() => write(':thump\n'), o.heartbeatMs ?? 200);

  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const url = new URL(req.url ?? '/', base);
    const path = url.pathname;
    if (path === '/api/v2/instance') {
      const streaming = base.replace(/^http/, 'ws');
      return json(res, 200, {
        domain: url.host,
        title: 'Fake Mastodon',
        version: '4.3.0',
        configuration: { urls: { streaming } },
      });
    }
    if (o.token !== undefined && req.headers.authorization !== `Bearer ${o.token}`)
      return json(res, 401, { error: 'The access token is invalid' });
    if (path.startsWith('/api/v1/streaming/')) return stream(req, res, url);
    if (path.startsWith('/api/v1/timelines/')) {
      fake.timelineTimes.push(Date.now());
      fake.onTimelineRequest?.();
      const limit = fake.rateLimit;
      if (limit && limit.requests > 0) {
        limit.requests--;
        limit.resetAt = Date.now() + limit.resetMs;
        return json(
          res,
          429,
          { error: 'Too many requests' },
          {
            'x-ratelimit-limit': '300',
            'x-ratelimit-remaining': '0',
            'x-ratelimit-reset': new Date(limit.resetAt).toISOString(),
          },
        );
      }
    }
    if (path === '/api/v1/timelines/public') {
      const local = url.searchParams.get('local') === 'true';
      return timeline(res, url, (s) => !local || isLocal(s));
    }
    const tag = /^\/api\/v1\/timelines\/tag\/([^/]+)$/.exec(path)?.[1];
    if (tag) return timeline(res, url, (s) => hasTag(s, decodeURIComponent(tag)));
    json(res, 404, { error: 'Record not found' });
  });

  function stream(_req: IncomingMessage, res: ServerResponse, url: URL): void {
    const path = url.pathname;
    let matches: (s: Status) => boolean;
    if (path === '/api/v1/streaming/public') matches = () => true;
    else if (path === '/api/v1/streaming/public/local') matches = isLocal;
    else if (path === '/api/v1/streaming/hashtag' && url.searchParams.get('tag')) {
      const tag = url.searchParams.get('tag') as string;
      matches = (s) => hasTag(s, tag);
    } else return json(res, 404, { error: 'Unknown stream' });
    fake.streamTimes.push(Date.now());
    if (fake.streamingDown)
      return json(
        res,
        503,
        { error: 'Service unavailable' },
        fake.streamingRetryAfter === undefined ? {} : { 'retry-after': String(fake.streamingRetryAfter) },
      );
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
    res.write(':)\n');
    const s: Stream = { res, matches, stalled: false };
    streams.add(s);
    res.on('close', () => streams.delete(s));
  }

  /** Mastodon's paging: newest first; `min_id` gives the page just above it, else `since_id`/`max_id` bound it. */
  function timeline(res: ServerResponse, url: URL, include: (s: Status) => boolean): void {
    const q = url.searchParams;
    const limit = Math.min(40, Number(q.get('limit') ?? 20) || 20);
    const min = q.get('min_id');
    const since = q.get('since_id');
    const max = q.get('max_id');
    let page = statuses.filter(include).sort(byIdDesc);
    if (min !== null) {
      page = page
        .filter((s) => BigInt(s.id) > BigInt(min))
        .reverse()
        .slice(0, limit)
        .reverse();
    } else {
      page = page
        .filter(
          (s) =>
            (since === null || BigInt(s.id) > BigInt(since)) && (max === null || BigInt(s.id) < BigInt(max)),
        )
        .slice(0, limit);
    }
    const headers: Record<string, string> = {};
    if (page.length > 0) {
      const link = (k: string, v: string) => {
        const u = new URL(url.pathname, base);
        for (const [key, value] of q)
          if (!['min_id', 'max_id', 'since_id'].includes(key)) u.searchParams.set(key, value);
        u.searchParams.set(k, v);
        return u.href;
      };
      headers.link = `<${link('max_id', (page.at(-1) as Status).id)}>; rel="next", <${link('min_id', (page[0] as Status).id)}>; rel="prev"`;
    }
    json(res, 200, page, headers);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;

  const fake: FakeMastodon = {
    url: base,
    host: `127.0.0.1:${port}`,
    requests,
    streamingDown: false,
    streamingRetryAfter: undefined,
    rateLimit: undefined,
    timelineTimes: [],
    streamTimes: [],
    onTimelineRequest: undefined,
    publish(status) {
      statuses.push(status);
      for (const s of streams)
        if (!s.stalled && s.matches(status))
          s.res.write(`event: update\ndata: ${JSON.stringify(status)}\n\n`);
    },
    deleteStatus(id) {
      write(`event: delete\ndata: ${id}\n\n`);
    },
    sendRaw(text) {
      write(text);
    },
    dropStreams() {
      for (const s of streams) s.res.destroy();
      streams.clear();
    },
    stallStreams() {
      for (const s of streams) s.stalled = true;
    },
    openStreams: () => streams.size,
    async close() {
      clearInterval(heartbeat);
      for (const s of streams) s.res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}

function byIdDesc(a: Status, b: Status): number {
  const x = BigInt(a.id);
  const y = BigInt(b.id);
  return x > y ? -1 : x < y ? 1 : 0;
}

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}
