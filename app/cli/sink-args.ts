import { HttpSink, type HttpSinkOptions } from '../../ingest/http-sink.js';
import type { FlagOptions } from '../flags.js';

const DEFAULT_INGEST_URL = process.env.PW_INGEST_URL ?? 'http://localhost:8080';

/** Flags every `ingest` subcommand takes to reach a running Pulsewatch (embedded or services mode). */
export const SINK_OPTIONS = {
  url: { type: 'string', default: DEFAULT_INGEST_URL },
  'api-key': { type: 'string', default: process.env.PW_API_KEY ?? '' },
  gzip: { type: 'boolean', default: false },
} satisfies FlagOptions;

export const SINK_HELP = `  --url URL        Pulsewatch ingest to post to (default $PW_INGEST_URL or http://localhost:8080)
  --api-key KEY    ingest API key, sent as "Authorization: Bearer KEY" (default $PW_API_KEY)
  --gzip           gzip request bodies`;

export function httpSinkFrom(
  values: { url?: string; 'api-key'?: string; gzip?: boolean },
  extra: Partial<HttpSinkOptions> = {},
): HttpSink {
  return new HttpSink({
    url: values.url ?? DEFAULT_INGEST_URL,
    ...(values['api-key'] ? { apiKey: values['api-key'] } : {}),
    gzip: values.gzip ?? false,
    onRetry: (reason, attempt, delayMs) =>
      console.error(`ingest unavailable (${reason}); retry ${attempt} in ${delayMs} ms`),
    ...extra,
  });
}
