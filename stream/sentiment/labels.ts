import type { SentimentLabel } from '../../engines/sentiment/index.js';
import { SentimentError } from './errors.js';

/**
 * Maps a model's labels (its config.json `id2label`, in index order) to ours. An explicit map wins;
 * otherwise common conventions are recognised: names starting with neg/neu/pos (cardiffnlp's
 * "negative", "NEU", "POSITIVE"), `LABEL_0..2` as negative/neutral/positive (cardiffnlp's first
 * twitter-roberta-base-sentiment), `LABEL_0..1` as negative/positive (SST-2 models), and 1–5 stars
 * (1–2 negative, 3 neutral, 4–5 positive). A label that maps to nothing stops the model from
 * loading, rather than being silently dropped.
 */
export function mapModelLabels(
  modelLabels: readonly string[],
  explicit: Readonly<Record<string, SentimentLabel>> = {},
): SentimentLabel[] {
  const generic = modelLabels.every((l) => /^label_\d+$/i.test(l));
  return modelLabels.map((name, index) => {
    const given = explicit[name];
    if (given) return given;
    const l = name.trim().toLowerCase();
    if (l.startsWith('neg')) return 'negative';
    if (l.startsWith('neu')) return 'neutral';
    if (l.startsWith('pos')) return 'positive';
    if (generic && modelLabels.length === 3) return (['negative', 'neutral', 'positive'] as const)[index]!;
    if (generic && modelLabels.length === 2) return (['negative', 'positive'] as const)[index]!;
    const stars = /^([1-5]) stars?$/.exec(l);
    if (stars) return Number(stars[1]) <= 2 ? 'negative' : Number(stars[1]) === 3 ? 'neutral' : 'positive';
    throw new SentimentError(
      'MODEL_LABELS',
      `the model's label "${name}" maps to no sentiment label; map it with --sentiment-transformer-labels (for example "${name}=negative")`,
    );
  });
}

/** Parses `NAME=label,NAME=label` (the --sentiment-transformer-labels setting). */
export function parseLabelMap(spec: string): Record<string, SentimentLabel> {
  const out: Record<string, SentimentLabel> = {};
  for (const item of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const eq = item.lastIndexOf('=');
    const label = item.slice(eq + 1).trim();
    if (eq <= 0 || (label !== 'negative' && label !== 'neutral' && label !== 'positive'))
      throw new RangeError(`"${item}": expected MODEL_LABEL=negative|neutral|positive`);
    out[item.slice(0, eq).trim()] = label;
  }
  return out;
}
