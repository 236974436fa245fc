import type { Test } from 'tap';
import type { Running } from '../../app/compose.js';
import type { ConnectorStats } from '../../ingest/connectors/connector.js';
import { IngestorSink } from '../../ingest/sink.js';
import { eventually } from '../helpers/app.js';
import { RecordingSink } from './pipeline.js';

/** Connector timings sized for tests: small batches, quick flushes, fast reconnects. */
export const TEST_TIMINGS = {
  flushMs: 20,
  batchSize: 10,
  stallTimeoutMs: 5_000,
  initialBackoffMs: 20,
  maxBackoffMs: 200,
};

/** Waits until the connector's stats pass `check`. */
export const until = (
  c: { stats(): ConnectorStats },
  what: string,
  check: (s: ConnectorStats) => boolean,
  ms = 15_000,
) => eventually(async () => (check(c.stats()) ? true : undefined), ms, what);

export const settled = (s: ConnectorStats) => s.pending === 0;

/** Every frame is accounted for: sent, refused, skipped, or still pending. */
export function accounted(t: Test, s: ConnectorStats): void {
  const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
  t.equal(
    s.received,
    s.sent + sum(s.rejected) + sum(s.ignored) + s.pending,
    'received = sent + rejected + ignored + pending',
  );
}

/** A recording sink on the embedded app's own ingestor (in process, no HTTP). */
export const ingestorSink = (running: Running) => {
  if (!running.ingestor) throw new Error('the embedded app runs ingest');
  return new RecordingSink(new IngestorSink(running.ingestor));
};
