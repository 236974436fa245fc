import {
  detectLanguage,
  LANGUAGE_DETECTOR,
  type SentimentResult,
  type SentimentScorer,
  type SentimentTier,
} from '../../engines/sentiment/index.js';
import type { Token } from '../../engines/text/index.js';
import type { EnrichedEvent, SocialEvent } from '../model/events.js';
import type { Instrumentation } from '../instrumentation.js';
import type { TokenBucket } from './budget.js';
import { SentimentError } from './errors.js';
import type { TransformerClassifier } from './pool.js';
import type { SelectionPolicy } from './selection.js';

export type EventSentiment = EnrichedEvent['sentiment'];

export interface TransformerTierOptions {
  classifier: TransformerClassifier;
  /** Which events go to the transformer. */
  policy: SelectionPolicy;
  /** Texts per second the transformer may take; selected events over it keep their fast score. */
  budget: TokenBucket;
  /** How long a selected event waits for the transformer before it keeps its fast score. */
  waitMs: number;
}

export interface SentimentTiersOptions {
  /** The tier that scores every event, synchronously: rules or linear. */
  fast: SentimentScorer;
  /** Mark posts that are not English as unsupported instead of scoring them. Default true. */
  languageCheck?: boolean;
  transformer?: TransformerTierOptions;
  instrumentation?: Instrumentation;
}

export interface ScoredEvent {
  /** The fast tier's result (or `unsupported`), available at once. */
  sentiment: EventSentiment;
  /**
   * For events the transformer tier takes: its result, or undefined when it did not answer in time
   * or failed (the fast result stands). Never rejects.
   */
  refined?: Promise<EventSentiment | undefined>;
}

const plainTiers = new WeakMap<SentimentScorer, SentimentTiers>();

/**
 * The sentiment tiers of stage 1 put together: a language check, the fast tier for every event,
 * and, for events the selection policy picks and the budget allows, the transformer tier, whose
 * label then replaces the fast one.
 */
export class SentimentTiers implements SentimentScorer {
  private readonly languageCheck: boolean;

  constructor(private readonly o: SentimentTiersOptions) {
    this.languageCheck = o.languageCheck ?? true;
  }

  /** Tiers with only `scorer` and the language check, shared per scorer. */
  static forScorer(scorer: SentimentScorer): SentimentTiers {
    let tiers = plainTiers.get(scorer);
    if (!tiers) plainTiers.set(scorer, (tiers = new SentimentTiers({ fast: scorer })));
    return tiers;
  }

  get fast(): SentimentScorer {
    return this.o.fast;
  }

  /** As a plain scorer, the tiers are their fast tier (no language check, no transformer). */
  get model(): string {
    return this.o.fast.model;
  }

  get tier(): SentimentTier {
    return this.o.fast.tier ?? 'rules';
  }

  score(text: string, tokens?: Token[]): SentimentResult {
    return this.o.fast.score(text, tokens);
  }

  get transformer(): TransformerClassifier | undefined {
    return this.o.transformer?.classifier;
  }

  /** Scores one event. With `refine` false the transformer tier is not asked. */
  scoreEvent(e: SocialEvent, tokens: Token[], refine = true): ScoredEvent {
    const unsupported = this.languageCheck ? this.unsupportedLanguage(e, tokens) : undefined;
    if (unsupported !== undefined) {
      this.o.instrumentation?.emit('sentiment.unsupported', unsupported);
      return { sentiment: { label: 'unsupported', score: 0, model: LANGUAGE_DETECTOR, tier: 'none' } };
    }
    const fast = this.o.fast.score(e.text, tokens);
    const sentiment: EventSentiment = {
      label: fast.label,
      score: fast.score,
      model: this.o.fast.model,
      tier: this.o.fast.tier ?? 'rules',
    };
    const t = this.o.transformer;
    if (!refine || !t) return { sentiment };
    const reason = t.policy.select(e, fast);
    if (reason === undefined) return { sentiment };
    if (!t.budget.take()) {
      this.o.instrumentation?.emit('sentiment.transformer', { reason, outcome: 'over_budget' });
      return { sentiment };
    }
    return { sentiment, refined: this.askTransformer(t, e.text, reason) };
  }

  private async askTransformer(
    t: TransformerTierOptions,
    text: string,
    reason: string,
  ): Promise<EventSentiment | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), t.waitMs);
    });
    const answer = t.classifier.classify(text, Date.now() + t.waitMs).then(
      (r: SentimentResult) => r,
      (err: unknown) =>
        err instanceof SentimentError ? err : new SentimentError('WORKER_ERROR', String(err)),
    );
    const r = await Promise.race([answer, timeout]);
    clearTimeout(timer);
    const emit = (outcome: 'scored' | 'timeout' | 'failed', error?: string) =>
      this.o.instrumentation?.emit('sentiment.transformer', { reason, outcome, ...(error ? { error } : {}) });
    if (r === 'timeout') {
      emit('timeout');
      return undefined;
    }
    if (r instanceof SentimentError) {
      emit(r.code === 'EXPIRED' ? 'timeout' : 'failed', r.code);
      return undefined;
    }
    emit('scored');
    return { label: r.label, score: r.score, model: t.classifier.model, tier: 'transformer' };
  }

  /** The language when the post is not English (as its source declares, or as detected), else undefined. */
  private unsupportedLanguage(
    e: SocialEvent,
    tokens: Token[],
  ): { language: string; declared: boolean } | undefined {
    const declared = typeof e.lang === 'string' ? e.lang.trim().toLowerCase().split(/[-_]/)[0] : undefined;
    if (declared && declared !== 'en' && declared !== 'und' && /^[a-z]{2,3}$/.test(declared))
      return { language: declared, declared: true };
    const guess = detectLanguage(tokens);
    return guess.supported ? undefined : { language: guess.language, declared: false };
  }
}
