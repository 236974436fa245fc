import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import { PipelineError, type RejectReason } from '../stream/index.js';
import { parseNdjson } from './ndjson.js';
import type { EventIngestor } from './publisher.js';

export interface HttpIngestOptions {
  ingestor: EventIngestor;
  /** Largest request body, bytes. */
  bodyLimit: number;
  /** Largest single line, bytes. */
  maxLineBytes: number;
}

/** At most this many per-line errors are listed in one reply; the counts stay exact. */
const MAX_LISTED_ERRORS = 1000;

const NDJSON_TYPES = ['application/x-ndjson', 'application/jsonl', 'application/json', 'text/plain'];

const ErrorReply = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String(), retryable: Type.Boolean() }),
});

const IngestReply = Type.Object({
  accepted: Type.Integer({ description: 'Lines published to the bus (duplicates included)' }),
  duplicates: Type.Integer({
    description:
      'Accepted lines that repeat an id of an earlier line of the same request (published once). Repeats across requests are dropped by the pipeline inside its dedup window and counted in /metrics',
  }),
  rejected: Type.Integer(),
  errors: Type.Array(Type.Object({ line: Type.Integer(), reason: Type.String(), detail: Type.String() }), {
    description: `The first ${MAX_LISTED_ERRORS} rejected lines with their reason`,
  }),
});

/** `POST /v1/events`: NDJSON ingest of SocialEvents. Keeps the valid lines of a mixed batch. */
export const httpIngest: FastifyPluginAsync<HttpIngestOptions> = async (app: FastifyInstance, o) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    NDJSON_TYPES,
    { parseAs: 'buffer', bodyLimit: o.bodyLimit },
    (_req, body, done) => {
      done(null, body);
    },
  );

  app.post(
    '/v1/events',
    {
      bodyLimit: o.bodyLimit,
      schema: {
        summary: 'Ingest social events as NDJSON',
        description:
          'One SocialEvent JSON object per line. Answers 202 once every valid line is acknowledged by the bus; ' +
          'invalid lines are rejected one by one with a reason and sent to the dead-letter subject.',
        tags: ['ingest'],
        response: { 202: IngestReply, '4xx': ErrorReply, '5xx': ErrorReply },
      },
    },
    async (req, reply) => {
      const body = req.body as Buffer | undefined;
      if (!Buffer.isBuffer(body)) throw new PipelineError('BAD_REQUEST', 'empty body');
      let accepted = 0;
      let duplicates = 0;
      let rejected = 0;
      const errors: { line: number; reason: RejectReason; detail: string }[] = [];
      const work: Promise<void>[] = [];
      const noteRejected = (line: number, reason: RejectReason, detail: string) => {
        rejected++;
        if (errors.length < MAX_LISTED_ERRORS) errors.push({ line, reason, detail });
      };
      const valid: { line: number; value: unknown; raw: string; bytes: Uint8Array }[] = [];
      for (const parsed of parseNdjson(body, o.maxLineBytes)) {
        if (!parsed.ok) {
          noteRejected(parsed.line, parsed.reason, parsed.detail);
          work.push(
            o.ingestor.reject('social', parsed.reason, parsed.detail, parsed.raw).then(() => undefined),
          );
        } else valid.push(parsed);
      }
      work.push(
        o.ingestor.submitSocialBatch(valid).then((results) =>
          results.forEach((r, i) => {
            if (r.ok) {
              accepted++;
              if (r.duplicate) duplicates++;
            } else noteRejected(valid[i]!.line, r.reason, r.detail);
          }),
        ),
      );
      const results = await Promise.allSettled(work);
      const failure = results.find((r) => r.status === 'rejected');
      if (failure) {
        const err = failure.reason as unknown;
        req.log.warn({ error: (err as Error).message }, 'ingest publish failed; answering 503');
        // Nothing in this batch is promised: the client retries all of it, and ids de-duplicate.
        if (err instanceof PipelineError && err.code === 'STREAM_FULL') throw err;
        throw new PipelineError('BUS_UNAVAILABLE', undefined, { cause: err });
      }
      errors.sort((a, b) => a.line - b.line);
      return reply.code(202).send({ accepted, duplicates, rejected, errors });
    },
  );
};
