import t from 'tap';
import { Random } from '../../engines/stats/index.js';
import { SpaceSaving, TrendDetector } from '../../engines/trends/index.js';
import { scoreTrends } from '../../stream/analytics/read-trends.js';
import type { TrendWindowRow } from '../../stream/analytics/tables.js';
import { closeTrendWindow } from '../../stream/operators/trends.js';
import { enrichEvent, selectOperators, type OperatorContext, type SocialEvent } from '../../stream/index.js';
import { context, matcher, MIN, scorer, T0 } from '../helpers/analytics-context.js';

const WINDOW = 300_000;
/** Steady vocabulary: 300 terms, mean mentions per window per partition from 40 down to 1.5 (the sketch overflows). */
const VOCAB = Array.from({ length: 300 }, (_, i) => [`term${i}`, 40 * Math.exp(-i / 90)] as const);

/** One partition's window as the operator counts it: every mention in a sketch of `capacity` terms, in random order. */
function windowSketch(rng: Random, capacity: number): SpaceSaving {
  const mentions: string[] = [];
  for (const [term, mean] of VOCAB) for (let k = rng.poisson(mean); k > 0; k--) mentions.push(term);
  for (let i = mentions.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [mentions[i], mentions[j]] = [mentions[j]!, mentions[i]!];
  }
  const s = new SpaceSaving(capacity);
  for (const m of mentions) s.add(m);
  return s;
}

t.test(
  'operator path: steady terms near the sketch capacity do not trend (baselines learn the counts, not their lower bounds)',
  (t) => {
    const rng = new Random(7);
    const partitions = 4;
    const detectors = Array.from({ length: partitions }, () => new TrendDetector());
    const rows: TrendWindowRow[] = [];
    const flagged: string[] = [];
    for (let w = 0; w < 60; w++) {
      for (let p = 0; p < partitions; p++) {
        const warm = detectors[p]!.warm ? 1 : 0;
        for (const r of closeTrendWindow(detectors[p]!, windowSketch(rng, 200)))
          rows.push({
            ...r,
            warm,
            brand: 'b',
            start: w * WINDOW,
            size_ms: WINDOW,
            partition: p,
            final: 1,
            version: 1,
          });
      }
      if (w < 20) continue; // warm-up and the first baselines
      const [view] = scoreTrends(
        rows.filter((r) => r.start > (w - 3) * WINDOW),
        1000,
        { from: w * WINDOW, to: (w + 1) * WINDOW },
      );
      for (const term of view!.terms)
        if (term.trending) flagged.push(`${w}:${term.term} ${term.count}/${term.baseline}`);
    }
    t.same(flagged, [], 'no steady term trends');
    t.end();
  },
);

t.test('addCounts into an empty window is the same as adding every mention', (t) => {
  const rng = new Random(3);
  const direct = new TrendDetector({ capacity: 50 });
  const counted = new TrendDetector({ capacity: 50 });
  for (let w = 0; w < 30; w++) {
    const mentions: string[] = [];
    for (const [term, mean] of VOCAB.slice(0, 120))
      for (let k = rng.poisson(mean); k > 0; k--) mentions.push(term);
    const sketch = new SpaceSaving(50);
    for (const m of mentions) {
      direct.add(m);
      sketch.add(m);
    }
    counted.addCounts(sketch);
    t.same(counted.closeWindow(), direct.closeWindow(), `window ${w}`);
  }
  t.same(counted.snapshot(), direct.snapshot());
  t.end();
});

t.test(
  'the operator marks its rows with the warm-up: cold for --trend-warmup-windows windows, then warm',
  (t) => {
    /** `warm` of the final rows of each of 4 one-minute windows of posts, in order. */
    const warmth = (ctx: OperatorContext): number[] => {
      const op = selectOperators(['trends'])[0]!.create(ctx);
      const out: number[] = [];
      for (let w = 0; w < 4; w++) {
        for (let i = 0; i < 5; i++)
          op.fold(enrichEvent(brandPost(w * 10 + i, T0 + w * MIN + i * 1000), matcher, scorer), T0 + w * MIN);
        const finals = op
          .emit(T0 + (w + 1) * MIN + 10_000, w + 1)
          .writes.flatMap((x) => x.rows as readonly TrendWindowRow[])
          .filter((r) => r.final === 1);
        out.push(...new Set(finals.map((r) => r.warm)));
      }
      return out;
    };
    t.same(warmth({ ...context, analytics: { windowMs: MIN, trendWarmupWindows: 2 } }), [0, 0, 1, 1]);
    t.same(warmth({ ...context, analytics: { windowMs: MIN, trendWarmupWindows: 0 } }), [1, 1, 1, 1]);
    t.throws(
      () => selectOperators(['trends'])[0]!.create({ ...context, analytics: { trendWarmupWindows: -1 } }),
      {
        message: /warm-up/,
      },
    );
    t.end();
  },
);

function brandPost(i: number, ts: number): SocialEvent {
  return {
    id: `w${i}`,
    source: 'test',
    ts,
    received_ts: ts,
    tags: { hashtags: [], mentions: [], urls: [] },
    author: { id: `a${i}`, followers: 10 },
    text: 'Northwind Coffee oat latte foam is great',
    engagement: { likes: 0, shares: 0, replies: 0 },
  };
}

t.test('an open window after a gap is marked warm as its final rows will be (the gap counts)', (t) => {
  // warm after 3 windows: windows 0 and 1 have posts, 2 and 3 none, 4 is the detector's fifth
  const op = selectOperators(['trends'])[0]!.create({
    ...context,
    analytics: { windowMs: MIN, trendWarmupWindows: 3 },
  });
  const rowsOf = (watermark: number, version: number) =>
    op.emit(watermark, version).writes.flatMap((x) => x.rows as readonly TrendWindowRow[]);
  for (const w of [0, 1]) {
    for (let i = 0; i < 5; i++)
      op.fold(enrichEvent(brandPost(w * 10 + i, T0 + w * MIN + i * 1000), matcher, scorer), T0 + w * MIN);
    rowsOf(T0 + (w + 1) * MIN + 10_000, w + 1);
  }
  for (let i = 0; i < 5; i++)
    op.fold(enrichEvent(brandPost(40 + i, T0 + 4 * MIN + i * 1000), matcher, scorer), T0 + 4 * MIN);
  const live = rowsOf(T0 + 4 * MIN + 30_000, 3).filter((r) => r.start === T0 + 4 * MIN);
  const final = rowsOf(T0 + 5 * MIN + 10_000, 4).filter((r) => r.start === T0 + 4 * MIN);
  t.ok(live.length > 0 && live.every((r) => r.final === 0), 'the open window is written');
  t.same([...new Set(final.map((r) => r.warm))], [1], 'its final rows are warm');
  t.same([...new Set(live.map((r) => r.warm))], [1], 'and so are its live ones');
  t.end();
});
