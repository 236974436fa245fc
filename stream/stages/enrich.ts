import type { SentimentScorer } from '../../engines/sentiment/index.js';
import { SentimentTiers, type EventSentiment } from '../sentiment/index.js';
import { tokenize, type BrandMatcher } from '../../engines/text/index.js';
import { encodeJson, type Bus, type BusMessage } from '../bus/bus.js';
import type { DeadLetters } from '../bus/dead-letter.js';
import { joinLines, splitLines } from '../model/event-batch.js';
import { rememberTokens } from '../model/event-tokens.js';
import {
  decodeSocialLine,
  RECEIVED_TS_HEADER,
  type EnrichedEvent,
  type SocialEvent,
} from '../model/events.js';
import type { Instrumentation } from '../instrumentation.js';
import { startPartitionLoop, type ConsumerLoop } from '../bus/consumer-loop.js';
import { Subjects } from '../bus/topology.js';

export interface EnrichOptions {
  bus: Bus;
  partition: number;
  matcher: BrandMatcher;
  /** A plain scorer, or the configured tiers (language check, fast tier, transformer on a budget). */
  scorer: SentimentScorer | SentimentTiers;
  deadLetters: DeadLetters;
  instrumentation: Instrumentation;
  batchSize?: number;
}

/**
 * Counts how events were scored, for metrics and logs, and reports the counts once per batch
 * (an event emitted per event costs more than the scoring of a short post). Both stages that
 * enrich use it.
 */
export class EnrichedTally {
  /** A handful of kinds (tier, model, label, branded or not): a scan costs less than a key string per event. */
  private counts: { brands: number; label: string; model: string; tier?: string; count: number }[] = [];

  add(e: EnrichedEvent): void {
    const { label, model, tier } = e.sentiment;
    const branded = e.brands.length > 0 ? 1 : 0;
    for (const entry of this.counts)
      if (entry.label === label && entry.brands === branded && entry.model === model && entry.tier === tier) {
        entry.count++;
        return;
      }
    this.counts.push({ brands: branded, label, model, ...(tier !== undefined && { tier }), count: 1 });
  }

  report(instrumentation: Instrumentation): void {
    for (const entry of this.counts) instrumentation.emit('event.enriched', entry);
    this.counts = [];
  }
}

/** Stage 1: finds the brands and scores the sentiment of each post with the fast tier. Stateless. */
export function enrichEvent(
  e: SocialEvent,
  matcher: BrandMatcher,
  scorer: SentimentScorer | SentimentTiers,
): EnrichedEvent {
  return startEnrich(e, matcher, scorer, false).event;
}

/**
 * enrichEvent, plus the transformer tier's result for the events it takes (undefined when it
 * does not answer in time: the fast result stands).
 */
export function startEnrich(
  e: SocialEvent,
  matcher: BrandMatcher,
  scorer: SentimentScorer | SentimentTiers,
  refine = true,
): { event: EnrichedEvent; refined?: Promise<EventSentiment | undefined> } {
  const { tokens, brands, sentiment, refined } = analyse(e, matcher, scorer, refine);
  const event: EnrichedEvent = { ...e, brands, sentiment };
  rememberTokens(event, tokens);
  return { event, refined };
}

/** What enrichment finds in a post: its tokens, brands and sentiment (and the transformer tier's later result). */
function analyse(
  e: SocialEvent,
  matcher: BrandMatcher,
  scorer: SentimentScorer | SentimentTiers,
  refine: boolean,
) {
  const tokens = tokenize(e.text);
  const brands = matcher.match(e.text, tokens);
  const tiers = scorer instanceof SentimentTiers ? scorer : SentimentTiers.forScorer(scorer);
  return { tokens, brands, ...tiers.scoreEvent(e, tokens, refine) };
}

/**
 * enrichEvent for an event the caller owns (just decoded, as in stage 2): brands and sentiment are
 * set on it and it is returned, instead of a copy (one copy of every event less).
 */
export function enrichInPlace(
  e: SocialEvent,
  matcher: BrandMatcher,
  scorer: SentimentScorer | SentimentTiers,
): EnrichedEvent {
  const { tokens, brands, sentiment } = analyse(e, matcher, scorer, false);
  const event = e as EnrichedEvent;
  event.brands = brands;
  event.sentiment = sentiment;
  rememberTokens(event, tokens);
  return event;
}

export class EnrichProcessor {
  private loop: ConsumerLoop | undefined;

  constructor(private readonly o: EnrichOptions) {}

  async start(): Promise<void> {
    this.loop = await startPartitionLoop({
      bus: this.o.bus,
      stream: 'SOCIAL_EVENTS',
      filterSubject: Subjects.events(this.o.partition),
      stage: 'enrich',
      partition: this.o.partition,
      // Acked after every event of the batch is published (publishes are idempotent: msgId). Each
      // message on its own: with AckAll, a worker whose lease moved on while it still read would
      // ack what the new owner holds and has not published yet.
      ackPolicy: 'explicit',
      batchSize: this.o.batchSize ?? 500,
      handle: (batch) => this.handle(batch),
      instrumentation: this.o.instrumentation,
    });
  }

  private async handle(batch: BusMessage[]): Promise<void> {
    const { partition, instrumentation } = this.o;
    const now = Date.now();
    const lagMs: number[] = [];
    const tally = new EnrichedTally();
    await Promise.all(batch.map((msg) => this.enrichMessage(msg, now, lagMs, tally)));
    tally.report(instrumentation);
    for (const m of batch) m.ack();
    instrumentation.emit('batch.processed', { stage: 'enrich', partition, size: lagMs.length, lagMs });
  }

  /**
   * Enriches the events of one message into one message on the enriched subject. Its message id is
   * the input's position, so a redelivered input is stored once (and stage 2 de-duplicates events).
   */
  private async enrichMessage(
    msg: BusMessage,
    now: number,
    lagMs: number[],
    tally: EnrichedTally,
  ): Promise<void> {
    const { bus, partition, matcher, scorer, deadLetters } = this.o;
    const received = msg.headers[RECEIVED_TS_HEADER];
    const lines = splitLines(msg.data);
    const out = await Promise.all(
      lines.map(async (line, index) => {
        let event: SocialEvent;
        try {
          event = decodeSocialLine(line, received);
        } catch (err) {
          await deadLetters.undecodable('enrich', msg, index, line, err);
          return undefined;
        }
        const { event: enriched, refined } = startEnrich(event, matcher, scorer);
        const better = await refined;
        if (better) enriched.sentiment = better;
        tally.add(enriched);
        lagMs.push(now - event.received_ts);
        return encodeJson(enriched);
      }),
    );
    const encoded = out.filter((e): e is Uint8Array => e !== undefined);
    if (encoded.length === 0) return;
    await bus.publish(Subjects.enriched(partition), joinLines(encoded), {
      msgId: `enriched:${msg.subject}:${msg.seq}`,
    });
  }

  async pending(): Promise<number> {
    return this.loop ? (await this.loop.info()).numPending : 0;
  }

  async stop(_options?: { checkpoint: boolean }): Promise<void> {
    // Stateless: unacked messages are delivered again to the next owner, and publishes de-duplicate.
    await this.loop?.stop();
  }
}
