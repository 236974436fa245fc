import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type TSchema } from '@sinclair/typebox';
import type { IncomingMessage } from 'node:http';
import { PipelineError, type RejectReason } from '../stream/index.js';
import { bodyEncoding, readBody } from './body.js';
import { parseNdjson, type NdjsonLine } from './ndjson.js';
import type { EventIngestor } from './publisher.js';
import type { RateLimiter } from './rate-limit.js';
import { IngestorSink, type EventKind } from './sink.js';

export interface HttpIngestOptions {
  ingestor: EventIngestor;
  /** Largest request body in bytes, both as sent and decompressed. */
  bodyLimit: number;
  /** Largest single line, bytes. */
  maxLineBytes: number;
  /** Most events (non-blank lines) in one request. */
  maxBatchEvents: number;
  /** Events per second per API key (per client address when ingest is open); none: no limit. */
  rateLimiter?: RateLimiter | undefined;
  /** Told about every ingest reply, for metrics. `key` is the key's name, or `-` without a valid key. */
  onReply?: (reply: { route: EventKind; key: string; status: number }) => void;
}

/** At most this many per-line errors are listed in one reply; the counts stay exact. */
const MAX_LISTED_ERRORS = 1000;

const NDJSON_TYPES = ['application/x-ndjson', 'application/jsonl', 'application/json', 'text/plain'];

const NO_KEY = '-';

const errorReply = (description: string) =>
  Type.Object(
    { error: Type.Object({ code: Type.String(), message: Type.String(), retryable: Type.Boolean() }) },
    { description },
  );

const IngestReply = Type.Object(
  {
    accepted: Type.Integer({ description: 'Lines published to the bus (duplicates included)' }),
    duplicates: Type.Integer({
      description:
        'Accepted lines stored once as repeats. Social events: lines that repeat the source and id of an earlier line of the same request (repeats across requests are dropped by the pipeline inside its dedup window and counted in /metrics). Feedback: lines whose campaign, decision_id and kind (or, without a decision_id, campaign and id) were seen inside the dedup window',
    }),
    rejected: Type.Integer(),
    errors: Type.Array(Type.Object({ line: Type.Integer(), reason: Type.String(), detail: Type.String() }), {
      description: `The first ${MAX_LISTED_ERRORS} rejected lines with their reason`,
    }),
  },
  { description: 'Every valid line is acknowledged by the bus; the invalid ones are listed' },
);

type IngestOutcome = typeof IngestReply.static;

const ROUTES: { url: string; kind: EventKind; summary: string; what: string }[] = [
  { url: '/v1/events', kind: 'social', summary: 'Ingest social events as NDJSON', what: 'SocialEvent' },
  {
    url: '/v1/feedback',
    kind: 'feedback',
    summary: 'Ingest campaign feedback (impression, click, conversion, reward) as NDJSON',
    what: 'FeedbackEvent',
  },
];

const RESPONSES: Record<string, TSchema> = {
  202: IngestReply,
  400: errorReply('BAD_REQUEST: no body, or a corrupt gzip or deflate body'),
  401: errorReply('UNAUTHORIZED: API keys are configured and the request has none of them'),
  403: errorReply(
    "FORBIDDEN: the API key lacks scope ingest; CROSS_ORIGIN: a browser request from another site's page",
  ),
  413: errorReply(
    'BODY_TOO_LARGE (as sent or decompressed) or BATCH_TOO_LARGE (too many events): split the batch',
  ),
  415: errorReply('UNSUPPORTED_MEDIA_TYPE or UNSUPPORTED_CONTENT_ENCODING'),
  429: errorReply('RATE_LIMITED: nothing of the request was published; retry after Retry-After seconds'),
  '5xx': errorReply('BUS_UNAVAILABLE or STREAM_FULL: nothing is promised; retry after Retry-After'),
};

/**
 * `POST /v1/events` (SocialEvents) and `POST /v1/feedback` (FeedbackEvents): NDJSON ingest, one
 * handler for both. The routes need scope `ingest`, which the API's auth plugin checks before the
 * body is read. Reads the body (gzip or deflate) within the body limit, refuses batches over the
 * event limit or the key's rate limit as a whole, and keeps the valid lines of a mixed batch.
 */
export const httpIngest: FastifyPluginAsync<HttpIngestOptions> = async (app: FastifyInstance, o) => {
  // `req.apiKey` (the key's name for rate limits and metrics) comes from the API's auth plugin
  if (!app.hasRequestDecorator('apiKey'))
    throw new Error('httpIngest needs the API auth plugin registered first (buildApi does that)');
  const burst = o.rateLimiter ? Math.floor(o.rateLimiter.burst) : Number.POSITIVE_INFINITY;
  const maxEvents = Math.min(o.maxBatchEvents, burst);
  const sink = new IngestorSink(o.ingestor);

  app.removeAllContentTypeParsers();
  app.addContentTypeParser(NDJSON_TYPES, async (req: FastifyRequest, payload: IncomingMessage) => {
    const encoding = bodyEncoding(req.headers['content-encoding']);
    if (Number(req.headers['content-length']) > o.bodyLimit)
      throw new PipelineError(
        'BODY_TOO_LARGE',
        `the body is over ${o.bodyLimit} bytes; send smaller batches`,
      );
    return readBody(payload, encoding, o.bodyLimit);
  });

  /** Takes the request's events from its rate-limit bucket, all or none: 429 with Retry-After. */
  const admit = (req: FastifyRequest, reply: FastifyReply, events: number) => {
    if (!o.rateLimiter) return;
    const name = req.apiKey?.name;
    const taken = o.rateLimiter.take(name !== undefined ? `key:${name}` : `ip:${req.ip}`, events);
    if (taken.ok) return;
    const seconds = Math.max(1, Math.ceil(taken.retryAfterMs / 1000));
    reply.header('retry-after', String(seconds));
    req.log.info({ events, retryAfterSeconds: seconds }, 'ingest refused: rate limited');
    throw new PipelineError(
      'RATE_LIMITED',
      `${events} events are over the rate limit of ${o.rateLimiter.ratePerSec}/s (burst ${burst}) ` +
        `of ${name !== undefined ? `key "${name}"` : 'this client address'}; nothing was published, retry in ${seconds} s`,
    );
  };

  for (const route of ROUTES) {
    app.post(
      route.url,
      {
        config: { scope: 'ingest' },
        onResponse: async (req, reply) =>
          o.onReply?.({ route: route.kind, key: req.apiKey?.name ?? NO_KEY, status: reply.statusCode }),
        schema: {
          summary: route.summary,
          description:
            `One ${route.what} JSON object per line, optionally gzip or deflate compressed (Content-Encoding). ` +
            'Answers 202 once every valid line is acknowledged by the bus; invalid lines are rejected one by one ' +
            'with a reason and sent to the dead-letter subject. A request over the event limit or the rate ' +
            'limit is refused whole.',
          tags: ['ingest'],
          response: RESPONSES,
        },
      },
      async (req, reply) => {
        const body = req.body as Buffer | undefined;
        if (!Buffer.isBuffer(body)) throw new PipelineError('BAD_REQUEST', 'empty body');
        const lines = splitBatch(body, o.maxLineBytes, maxEvents);
        admit(req, reply, lines.length);
        const outcome = await publishLines(sink, route.kind, lines).catch((err: unknown) => {
          req.log.warn({ error: (err as Error).message }, 'ingest publish failed; answering 503');
          // Nothing in this batch is promised: the client retries all of it, and ids de-duplicate.
          if (err instanceof PipelineError && err.code === 'STREAM_FULL') throw err;
          throw new PipelineError('BUS_UNAVAILABLE', undefined, { cause: err });
        });
        req.log.debug(
          { route: route.kind, accepted: outcome.accepted, rejected: outcome.rejected },
          'ingest batch accepted',
        );
        return reply.code(202).send(outcome);
      },
    );
  }
};

/** The lines of a body, refused whole (413 BATCH_TOO_LARGE) past `maxEvents` non-blank lines. */
function splitBatch(body: Buffer, maxLineBytes: number, maxEvents: number): NdjsonLine[] {
  const lines: NdjsonLine[] = [];
  for (const line of parseNdjson(body, maxLineBytes)) {
    if (lines.length === maxEvents)
      throw new PipelineError(
        'BATCH_TOO_LARGE',
        `the request has more than ${maxEvents} events; the limit is ${maxEvents} per request, split the batch`,
      );
    lines.push(line);
  }
  return lines;
}

/**
 * Submits the lines through the one in-process way in (IngestorSink) and waits for all of them:
 * rejects are dead-lettered with their reason, valid social events go to the bus as one batch,
 * feedback events one by one. A bus failure rejects, and nothing is promised.
 */
async function publishLines(
  sink: IngestorSink,
  kind: EventKind,
  lines: readonly NdjsonLine[],
): Promise<IngestOutcome> {
  const r = await sink.submitParsed(lines, kind);
  return {
    accepted: r.accepted,
    duplicates: r.duplicates,
    rejected: r.rejected,
    errors: r.errors
      .sort((a, b) => a.index - b.index)
      .slice(0, MAX_LISTED_ERRORS)
      .map((e) => ({ line: e.index + 1, reason: e.reason as RejectReason, detail: e.detail })),
  };
}
