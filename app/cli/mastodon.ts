import {
  shutdownSignal,
  STREAM_OPTIONS,
  streamHelp,
  streamOptionsFrom,
  supervise,
} from '../../ingest/connectors/cli.js';
import { MastodonConnector } from '../../ingest/connectors/mastodon.js';
import { numberFlag, parseFlags, type FlagOptions } from '../flags.js';
import { httpSinkFrom, SINK_HELP, SINK_OPTIONS } from './sink-args.js';

export const summary = 'follow Mastodon timelines through the streaming API';

const OPTIONS = {
  ...SINK_OPTIONS,
  ...STREAM_OPTIONS,
  instance: { type: 'string', default: 'https://mastodon.social' },
  token: { type: 'string', default: process.env.PW_MASTODON_TOKEN ?? '' },
  timeline: { type: 'string', multiple: true },
  'streaming-url': { type: 'string' },
  'include-bots': { type: 'boolean', default: false },
  'backfill-max-pages': { type: 'string', default: '25' },
} satisfies FlagOptions;

/**
 * `.pulsewatch/mastodon-<host>.json`, by the host as the connector reads it: the same file (and
 * position) for `https://mastodon.social`, `https://mastodon.social/` and `https://Mastodon.Social`.
 */
const defaultState = (instance: string) => {
  let host: string;
  try {
    host = new URL(instance).host;
  } catch {
    host = instance.replace(/^\w+:\/\//, ''); // refused by the connector; only named in the help
  }
  return `.pulsewatch/mastodon-${host.replace(/[^\w.-]+/g, '_')}.json`;
};

const HELP = `usage: pulsewatch ingest mastodon [options]

Streams public posts of a Mastodon instance into a running Pulsewatch. After a disconnect or a
restart it backfills what it missed from the REST timelines, then streams again.

  --instance URL             the instance (default https://mastodon.social)
  --token TOKEN              access token, sent as "Authorization: Bearer" (default $PW_MASTODON_TOKEN)
  --timeline T               public, public:local or hashtag:NAME; repeat for several (default public)
  --streaming-url URL        streaming server (default: the one the instance names in /api/v2/instance)
  --include-bots             keep posts of accounts marked as bots (default: skipped and counted)
  --backfill-max-pages N     REST pages of 40 statuses per backfill at most (default 25)
${streamHelp(defaultState('<instance host>'))}
${SINK_HELP}

example:
  PW_MASTODON_TOKEN=... pulsewatch ingest mastodon --instance https://mastodon.social \\
    --timeline public --timeline hashtag:coffee --url http://localhost:8080`;

/** `pulsewatch ingest mastodon`: runs the Mastodon connector into Pulsewatch's HTTP ingest until Ctrl-C. */
export async function run(args: string[], signal: AbortSignal = shutdownSignal()): Promise<number> {
  let connector: MastodonConnector;
  let statsEveryMs: number;
  // The sink keeps retrying while pending events drain after Ctrl-C; this ends it afterwards.
  const sinkStop = new AbortController();
  try {
    const { values } = parseFlags(args, OPTIONS);
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    const { statsEveryMs: every, ...stream } = streamOptionsFrom(values, defaultState(values.instance));
    statsEveryMs = every;
    const pages = numberFlag('backfill-max-pages', values['backfill-max-pages'], { min: 0, integer: true });
    connector = new MastodonConnector({
      ...stream,
      sink: httpSinkFrom(values, { signal: sinkStop.signal }),
      instance: values.instance,
      token: values.token || undefined,
      timelines: values.timeline ?? ['public'],
      streamingUrl: values['streaming-url'],
      includeBots: values['include-bots'],
      backfillMaxPages: pages,
      log: (line) => console.error(line),
    });
    if (stream.statePath) console.error(`mastodon: resume state in ${stream.statePath}`);
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  try {
    return await supervise('mastodon', connector, { statsEveryMs, write: (l) => console.error(l), signal });
  } finally {
    sinkStop.abort();
  }
}
