import t from 'tap';
import {
  BEST_TIME_FORECAST_TABLE,
  mergeForecast,
  type BestTimeForecastRow,
  type EnrichedEvent,
} from '../../stream/index.js';
import { BestTimes, FORECAST_HOURS } from '../../stream/operators/best-times.js';
import { context } from '../helpers/analytics-context.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 5); // a Monday, 00:00 UTC

let n = 0;
function post(brand: string, ts: number): EnrichedEvent {
  return {
    id: `p${n++}`,
    source: 'test',
    ts,
    received_ts: ts,
    author: { id: `a${n % 50}`, followers: 10 },
    text: 'x',
    tags: { hashtags: [], mentions: [], urls: [] },
    engagement: { likes: 2, shares: 0, replies: 0 },
    brands: [brand],
    sentiment: { label: 'neutral', score: 0, model: 'rules', tier: 'rules' },
  } as EnrichedEvent;
}

t.test(
  'best times: a brand that goes quiet still gets a forecast from now, not from its last post',
  async (t) => {
    const op = new BestTimes(context);
    const forecastRows: BestTimeForecastRow[] = [];
    let version = 0;
    const run = (events: EnrichedEvent[]) => {
      let wm = -Infinity;
      for (const [i, e] of events.entries()) {
        op.fold(e, wm);
        wm = Math.max(wm, e.ts - 5 * 60_000);
        if (i % 20 === 19)
          for (const w of op.emit(wm, ++version).writes)
            if (w.table.name === BEST_TIME_FORECAST_TABLE.name)
              forecastRows.push(...(w.rows as unknown as BestTimeForecastRow[]));
      }
    };
    // A week of both brands, posting every 10 minutes; then three days where only "busy" is named.
    const events: EnrichedEvent[] = [];
    for (let ts = T0; ts < T0 + 7 * 24 * HOUR; ts += 600_000)
      events.push(post('quiet', ts), post('busy', ts + 1));
    for (let ts = T0 + 7 * 24 * HOUR; ts < T0 + 10 * 24 * HOUR; ts += 600_000) events.push(post('busy', ts));
    run(events);

    const latest = (brand: string) => {
      const byStep = new Map<number, BestTimeForecastRow>();
      for (const r of forecastRows) if (r.brand === brand) byStep.set(r.step, r);
      return [...byStep.values()];
    };
    const busy = mergeForecast(latest('busy'));
    const quiet = mergeForecast(latest('quiet'));
    t.equal(busy.length, FORECAST_HOURS);
    t.equal(quiet.length, FORECAST_HOURS);
    t.equal(quiet[0]!.ts, busy[0]!.ts, 'both forecasts start at the first hour the partition has not closed');
    t.ok(quiet[0]!.ts >= T0 + 10 * 24 * HOUR - 2 * HOUR, 'which is now, not three days ago');
    const total = (f: typeof busy) => f.reduce((sum, h) => sum + h.posts, 0);
    t.ok(total(quiet) < total(busy), 'the quiet days count: fewer posts expected than of the busy brand');
  },
);

t.test('best times: a checkpoint from before (a bare list of brands) restores', async (t) => {
  const op = new BestTimes(context);
  op.fold(post('b', T0), T0 - HOUR);
  op.fold(post('b', T0 + 2 * HOUR), T0 + HOUR);
  const state = op.snapshot() as { brands: unknown[] };
  const old = new BestTimes(context);
  old.restore(JSON.parse(JSON.stringify(state.brands)));
  t.equal(old.size, 1);
  const restored = new BestTimes(context);
  restored.restore(JSON.parse(JSON.stringify(state)));
  t.same(restored.snapshot(), op.snapshot());
  t.same(old.emit(T0 + HOUR, 3), op.emit(T0 + HOUR, 3));
});
