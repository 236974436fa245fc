import type { RawEventSink } from '../sink.js';
import type { GeneratedEvent } from './events.js';

/**
 * Hands a generated batch to a sink (in process: an `IngestorSink`): posts and feedback as decoded
 * events, and a scenario's malformed lines as they are, so ingest refuses them (counted and
 * dead-lettered with their reason) exactly as it refuses them over HTTP. Resolves once every part
 * is acknowledged; rejects when any could not be delivered, and the source sends the range again.
 */
export async function submitGenerated(sink: RawEventSink, batch: readonly GeneratedEvent[]): Promise<void> {
  const posts: unknown[] = [];
  const lines: string[] = [];
  const feedback: unknown[] = [];
  for (const g of batch) {
    if (g.kind === 'social') posts.push(g.event);
    else if (g.kind === 'malformed') lines.push(g.line);
    else feedback.push(g.event);
  }
  await Promise.all([sink.submit(posts, 'social'), sink.submitRaw(lines), sink.submit(feedback, 'feedback')]);
}
