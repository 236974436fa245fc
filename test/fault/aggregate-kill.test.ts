import t from 'tap';
import type { Test } from 'tap';
import { RulesSentiment } from '../../engines/sentiment/index.js';
import { DEFAULT_BRANDS } from '../../ingest/brands-default.js';
import { BrandMatcher } from '../../engines/text/index.js';
import {
  ACTIVITY_TABLE,
  AlertDetection,
  ALERTS_TABLE,
  CAMPAIGN_WINDOWS_TABLE,
  enrichEvent,
  PartitionOperators,
  spikeWindows,
  type AlertRecord,
  OPERATOR_NAMES,
  type SocialEvent,
  type SpikePartial,
  type SpikeWindowsMessage,
} from '../../stream/index.js';
import { WebhookHeaders } from '../../api/index.js';
import { receiver } from '../helpers/alert-delivery.js';
import { eventually } from '../helpers/app.js';
import { activityCount, directCount, mismatches, sumActivity, totalPosts } from '../helpers/oracle.js';
import { allWindows, ownedPartitions, spawnWorker, type WorkerProcess } from '../helpers/services.js';

import {
  ANALYTICS_OPERATORS,
  killRepeatedly,
  MIN,
  PARTITIONS,
  publishInChunks,
  setup,
  sleep,
  type Setup,
} from '../helpers/fault.js';

/** The operators whose results this file checks: the windows, activity, spikes and campaigns. */
const CLASSIC = ['windows', 'activity', 'spikes', 'campaigns'];

type FeedbackCounts = Record<
  'impressions' | 'clicks' | 'conversions' | 'rewards' | 'reward_sum' | 'revenue',
  number
>;

/**
 * How each registered operator's stored results are checked against an offline computation of the
 * same input. Every operator in the registry needs an entry: a new analysis is not exactly once
 * until this test says so.
 */
const EXACTNESS: Record<string, (t: Test, s: Setup) => Promise<void>> = {
  async windows(t, s) {
    const brands = DEFAULT_BRANDS.map((b) => b.name);
    const expected1m = directCount(s.events, DEFAULT_BRANDS, s.scorer, MIN);
    const expected1h = directCount(s.events, DEFAULT_BRANDS, s.scorer, 60 * MIN);
    const windows = await eventually(
      async () => {
        const w = await allWindows(s.store, brands, '1m', 0, s.to + MIN);
        return w.reduce((n, x) => n + x.posts, 0) === totalPosts(expected1m) ? w : undefined;
      },
      120_000,
      'ClickHouse totals to reach the input',
    );
    t.same(
      mismatches(expected1m, windows),
      [],
      '1-minute windows in ClickHouse equal the offline computation exactly',
    );
    t.same(
      mismatches(expected1h, await allWindows(s.store, brands, '1h', 0, s.to + 60 * MIN)),
      [],
      '1-hour windows too',
    );
  },
  async spikes(t, s) {
    // Every partition's published spike windows, read back from the stream: a repeat of a
    // (partition, window) after a crash must carry the same counts, and the partitions must add up
    // to the offline count of the windows every partition has closed.
    const consumer = await s.bus.consumer({
      stream: 'SPIKE_WINDOWS',
      durable: `check-${Date.now()}`,
      filterSubject: 'spikes.windows.*',
      ackPolicy: 'none',
      startSeq: 1,
    });
    const partials = new Map<string, string>();
    const closed = new Map<number, number>();
    const repeatsDiffer: string[] = [];
    for (;;) {
      const batch = await consumer.fetch(500, 1_000);
      if (batch.length === 0) break;
      for (const m of batch) {
        const msg = JSON.parse(Buffer.from(m.data).toString('utf8')) as SpikeWindowsMessage;
        closed.set(msg.partition, Math.max(closed.get(msg.partition) ?? -Infinity, msg.closed_through));
        for (const w of msg.windows) {
          const key = `${msg.partition}|${w.start}`;
          const value = JSON.stringify(w.brands);
          if (partials.has(key) && partials.get(key) !== value) repeatsDiffer.push(key);
          partials.set(key, value);
        }
      }
    }
    await consumer.stop();
    t.same(repeatsDiffer, [], 'a window published again after a crash carries the same counts');
    const through = Math.min(...[...Array(PARTITIONS).keys()].map((p) => closed.get(p) ?? -Infinity));
    t.ok(Number.isFinite(through), 'every partition closed spike windows');
    const actual = new Map<string, { posts: number; negative: number }>();
    for (const [key, value] of partials) {
      const start = Number(key.split('|')[1]);
      if (start > through) continue;
      for (const [brand, p] of Object.entries(JSON.parse(value) as Record<string, SpikePartial>)) {
        const a = actual.get(`${brand}|${start}`) ?? { posts: 0, negative: 0 };
        a.posts += p.posts;
        a.negative += p.negative;
        actual.set(`${brand}|${start}`, a);
      }
    }
    const expected = new Map<string, { posts: number; negative: number }>();
    for (const [key, e] of directCount(s.events, DEFAULT_BRANDS, s.scorer, MIN))
      if (Number(key.split('|')[1]) <= through) expected.set(key, { posts: e.posts, negative: e.negative });
    t.same(
      Object.fromEntries([...actual].sort()),
      Object.fromEntries([...expected].sort()),
      'spike windows added over the partitions equal the offline count exactly',
    );
  },
  async activity(t, s) {
    const expected = activityCount(s.events, DEFAULT_BRANDS, s.scorer);
    const read = async () =>
      sumActivity(
        (
          await Promise.all(DEFAULT_BRANDS.map((b) => s.store.read(ACTIVITY_TABLE, { brand: b.name })))
        ).flat(),
      );
    const total = (m: Map<string, { posts: number }>) => [...m.values()].reduce((n, a) => n + a.posts, 0);
    const actual = await eventually(
      async () => {
        const a = await read();
        return total(a) === total(expected) ? a : undefined;
      },
      60_000,
      'activity totals to reach the input',
    );
    t.same(
      Object.fromEntries([...actual].sort()),
      Object.fromEntries([...expected].sort()),
      'activity by brand and hour of week equals the offline computation exactly',
    );
  },
  async campaigns(t, s) {
    // Offline: every feedback event counted once in its campaign, arm and 1-hour window (the
    // default --campaign-window); none is late, as the generator keeps them within 2 s of order.
    const windowMs = 3_600_000;
    const empty = (): FeedbackCounts => ({
      impressions: 0,
      clicks: 0,
      conversions: 0,
      rewards: 0,
      reward_sum: 0,
      revenue: 0,
    });
    const expected = new Map<string, FeedbackCounts>();
    for (const e of s.feedback) {
      const key = `${e.campaign}|${e.arm}|${Math.floor(e.ts / windowMs) * windowMs}`;
      const c = expected.get(key) ?? empty();
      expected.set(key, c);
      if (e.kind === 'impression') c.impressions++;
      else if (e.kind === 'click') c.clicks++;
      else if (e.kind === 'conversion') {
        c.conversions++;
        c.revenue += e.value ?? 0;
      } else {
        c.rewards++;
        c.reward_sum += e.value ?? 0;
      }
    }
    // Stored: the latest version of each row (FINAL), added up over the partitions.
    const sizes = new Set<number>();
    const read = async () => {
      const out = new Map<string, FeedbackCounts>();
      for (const r of await s.store.read(CAMPAIGN_WINDOWS_TABLE, {})) {
        sizes.add(r.size_ms);
        const key = `${r.campaign}|${r.arm}|${r.start}`;
        const c = out.get(key) ?? empty();
        out.set(key, c);
        for (const k of Object.keys(c) as (keyof FeedbackCounts)[]) c[k] += r[k];
      }
      return out;
    };
    const count = (m: Map<string, FeedbackCounts>) =>
      [...m.values()].reduce((n, c) => n + c.impressions + c.clicks + c.conversions + c.rewards, 0);
    t.ok(s.feedback.length > 0, `${s.feedback.length} feedback events`);
    const actual = await eventually(
      async () => {
        const a = await read();
        return count(a) === s.feedback.length ? a : undefined;
      },
      60_000,
      'campaign window totals to reach the feedback',
    );
    t.same([...sizes], [windowMs], 'rows of 1-hour windows');
    t.same(
      Object.fromEntries([...actual].sort()),
      Object.fromEntries([...expected].sort()),
      'campaign windows (impressions, clicks, conversions, rewards, sums) equal the offline count exactly',
    );
  },
};

/** Stage 2's settings in the workers (the defaults), for running an operator offline as they do. */
async function expectExact(t: Test, s: Setup): Promise<void> {
  t.same(
    [...Object.keys(EXACTNESS), ...ANALYTICS_OPERATORS].sort(),
    [...OPERATOR_NAMES].sort(),
    'every registered operator is checked (the analytics in analytics-kill.test.ts)',
  );
  for (const name of Object.keys(EXACTNESS)) await EXACTNESS[name]!(t, s);
}

t.test(
  '(a) SIGKILL the aggregate worker at random moments while 100,000 events flow: totals stay exact',
  async (t) => {
    const s = await setup(t, 21, 100_000, { operators: CLASSIC });
    t.equal(s.events.length, 100_000);
    // Kill it four times at random moments, each time starting a fresh process with a new id.
    await killRepeatedly(t, s.flags, {
      times: 4,
      seed: 12345,
      maxPauseMs: 1500,
      during: () => publishInChunks(s.ingestor, s.events, 2000, 40, s),
    });
    await expectExact(t, s);
  },
);

t.test(
  '(c) two aggregate workers share the partitions; kill one and the other takes over exactly',
  async (t) => {
    const s = await setup(t, 22, 40_000, { operators: CLASSIC });
    const w1 = spawnWorker('w-a', s.flags);
    const w2 = spawnWorker('w-b', s.flags);
    t.teardown(() => {
      w1.child.kill('SIGKILL');
      w2.child.kill('SIGKILL');
    });
    const [u1, u2] = await Promise.all([w1.ready, w2.ready]);
    const split = await eventually(
      async () => {
        const [a, b] = await Promise.all([ownedPartitions(u1), ownedPartitions(u2)]);
        return a.length === 2 && b.length === 2 ? [a, b] : undefined;
      },
      30_000,
      'the workers to take two partitions each',
    );
    t.same([...split[0]!, ...split[1]!].sort(), [0, 1, 2, 3], 'every partition has one owner');
    const publishing = publishInChunks(s.ingestor, s.events, 2000, 40, s);
    await sleep(800);
    w2.child.kill('SIGKILL');
    await w2.exited;
    await publishing;
    const taken = await eventually(
      async () => ((await ownedPartitions(u1)).length === 4 ? true : undefined),
      30_000,
      'the live worker to take over all partitions',
    );
    t.ok(taken, 'the dead worker’s partitions moved to the live one');
    await expectExact(t, s);
  },
);

t.test(
  '(d) SIGKILL the aggregate worker (stage 2 and the alerts stage) during a spike: the alerts equal an offline run',
  async (t) => {
    const s = await setup(t, 23, Number.MAX_SAFE_INTEGER, {
      operators: CLASSIC,
      minutes: 30,
      rate: 25,
      spikes: (from) => [
        {
          brand: 'Northwind Coffee',
          start: from + 20 * MIN,
          durationMs: 4 * MIN,
          volumeMultiplier: 4,
          negativeShare: 0.8,
        },
      ],
    });
    // An API process delivers the alerts to a webhook subscriber while stage 2 is being killed.
    const hook = await receiver(t, (_req, res) => res.writeHead(204).end());
    const api = spawnWorker(
      'api-0',
      s.flags.map((f) => (f === 'aggregate' ? 'api' : f)),
    );
    t.teardown(() => api.child.kill('SIGKILL'));
    const apiUrl = await api.ready;
    const subscribed = await fetch(`${apiUrl}/v1/alerts/subscriptions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        target: { type: 'webhook', url: hook.url, secret: 'a-webhook-secret-long-enough' },
      }),
    });
    t.equal(subscribed.status, 201, 'subscribed');
    let worker: WorkerProcess = spawnWorker('w-0', s.flags);
    t.teardown(() => worker.child.kill('SIGKILL'));
    await worker.ready;
    const publishing = publishInChunks(s.ingestor, s.events, 1500, 30);
    for (let k = 1; k <= 3; k++) {
      await sleep(700 + k * 400);
      worker.child.kill('SIGKILL');
      await worker.exited;
      worker = spawnWorker(`w-${k}`, s.flags);
      await worker.ready;
    }
    await publishing;
    const expected = offlineAlerts(s.events, s.scorer);
    t.ok(expected.length > 0, 'the offline run finds the injected spike');
    const stored = await eventually(
      async () => {
        const rows = (
          await Promise.all(DEFAULT_BRANDS.map((b) => s.store.read(ALERTS_TABLE, { brand: b.name })))
        ).flat();
        return rows.length >= new Set(expected.map((a) => a.id)).size ? rows : undefined;
      },
      60_000,
      'the alerts to be stored',
    );
    const byId = new Map(expected.map((a) => [`${a.id}#${a.update}`, a]));
    for (const row of stored) {
      const same = byId.get(`${row.id}#${row.update}`);
      t.ok(same, `${row.id} update ${row.update} is one the offline run made`);
      if (same)
        t.match(row, {
          state: same.state,
          severity: same.severity,
          opened_at: same.opened_at,
          posts: same.posts,
        });
    }
    t.same(
      [...new Set(stored.map((r) => r.id))].sort(),
      [...new Set(expected.map((a) => a.id))].sort(),
      'the same alerts, no duplicate and none missing',
    );
    const ids = [...new Set(expected.map((a) => a.id))];
    const delivered = await eventually(
      async () => {
        const seen = new Set(
          hook.requests.map((r) => String(r.headers[WebhookHeaders.alertId.toLowerCase()])),
        );
        return ids.every((id) => seen.has(id)) ? hook.requests : undefined;
      },
      60_000,
      'every alert to reach the subscriber',
    );
    await sleep(1_000); // room for a duplicate to show up
    const deliveries = delivered.map((r) => String(r.headers[WebhookHeaders.delivery.toLowerCase()]));
    t.equal(new Set(deliveries).size, deliveries.length, 'no notification twice, whatever was replayed');
  },
);

/** The alerts of the same input through the same code in one process with one partition. */
function offlineAlerts(events: SocialEvent[], scorer: RulesSentiment): AlertRecord[] {
  const matcher = new BrandMatcher(DEFAULT_BRANDS);
  const names = DEFAULT_BRANDS.map((b) => b.name);
  const stage2 = new PartitionOperators({
    partition: 0,
    windows: [],
    allowedLatenessMs: 0,
    outOfOrdernessMs: 5_000,
    operators: [spikeWindows],
    spikeWindowMs: MIN,
    brands: DEFAULT_BRANDS,
  });
  const detection = new AlertDetection({ partitions: 1, brands: names });
  const out: AlertRecord[] = [];
  let version = 0;
  for (const e of events) {
    stage2.fold(enrichEvent(e, matcher, scorer));
    for (const m of stage2.emit(++version).publish) out.push(...detection.add(m.data as SpikeWindowsMessage));
  }
  return out;
}
