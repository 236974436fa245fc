import { DEFAULT_JETSTREAM_URL, JetstreamConnector } from '../../ingest/connectors/bluesky.js';
import {
  shutdownSignal,
  STREAM_OPTIONS,
  streamHelp,
  streamOptionsFrom,
  supervise,
} from '../../ingest/connectors/cli.js';
import { numberFlag, parseFlags, type FlagOptions } from '../flags.js';
import { httpSinkFrom, SINK_HELP, SINK_OPTIONS } from './sink-args.js';

export const summary = 'follow Bluesky posts through a Jetstream instance';

const OPTIONS = {
  ...SINK_OPTIONS,
  ...STREAM_OPTIONS,
  jetstream: { type: 'string', default: DEFAULT_JETSTREAM_URL },
  'wanted-dids': { type: 'string', default: '' },
  'rewind-s': { type: 'string', default: '5' },
} satisfies FlagOptions;

const DEFAULT_STATE = '.pulsewatch/bluesky-jetstream.json';

const HELP = `usage: pulsewatch ingest bluesky [options]

Streams Bluesky posts (app.bsky.feed.post creates) from Jetstream into a running Pulsewatch.
After a disconnect or a restart it reconnects with a cursor a few seconds before the last event,
so nothing is missed; the repeats are de-duplicated by post URI.

  --jetstream URL            Jetstream subscribe endpoint (default ${DEFAULT_JETSTREAM_URL})
  --wanted-dids D1,D2        only these accounts (comma-separated DIDs; default all)
  --rewind-s S               reconnect this many seconds before the last event read (default 5)
${streamHelp(DEFAULT_STATE)}
${SINK_HELP}

example:
  pulsewatch ingest bluesky --url http://localhost:8080`;

/** `pulsewatch ingest bluesky`: runs the Jetstream connector into Pulsewatch's HTTP ingest until Ctrl-C. */
export async function run(args: string[], signal: AbortSignal = shutdownSignal()): Promise<number> {
  let connector: JetstreamConnector;
  let statsEveryMs: number;
  // The sink keeps retrying while pending events drain after Ctrl-C; this ends it afterwards.
  const sinkStop = new AbortController();
  try {
    const { values } = parseFlags(args, OPTIONS);
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    const { statsEveryMs: every, ...stream } = streamOptionsFrom(values, DEFAULT_STATE);
    statsEveryMs = every;
    const rewind = numberFlag('rewind-s', values['rewind-s'], { min: 0 });
    connector = new JetstreamConnector({
      ...stream,
      sink: httpSinkFrom(values, { signal: sinkStop.signal }),
      url: values.jetstream,
      wantedDids: values['wanted-dids']
        .split(',')
        .map((d) => d.trim())
        .filter(Boolean),
      rewindMs: rewind * 1000,
      log: (line) => console.error(line),
    });
    if (stream.statePath) console.error(`bluesky: resume state in ${stream.statePath}`);
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  try {
    return await supervise('bluesky', connector, { statsEveryMs, write: (l) => console.error(l), signal });
  } finally {
    sinkStop.abort();
  }
}
