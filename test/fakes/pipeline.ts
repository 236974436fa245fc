import type { Test } from 'tap';
import { RulesSentiment } from '../../engines/sentiment/index.js';
import { DEFAULT_BRANDS } from '../../ingest/brands-default.js';
import type { EventKind, EventSink, SinkResult } from '../../ingest/sink.js';
import {
  eventKey,
  validateSocialEvent,
  type SocialEventInput,
  type Store,
  type WindowAggregate,
} from '../../stream/index.js';
import { eventually } from '../helpers/app.js';
import { directCount, mismatches, totalPosts } from '../helpers/oracle.js';

const MIN = 60_000;

/** Passes batches on to a real sink and keeps every event it acknowledged, repeats included. */
export class RecordingSink implements EventSink {
  readonly events: SocialEventInput[] = [];
  /** Batches acknowledged so far. */
  calls = 0;

  /** `onBatch` is told after each acknowledged batch (a test may interrupt its sender there). */
  constructor(
    private readonly inner: EventSink,
    private readonly onBatch: (call: number) => void = () => undefined,
  ) {}

  async submit(events: readonly unknown[], kind?: EventKind): Promise<SinkResult> {
    const result = await this.inner.submit(events, kind);
    const refused = new Set(result.errors.map((e) => e.index));
    events.forEach((e, i) => {
      if (!refused.has(i)) this.events.push(e as SocialEventInput);
    });
    this.onBatch(++this.calls);
    return result;
  }

  /** The acknowledged events once each (by source and id): what the pipeline must count. */
  unique(): SocialEventInput[] {
    return uniqueEvents(this.events);
  }
}

/** Each event once by source and id, the first one kept (as the pipeline's de-duplication does). */
export function uniqueEvents(events: SocialEventInput[]): SocialEventInput[] {
  const seen = new Map<string, SocialEventInput>();
  for (const e of events) if (!seen.has(eventKey(e))) seen.set(eventKey(e), e);
  return [...seen.values()];
}

/**
 * Waits until the pipeline's 1-minute windows hold as many posts as a direct count of `events`,
 * each once (the same engines in a plain loop), then checks every window field by field: nothing
 * lost, nothing counted twice.
 */
export async function expectPipelineCounts(
  t: Test,
  store: Store,
  events: SocialEventInput[],
  timeoutMs = 30_000,
): Promise<void> {
  const valid = uniqueEvents(events).map((e) => {
    const v = validateSocialEvent(e);
    if (!v.ok) throw new Error(`an acknowledged event is invalid: ${v.detail}`);
    return v.value;
  });
  const expected = directCount(valid, DEFAULT_BRANDS, new RulesSentiment(), MIN);
  const want = totalPosts(expected);
  const from = Math.min(...valid.map((e) => e.ts)) - MIN;
  const to = Math.max(...valid.map((e) => e.ts)) + MIN;
  const windows = async () => {
    const out: WindowAggregate[] = [];
    for (const b of DEFAULT_BRANDS)
      out.push(...(await store.query({ brand: b.name, window: '1m', from, to })));
    return out;
  };
  let last = -1;
  const got = await eventually(
    async () => {
      const w = await windows().catch(() => []);
      last = w.reduce((n, x) => n + x.posts, 0);
      return last === want ? w : undefined;
    },
    timeoutMs,
    `the pipeline to count ${want} posts`,
  ).catch((err: Error) => {
    throw new Error(`${err.message} (it has ${last})`);
  });
  t.ok(want > 0, `${want} brand posts expected`);
  t.same(mismatches(expected, got), [], 'every window equals the direct count');
}
