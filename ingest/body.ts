import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createInflate } from 'node:zlib';
import { PipelineError } from '../stream/index.js';

export type BodyEncoding = 'identity' | 'gzip' | 'deflate';

/** The encoding a `Content-Encoding` header names; anything else is a 415 UNSUPPORTED_CONTENT_ENCODING. */
export function bodyEncoding(header: string | undefined): BodyEncoding {
  const value = (header ?? '').trim().toLowerCase();
  if (value === '' || value === 'identity') return 'identity';
  if (value === 'gzip' || value === 'x-gzip') return 'gzip';
  if (value === 'deflate') return 'deflate';
  throw new PipelineError(
    'UNSUPPORTED_CONTENT_ENCODING',
    `Content-Encoding "${value.slice(0, 64)}" is not supported; send identity, gzip or deflate`,
  );
}

/**
 * Reads a request body of at most `limit` bytes both as sent and decompressed. Decompression
 * streams and stops at the limit, so a small body that would inflate to gigabytes (a "zip bomb")
 * costs no more than `limit`: 413 BODY_TOO_LARGE. A corrupt compressed body is a 400 BAD_REQUEST.
 * The source is only paused where reading stopped, never destroyed, so the error can still be
 * answered on it.
 */
export async function readBody(source: Readable, encoding: BodyEncoding, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let received = 0;
  let size = 0;
  const tooLarge = (what: string) =>
    new PipelineError('BODY_TOO_LARGE', `the body is over ${limit} bytes ${what}; send smaller batches`);
  async function* capped(body: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of body) {
      received += chunk.length;
      if (received > limit) throw tooLarge('as sent');
      yield chunk;
    }
  }
  const collect = async (body: AsyncIterable<Buffer>): Promise<void> => {
    for await (const chunk of body) {
      size += chunk.length;
      if (size > limit) throw tooLarge('decompressed');
      chunks.push(chunk);
    }
  };
  const input = source.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>;
  try {
    if (encoding === 'identity') await collect(capped(input));
    else await pipeline(input, capped, encoding === 'gzip' ? createGunzip() : createInflate(), collect);
  } catch (err) {
    if (err instanceof PipelineError) throw err;
    // An empty body has no gzip header; it is an empty batch, not a corrupt one.
    if (received === 0) return Buffer.alloc(0);
    const what = encoding === 'identity' ? 'reading the body failed' : `the ${encoding} body is corrupt`;
    throw new PipelineError('BAD_REQUEST', `${what}: ${(err as Error).message}`, { cause: err });
  }
  return Buffer.concat(chunks, size);
}
