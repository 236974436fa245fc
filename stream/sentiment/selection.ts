import type { SentimentResult } from '../../engines/sentiment/index.js';
import { hashString } from '../../engines/text/index.js';
import type { SocialEvent } from '../model/events.js';

/** Why an event goes to the transformer tier. */
export type SelectionReason = 'all' | 'sample' | 'uncertain' | 'reach';

type Rule =
  | { kind: 'all' }
  | { kind: 'sample'; fraction: number }
  | { kind: 'uncertain'; below: number }
  | { kind: 'reach'; followers: number };

/**
 * Which events the transformer tier re-scores: a comma-separated list of rules, any of which
 * selects an event (the reason recorded is the first that matched):
 *
 * - `all` every event;
 * - `sample:F` a fraction F of events, chosen by a hash of source and id, so a replayed event is
 *   chosen again;
 * - `uncertain:P` events whose fast label has a confidence below P (the linear tier's probability;
 *   the rules tier gives none, so with it every event counts as uncertain);
 * - `reach:N` events whose author has at least N followers;
 * - `none` (or an empty list) no event.
 */
export class SelectionPolicy {
  private constructor(
    private readonly rules: Rule[],
    readonly spec: string,
  ) {}

  static parse(spec: string): SelectionPolicy {
    const rules: Rule[] = [];
    for (const item of spec
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      const [kind, arg] = item.split(':', 2).map((s) => s.trim());
      const value = Number(arg);
      if (kind === 'none' && arg === undefined) continue;
      if (kind === 'all' && arg === undefined) rules.push({ kind: 'all' });
      else if (kind === 'sample' && arg && value >= 0 && value <= 1)
        rules.push({ kind: 'sample', fraction: value });
      else if (kind === 'uncertain' && arg && value >= 0 && value <= 1)
        rules.push({ kind: 'uncertain', below: value });
      else if (kind === 'reach' && arg && Number.isInteger(value) && value >= 0)
        rules.push({ kind: 'reach', followers: value });
      else
        throw new RangeError(
          `"${item}": expected all, none, sample:FRACTION, uncertain:CONFIDENCE (both 0..1) or reach:FOLLOWERS`,
        );
    }
    return new SelectionPolicy(rules, spec);
  }

  get selectsNothing(): boolean {
    return this.rules.length === 0;
  }

  select(e: SocialEvent, fast: SentimentResult): SelectionReason | undefined {
    for (const rule of this.rules) {
      switch (rule.kind) {
        case 'all':
          return 'all';
        case 'sample':
          if (hashString(`${e.source}\u0000${e.id}`) / 4294967296 < rule.fraction) return 'sample';
          break;
        case 'uncertain':
          if (fast.confidence === undefined || fast.confidence < rule.below) return 'uncertain';
          break;
        case 'reach':
          if ((e.author?.followers ?? 0) >= rule.followers) return 'reach';
          break;
      }
    }
    return undefined;
  }
}
