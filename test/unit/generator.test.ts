import { createHash } from 'node:crypto';
import { normalizeText } from '../../engines/text/index.js';
import t from 'tap';
import { DEFAULT_BRANDS, defaultCampaigns } from '../../ingest/brands-default.js';
import {
  LATE_WARMUP_MS,
  MAX_OUT_OF_ORDER_MS,
  SyntheticGenerator,
  SyntheticSource,
  type GeneratedEvent,
  type GeneratorConfig,
} from '../../ingest/synthetic/index.js';
import type { FeedbackEvent, SocialEventInput } from '../../stream/model/events.js';
import { checkSocialEvent, validateFeedbackEvent, validateSocialEvent } from '../../stream/model/events.js';

const DAY = Date.UTC(2024, 4, 1); // midnight UTC
const NOON = DAY + 12 * 3_600_000;
const MIN = 60_000;

type Social = Extract<GeneratedEvent, { kind: 'social' }>;

function config(over: Partial<GeneratorConfig> = {}): GeneratorConfig {
  return {
    seed: 42,
    brands: DEFAULT_BRANDS,
    ratePerSec: 20,
    campaigns: defaultCampaigns(DEFAULT_BRANDS),
    ...over,
  };
}

function all(over: Partial<GeneratorConfig>, from: number, to: number): GeneratedEvent[] {
  return [...new SyntheticGenerator(config(over)).generate(from, to)];
}

function socials(events: GeneratedEvent[]): Social[] {
  return events.filter((e): e is Social => e.kind === 'social');
}

function feedback(events: GeneratedEvent[]): FeedbackEvent[] {
  return events.flatMap((e) => (e.kind === 'feedback' ? [e.event] : []));
}

/** The slot an event was generated for, from its id `syn-<seed>-<slot>-<k>`. */
function slotStart(e: SocialEventInput): number {
  return Number(e.id.split('-')[2]) * 100;
}

t.test('the same seed and range give the same events; another seed gives others', async (t) => {
  const a = all({}, NOON, NOON + 20_000);
  const b = all({}, NOON, NOON + 20_000);
  t.ok(a.length > 300, `enough events to compare (${a.length})`);
  t.same(a, b);
  const c = all({ seed: 43 }, NOON, NOON + 20_000);
  t.notSame(
    socials(c).map((e) => e.event.text),
    socials(a).map((e) => e.event.text),
  );
});

t.test('with no scenario features the output is what the generator gave before they existed', async (t) => {
  // The digest of this output taken before topics, phases and faults were added: the default
  // traffic, the oracle-based tests and the fault tests all rely on it staying the same.
  const start = NOON + MIN;
  const configs: GeneratorConfig[] = [
    config({
      ratePerSec: 50,
      spikes: [
        { brand: 'Northwind Coffee', start, durationMs: 3 * MIN, volumeMultiplier: 4, negativeShare: 0.8 },
        {
          brand: 'Harbor Brew',
          start: NOON + 90_000,
          durationMs: MIN,
          volumeMultiplier: 3,
          negativeShare: 0.7,
        },
      ],
    }),
    { seed: 7, brands: DEFAULT_BRANDS, ratePerSec: 20 },
  ];
  const hash = createHash('sha256');
  for (const c of configs) {
    for (const g of new SyntheticGenerator(c).generate(NOON, NOON + 5 * MIN)) {
      const line =
        g.kind === 'social'
          ? {
              kind: g.kind,
              event: g.event,
              label: g.truth.label,
              brands: g.truth.brands,
              spike: g.truth.spike,
            }
          : g;
      hash.update(JSON.stringify(line) + '\n');
    }
  }
  t.equal(hash.digest('hex'), '92a0f033a0e18ab4aad1a68a9cebc5a66ab79f6e836529cc25bbd94ca407114e');
});

t.test('consecutive ranges yield exactly the events of one range, whatever the split', async (t) => {
  const whole = all({}, NOON, NOON + 30_000);
  const g = new SyntheticGenerator(config());
  const cut1 = NOON + 12_345; // not on a slot boundary
  const cut2 = NOON + 20_000;
  const parts = [...g.generate(NOON, cut1), ...g.generate(cut1, cut2), ...g.generate(cut2, NOON + 30_000)];
  t.same(parts, whole);
  // a later range does not depend on having generated the earlier one
  const fresh = new SyntheticGenerator(config());
  t.same([...fresh.generate(cut2, NOON + 30_000)], [...g.generate(cut2, NOON + 30_000)]);
  t.same([...g.generate(NOON, NOON)], [], 'an empty range is empty');
});

t.test('every event passes the schema, ids are unique, tags match the text', async (t) => {
  const from = NOON;
  const to = NOON + 60_000;
  const events = all({}, from, to);
  const ids = new Set<string>();
  let bad = 0;
  for (const e of events) {
    if (e.kind === 'feedback') {
      if (!validateFeedbackEvent(e.event).ok) bad++;
      if (e.event.ts < from || e.event.ts >= to) bad++;
      continue;
    }
    if (e.kind === 'malformed') {
      bad++; // none without a scenario that asks for them
      continue;
    }
    const v = validateSocialEvent(e.event, to);
    if (!v.ok) {
      t.fail(`invalid ${e.event.id}: ${v.detail}`);
      bad++;
    }
    ids.add(e.event.id);
    const ev = e.event;
    if (!ev.id.startsWith('syn-42-') || ev.source !== 'synthetic' || ev.lang !== 'en') bad++;
    if (ev.ts >= to || ev.ts < from - MAX_OUT_OF_ORDER_MS) bad++;
    // Tags come from the engines' tokenizer: normalised (lower case, no accents).
    const folded = normalizeText(ev.text);
    for (const m of ev.tags?.mentions ?? []) if (!folded.includes(`@${m}`)) bad++;
    for (const h of ev.tags?.hashtags ?? []) if (!folded.includes(`#${h}`)) bad++;
    for (const u of ev.tags?.urls ?? []) if (!ev.text.includes(u)) bad++;
    for (const b of e.truth.brands) if (!DEFAULT_BRANDS.some((d) => d.name === b)) bad++;
  }
  t.equal(bad, 0);
  t.equal(ids.size, socials(events).length, 'social ids are unique');
  t.ok(feedback(events).length > 0, 'campaign feedback is generated too');
});

t.test('events come in slot order; a small share is out of order by up to 3 s', async (t) => {
  const events = socials(all({ ratePerSec: 100, outOfOrderShare: 0.1 }, NOON, NOON + 60_000));
  let late = 0;
  let slotsOrdered = true;
  let prevSlot = -Infinity;
  for (const { event } of events) {
    const slot = slotStart(event);
    if (slot < prevSlot) slotsOrdered = false;
    prevSlot = slot;
    if (event.ts < slot) {
      late++;
      t.ok(slot - event.ts <= MAX_OUT_OF_ORDER_MS, 'never more than 3 s early');
    }
  }
  t.ok(slotsOrdered);
  t.ok(Math.abs(late / events.length - 0.1) < 0.02, `late share ${late / events.length}`);
});

t.test('the label mix follows the configured mix', async (t) => {
  const mix = { positive: 0.5, neutral: 0.3, negative: 0.2 };
  const events = socials(all({ ratePerSec: 50, mix, campaigns: [] }, NOON, NOON + 10 * MIN));
  t.ok(events.length > 20_000);
  for (const label of ['positive', 'neutral', 'negative'] as const) {
    const share = events.filter((e) => e.truth.label === label).length / events.length;
    t.ok(Math.abs(share - mix[label]) < 0.015, `${label} ${share.toFixed(3)} vs ${mix[label]}`);
  }
  const brandless = events.filter((e) => e.truth.brands.length === 0).length / events.length;
  t.ok(Math.abs(brandless - 0.1) < 0.015, `brandless share ${brandless.toFixed(3)}`);
  const comparisons = events.filter((e) => e.truth.brands.length === 2).length;
  t.ok(comparisons > 0, 'some posts compare two brands');
});

t.test('a spike raises one brand’s volume and negative share inside its interval only', async (t) => {
  const brand = 'Harbor Brew';
  const start = NOON + 10 * MIN;
  const spikes = [{ brand, start, durationMs: 10 * MIN, volumeMultiplier: 4, negativeShare: 0.8 }];
  const events = socials(
    all({ ratePerSec: 40, spikes, campaigns: [], dailyAmplitude: 0 }, NOON, NOON + 30 * MIN),
  );
  const window = (from: number, to: number, name: string): Social[] =>
    events.filter((e) => e.truth.brands[0] === name && slotStart(e.event) >= from && slotStart(e.event) < to);
  const before = window(NOON, start, brand);
  const during = window(start, start + 10 * MIN, brand);
  const after = window(start + 10 * MIN, NOON + 30 * MIN, brand);
  const negShare = (xs: Social[]): number =>
    xs.filter((e) => e.truth.label === 'negative').length / xs.length;

  t.ok(during.length > 3.3 * before.length && during.length < 4.7 * before.length, 'about 4× the volume');
  t.ok(Math.abs(after.length / before.length - 1) < 0.15, 'back to normal afterwards');
  t.ok(Math.abs(negShare(during) - 0.8) < 0.03, `negative share during ${negShare(during)}`);
  t.ok(Math.abs(negShare(before) - 0.2) < 0.04, `negative share before ${negShare(before)}`);
  t.ok(Math.abs(negShare(after) - 0.2) < 0.04, `negative share after ${negShare(after)}`);
  t.ok(
    during.every((e) => e.truth.spike) && [...before, ...after].every((e) => !e.truth.spike),
    'truth marks the spike',
  );

  const other = 'Cafe Aurora';
  const otherBefore = window(NOON, start, other).length;
  const otherDuring = window(start, start + 10 * MIN, other).length;
  t.ok(Math.abs(otherDuring / otherBefore - 1) < 0.15, 'other brands keep their volume');

  // the spike's complaints share a topic a detector can find
  const negatives = during.filter((e) => e.truth.label === 'negative');
  const onTopic = negatives.filter((e) => /outage/i.test(e.event.text)).length / negatives.length;
  t.ok(onTopic > 0.75, `outage share of spike complaints ${onTopic.toFixed(2)}`);
  const outside = before.filter((e) => /outage/i.test(e.event.text)).length;
  t.equal(outside, 0, 'the topic word does not occur outside the spike');
});

t.test('volume follows the daily curve: more at 18:00 than at 06:00 UTC', async (t) => {
  const at = (hour: number, amp: number): number =>
    socials(
      all({ dailyAmplitude: amp, campaigns: [] }, DAY + hour * 3_600_000, DAY + hour * 3_600_000 + 5 * MIN),
    ).length;
  const evening = at(18, 0.5);
  const morning = at(6, 0.5);
  t.ok(
    evening > 2.5 * morning && evening < 3.5 * morning,
    `18:00 ${evening} vs 06:00 ${morning}, expected 3×`,
  );
  const flatEvening = at(18, 0);
  const flatMorning = at(6, 0);
  t.ok(Math.abs(flatEvening / flatMorning - 1) < 0.1, 'amplitude 0 is flat');
  // ratePerSec is the mean over the day
  const noon = at(12, 0.5);
  t.ok(Math.abs(noon / (20 * 300) - 1) < 0.1, `12:00 is at the daily mean (${noon})`);
});

t.test('campaign feedback reflects the hidden arm rates', async (t) => {
  const arms = [
    { id: 'a', clickRate: 0.02, conversionRate: 0.5 },
    { id: 'b', clickRate: 0.05, conversionRate: 0.2 },
    { id: 'c', clickRate: 0.1, conversionRate: 0.1 },
  ];
  const campaigns = [{ id: 'promo', brand: 'Northwind Coffee', arms, impressionsPerSec: 500 }];
  const events = feedback(all({ ratePerSec: 0, campaigns }, NOON, NOON + 2 * MIN));
  const impressions = new Map<string, FeedbackEvent>();
  const clicks = new Map<string, FeedbackEvent>();
  let orphans = 0;
  for (const e of events) {
    const id = e.decision_id ?? '';
    if (e.kind === 'impression') impressions.set(id, e);
    const before = e.kind === 'click' ? impressions.get(id) : e.kind === 'conversion' ? clicks.get(id) : e;
    if (!before || before.arm !== e.arm || before.ts > e.ts || e.value !== 1) orphans++;
    if (e.kind === 'click') clicks.set(id, e);
  }
  t.equal(orphans, 0, 'each click follows its impression and each conversion its click');
  t.ok(Math.abs(impressions.size / (500 * 120) - 1) < 0.02, `impressions ${impressions.size}`);
  for (const arm of arms) {
    const shown = events.filter((e) => e.arm === arm.id && e.kind === 'impression').length;
    const clicked = events.filter((e) => e.arm === arm.id && e.kind === 'click').length;
    const converted = events.filter((e) => e.arm === arm.id && e.kind === 'conversion').length;
    t.ok(Math.abs(shown / impressions.size - 1 / 3) < 0.01, `arm ${arm.id} gets a third of impressions`);
    t.ok(
      Math.abs(clicked / shown - arm.clickRate) < 0.01,
      `arm ${arm.id} ctr ${(clicked / shown).toFixed(4)}`,
    );
    t.ok(
      Math.abs(converted / clicked - arm.conversionRate) < 0.06,
      `arm ${arm.id} conversion per click ${(converted / clicked).toFixed(3)}`,
    );
  }
});

t.test('some posts carry the campaign they came from', async (t) => {
  const events = socials(all({}, NOON, NOON + 5 * MIN));
  const [campaign] = defaultCampaigns(DEFAULT_BRANDS);
  const tagged = events.filter((e) => e.event.campaign);
  t.ok(tagged.length > 0);
  t.ok(
    tagged.every(
      (e) =>
        e.event.campaign?.id === campaign?.id &&
        e.truth.brands[0] === campaign?.brand &&
        campaign?.arms.some((a) => a.id === e.event.campaign?.arm),
    ),
  );
});

t.test('texts refer to brands in varied forms and read like posts', async (t) => {
  const events = socials(all({ ratePerSec: 50, campaigns: [] }, NOON, NOON + 5 * MIN));
  const texts = events.map((e) => e.event.text);
  const some = (re: RegExp): boolean => texts.some((x) => re.test(x));
  t.ok(some(/@northwindcoffee\b/), '@handle');
  t.ok(some(/#NorthwindCoffee\b/), '#HashtagOfName');
  t.ok(some(/Northwind Coffee/), 'name');
  t.ok(some(/northwind coffee/), 'lower-case');
  t.ok(some(/Northwind Café/), 'accented alias');
  t.ok(some(/Northwind Cafe\b/), 'alias without its accent');
  t.ok(some(/https:\/\/\S+/), 'urls');
  t.ok(some(/#(coffee|service|latte|espresso)\b/), 'generic hashtags');
  t.ok(some(/[A-Z]{3,} [A-Z]{3,} [A-Z]{3,}/), 'ALL CAPS');
  t.ok(some(/([aeiou])\1\1/i), 'elongated words');
  const negatives = events.filter((e) => e.truth.label === 'negative').map((e) => e.event.text);
  for (const word of ['refund', 'rude', 'broken', 'late', 'down']) {
    t.ok(
      negatives.some((x) => x.toLowerCase().includes(word)),
      `complaints mention "${word}"`,
    );
  }
  const positives = events.filter((e) => e.truth.label === 'positive').map((e) => e.event.text);
  t.notOk(
    positives.some((x) => /[😡👎😤🤬💔😞]/u.test(x)),
    'no angry emoji on positive posts',
  );
  const followers = events.map((e) => e.event.author.followers ?? 0).sort((a, b) => a - b);
  const median = followers[Math.floor(followers.length / 2)] ?? 0;
  const top = followers[followers.length - 1] ?? 0;
  t.ok(top > 100 * median, 'followers are heavy-tailed');
  t.ok(
    events.some((e) => e.event.author.verified),
    'a few verified authors',
  );
  const big = events.filter((e) => (e.event.author.followers ?? 0) > 10_000);
  const small = events.filter((e) => (e.event.author.followers ?? 0) < 100);
  const meanLikes = (xs: Social[]): number =>
    xs.reduce((s, e) => s + (e.event.engagement?.likes ?? 0), 0) / xs.length;
  t.ok(meanLikes(big) > 10 * meanLikes(small), 'engagement grows with followers');
});

t.test('bad config throws a RangeError that names the problem', async (t) => {
  const cases: [Partial<GeneratorConfig>, RegExp][] = [
    [{ ratePerSec: -1 }, /ratePerSec/],
    [{ ratePerSec: Number.NaN }, /ratePerSec/],
    [{ mix: { positive: 0.5, neutral: 0.5, negative: 0.5 } }, /mix must sum to 1/],
    [{ mix: { positive: 1.2, neutral: -0.2, negative: 0 } }, /mix\.positive/],
    [
      { spikes: [{ brand: 'Nope', start: NOON, durationMs: 1000, volumeMultiplier: 2, negativeShare: 0.5 }] },
      /unknown brand "Nope"/,
    ],
    [
      {
        spikes: [
          { brand: 'Harbor Brew', start: NOON, durationMs: 1000, volumeMultiplier: 2, negativeShare: 1.5 },
        ],
      },
      /negativeShare/,
    ],
    [
      {
        spikes: [
          { brand: 'Harbor Brew', start: NOON, durationMs: 0, volumeMultiplier: 2, negativeShare: 0.5 },
        ],
      },
      /durationMs/,
    ],
    [
      {
        campaigns: [
          {
            id: 'x',
            brand: 'Harbor Brew',
            arms: [{ id: 'a', clickRate: 2, conversionRate: 0 }],
            impressionsPerSec: 1,
          },
        ],
      },
      /clickRate/,
    ],
    [{ campaigns: [{ id: 'x', brand: 'Harbor Brew', arms: [], impressionsPerSec: 1 }] }, /at least one arm/],
    [
      {
        campaigns: [
          {
            id: 'x',
            brand: 'Zed',
            arms: [{ id: 'a', clickRate: 0.1, conversionRate: 0.1 }],
            impressionsPerSec: 1,
          },
        ],
      },
      /unknown brand/,
    ],
    [{ dailyAmplitude: 1.5 }, /dailyAmplitude/],
    [{ outOfOrderShare: -0.1 }, /outOfOrderShare/],
    [{ brandlessShare: 2 }, /brandlessShare/],
    [{ authors: 0 }, /authors/],
    [{ seed: 1.5 }, /seed/],
    [{ brands: [] }, /at least one brand/],
    [{ topics: [{ name: 'outage', positive: ['{1}'], neutral: ['{1}'], negative: ['{1}'] }] }, /is taken/],
    [{ topics: [{ name: 'x', positive: ['no brand'], neutral: ['{1}'], negative: ['{1}'] }] }, /\{1\}/],
    [{ topics: [{ name: 'x', positive: [], neutral: ['{1}'], negative: ['{1}'] }] }, /at least one template/],
    [{ topicPhases: [{ from: NOON, weights: { nope: 1 } }] }, /unknown topic "nope"/],
    [
      {
        topicPhases: [
          { from: NOON, weights: { general: 1 } },
          { from: NOON, weights: { general: 1 } },
        ],
      },
      /after the previous phase/,
    ],
    [{ late: { share: 0.1, minDelayMs: 5000, maxDelayMs: 1000 } }, /late\.maxDelayMs must be >= /],
    [{ late: { share: 1.5, minDelayMs: 1, maxDelayMs: 2 } }, /late\.share/],
    [{ duplicates: { share: 0.1, maxDelayMs: 120_000 } }, /duplicates\.maxDelayMs/],
    [{ malformed: { share: -1 } }, /malformed\.share/],
  ];
  for (const [over, message] of cases) {
    t.throws(() => new SyntheticGenerator(config(over)), { name: 'RangeError', message }, String(message));
  }
  const g = new SyntheticGenerator(config());
  t.throws(() => [...g.generate(NOON, NOON - 1)], RangeError, 'a backwards range');
});

/** A clock the test moves by hand. */
function fakeClock(start: number): { now: () => number; set: (t: number) => void } {
  let t = start;
  return { now: () => t, set: (v) => (t = v) };
}

t.test('SyntheticSource backfills in chunks, then delivers each tick, then stops', async (t) => {
  const generator = new SyntheticGenerator(config());
  const clock = fakeClock(NOON);
  const got: GeneratedEvent[] = [];
  const sizes: number[] = [];
  const source = new SyntheticSource({
    generator,
    now: clock.now,
    backfillMs: 5_000,
    tickMs: 1,
    sink: (batch) => {
      sizes.push(batch.length);
      got.push(...batch);
    },
  });
  await source.start();
  t.same(got, [...generator.generate(NOON - 5_000, NOON)], 'backfill is [now-backfill, now)');
  t.ok(sizes.length >= 5, `backfill came in chunks (${sizes.length} batches)`);
  t.same(source.stats, { generated: got.length, batches: sizes.length });

  clock.set(NOON + 250);
  await source.tick();
  t.same(got, [...generator.generate(NOON - 5_000, NOON + 250)], 'a tick delivers [last, now)');

  // the timer delivers without help once time moves
  clock.set(NOON + 2_000);
  while (source.stats.generated < [...generator.generate(NOON - 5_000, NOON + 2_000)].length) {
    await new Promise((r) => setTimeout(r, 2));
  }
  t.same(
    got,
    [...generator.generate(NOON - 5_000, NOON + 2_000)],
    'no gaps and no repeats across timer ticks',
  );

  await source.stop();
  const count = got.length;
  clock.set(NOON + 10_000);
  await source.tick();
  await new Promise((r) => setTimeout(r, 10));
  t.equal(got.length, count, 'nothing is delivered after stop');
});

t.test('SyntheticSource never overlaps runs: a slow sink makes it skip ticks and catch up', async (t) => {
  const generator = new SyntheticGenerator(config({ ratePerSec: 50 }));
  const clock = fakeClock(NOON);
  const got: GeneratedEvent[] = [];
  let active = 0;
  let maxActive = 0;
  let release: () => void = () => undefined;
  let gate = new Promise<void>((r) => (release = r));
  const source = new SyntheticSource({
    generator,
    now: clock.now,
    tickMs: 1_000_000, // ticks are driven by hand here
    sink: async (batch) => {
      active++;
      maxActive = Math.max(maxActive, active);
      await gate;
      got.push(...batch);
      active--;
    },
  });
  await source.start(); // no backfill: nothing to wait for
  clock.set(NOON + 500);
  const first = source.tick();
  clock.set(NOON + 900);
  const second = source.tick();
  t.equal(second, first, 'a tick during a run joins that run instead of starting another');
  release();
  await first;
  gate = new Promise<void>((r) => (release = r));
  release();
  await source.tick(); // catches up to 900
  t.equal(maxActive, 1, 'one sink call at a time');
  t.same(got, [...generator.generate(NOON, NOON + 900)]);
  await source.stop();
});

t.test('SyntheticSource reports a failing sink and retries the range', async (t) => {
  const generator = new SyntheticGenerator(config());
  const clock = fakeClock(NOON);
  const got: GeneratedEvent[] = [];
  const errors: unknown[] = [];
  let fail = true;
  const source = new SyntheticSource({
    generator,
    now: clock.now,
    backfillMs: 2_000,
    tickMs: 1_000_000,
    onError: (err) => errors.push(err),
    sink: (batch) => {
      if (fail) {
        fail = false;
        throw new Error('bus down');
      }
      got.push(...batch);
    },
  });
  await source.start();
  t.equal(errors.length, 1);
  t.match(String(errors[0]), /bus down/);
  await source.tick();
  t.same(got, [...generator.generate(NOON - 2_000, NOON)], 'the failed chunk is delivered on the next run');
  await source.stop();
});

t.test('SyntheticSource.stop during backfill waits for the sink and ends the run', async (t) => {
  const generator = new SyntheticGenerator(config());
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  let calls = 0;
  let done = false;
  const source = new SyntheticSource({
    generator,
    now: () => NOON,
    backfillMs: 10_000,
    sink: async () => {
      calls++;
      await gate;
      done = true;
    },
  });
  const started = source.start();
  await new Promise((r) => setImmediate(r));
  t.equal(calls, 1, 'the first chunk is in the sink');
  const stopped = source.stop();
  release();
  await stopped;
  t.ok(done, 'stop waited for the sink call in flight');
  await started;
  t.equal(calls, 1, 'no further chunks after stop');
  t.throws(() => new SyntheticSource({ generator, sink: () => undefined, tickMs: 0 }), RangeError);
});

/** The faults of a config with late, duplicate and malformed posts, over [from, to). */
function faulty(from: number, to: number, over: Partial<GeneratorConfig> = {}): GeneratedEvent[] {
  return all(
    {
      ratePerSec: 60,
      faultsFrom: from,
      late: { share: 0.05, minDelayMs: 5 * MIN, maxDelayMs: 10 * MIN },
      duplicates: { share: 0.05, maxDelayMs: 5000 },
      malformed: { share: 0.02 },
      ...over,
    },
    from,
    to,
  );
}

t.test('faults change only the posts they hit, from faultsFrom on', async (t) => {
  const from = NOON;
  const to = NOON + 5 * MIN;
  const plain = new Map(socials(all({ ratePerSec: 60 }, from, to)).map((e) => [e.event.id, e]));
  const events = faulty(from, to);
  let late = 0;
  let copies = 0;
  let malformed = 0;
  let same = 0;
  const seen = new Set<string>();
  const sentJson = new Map<string, string>();
  for (const g of events) {
    if (g.kind === 'feedback') continue;
    if (g.kind === 'malformed') {
      malformed++;
      if (seen.has(g.truth.of) || !plain.has(g.truth.of) || g.line.includes('\n'))
        t.fail(`a malformed line replaces its post: ${g.truth.of}`);
      const expected = (() => {
        try {
          const v = checkSocialEvent(JSON.parse(g.line));
          return v.ok ? 'valid' : v.reason;
        } catch {
          return 'invalid_json';
        }
      })();
      if (expected !== g.truth.reason)
        t.fail(`${g.line} should fail with ${g.truth.reason}, not ${expected}`);
      continue;
    }
    const original = plain.get(g.event.id)!;
    if (g.truth.copy) {
      copies++;
      const delay = g.truth.copy.sentAt - g.truth.copy.originalSentAt;
      if (!seen.has(g.event.id) || delay < 0 || delay > 5000) t.fail(`copy ${g.event.id} out of place`);
      if (JSON.stringify(g.event) !== sentJson.get(g.event.id))
        t.fail(`copy ${g.event.id} differs from its original`);
      continue;
    }
    seen.add(g.event.id);
    sentJson.set(g.event.id, JSON.stringify(g.event));
    if (g.truth.lateMs !== undefined) {
      late++;
      const ok =
        g.truth.brands.length > 0 && // only brand posts are late
        g.truth.lateMs >= 5 * MIN &&
        g.truth.lateMs <= 10 * MIN &&
        slotStart(g.event) >= from + LATE_WARMUP_MS && // none during the warm-up
        JSON.stringify({ ...g.event, ts: original.event.ts }) === JSON.stringify(original.event); // only ts differs
      if (!ok) t.fail(`late post ${g.event.id} is not as it should be`);
      continue;
    }
    if (JSON.stringify(g) === JSON.stringify(original)) same++;
  }
  t.ok(
    late > 100 && copies > 100 && malformed > 50,
    `late ${late}, copies ${copies}, malformed ${malformed}`,
  );
  t.equal(same + late + malformed, plain.size, 'every other post is exactly as without faults');

  // before faultsFrom there are none
  const before = faulty(NOON - MIN, NOON + MIN, { faultsFrom: NOON + MIN });
  t.same(before, all({ ratePerSec: 60 }, NOON - MIN, NOON + MIN));
});

t.test('with faults, consecutive ranges still yield exactly the events of one range', async (t) => {
  const whole = faulty(NOON, NOON + 30_000);
  const g = new SyntheticGenerator(
    config({
      ratePerSec: 60,
      faultsFrom: NOON,
      late: { share: 0.05, minDelayMs: 5 * MIN, maxDelayMs: 10 * MIN },
      duplicates: { share: 0.05, maxDelayMs: 5000 },
      malformed: { share: 0.02 },
    }),
  );
  const cut = NOON + 12_345;
  t.same([...g.generate(cut, NOON + 30_000)], whole.slice(-[...g.generate(cut, NOON + 30_000)].length));
  t.same([...g.generate(NOON, cut), ...g.generate(cut, NOON + 30_000)], whole);
});

t.test(
  'topic phases pick the vocabulary of brand posts, restricted topics only for their brands',
  async (t) => {
    const from = NOON;
    const events = socials(
      all(
        {
          ratePerSec: 60,
          campaigns: [],
          topics: [
            {
              name: 'nitro',
              brands: ['Northwind Coffee'],
              hashtags: ['nitrocan'],
              positive: ['the {1} nitro can is great'],
              neutral: ['tried the {1} nitro can'],
              negative: ['the {1} nitro can leaked'],
            },
          ],
          topicPhases: [
            { from, weights: { general: 1, 'seasonal-menu': 1 } },
            { from: from + 5 * MIN, weights: { loyalty: 1, nitro: 3 } },
          ],
        },
        from - MIN,
        from + 10 * MIN,
      ),
    );
    const phase1 = events.filter((e) => slotStart(e.event) < from + 5 * MIN && e.truth.brands.length > 0);
    const phase2 = events.filter((e) => slotStart(e.event) >= from + 5 * MIN);
    const share = (xs: Social[], topic: string) =>
      xs.filter((e) => e.truth.topic === topic).length / xs.length;
    t.ok(
      Math.abs(share(phase1, 'seasonal-menu') - 0.5) < 0.03,
      'phase 1 (and before it): half seasonal menu',
    );
    t.ok(
      phase2.every((e) => e.truth.brands.length === 0 || e.truth.topic !== 'general'),
      'phase 2 has no general brand posts',
    );
    const northwind = phase2.filter((e) => e.truth.brands[0] === 'Northwind Coffee');
    const others = phase2.filter(
      (e) => e.truth.brands.length > 0 && e.truth.brands[0] !== 'Northwind Coffee',
    );
    t.ok(
      Math.abs(share(northwind, 'nitro') - 0.75) < 0.04,
      `nitro share for Northwind ${share(northwind, 'nitro')}`,
    );
    t.equal(share(others, 'nitro'), 0, 'nitro never for other brands');
    t.equal(share(others, 'loyalty'), 1, 'their weight goes to the other topics');
    const terms: Record<string, RegExp> = {
      'seasonal-menu': /seasonal menu|pumpkin spice|limited edition|winter blend/i,
      loyalty: /points|stars/i,
      nitro: /nitro can/i,
    };
    for (const e of events) {
      const re = terms[e.truth.topic];
      if (re && !re.test(e.event.text))
        t.fail(`${e.truth.topic} post without its key terms: ${e.event.text}`);
    }
    t.ok(
      events.some((e) => e.event.tags?.hashtags?.includes('nitrocan')),
      'topic hashtags are used',
    );
    const nitroTemplates = [
      'the {1} nitro can is great',
      'tried the {1} nitro can',
      'the {1} nitro can leaked',
    ];
    t.ok(
      events.every((e) => e.truth.topic !== 'nitro' || nitroTemplates.includes(e.truth.template)),
      'the truth names the template a post was written from',
    );
    t.ok(new Set(phase1.filter((e) => e.truth.topic === 'general').map((e) => e.truth.template)).size > 10);
  },
);

t.test('a timed campaign sends feedback and tags posts only while it runs', async (t) => {
  const [campaign] = defaultCampaigns(DEFAULT_BRANDS);
  const timed = { ...campaign!, from: NOON + MIN, until: NOON + 2 * MIN };
  const events = all({ campaigns: [timed] }, NOON, NOON + 3 * MIN);
  const fb = feedback(events);
  t.ok(fb.length > 0);
  t.ok(fb.every((e) => e.ts >= NOON + MIN && e.ts < NOON + 2 * MIN));
  const tagged = socials(events).filter((e) => e.event.campaign);
  t.ok(
    tagged.length > 0 &&
      tagged.every((e) => slotStart(e.event) >= NOON + MIN && slotStart(e.event) < NOON + 2 * MIN),
  );
});

t.test('SyntheticSource runs a fixed range with from and until, then is done', async (t) => {
  const generator = new SyntheticGenerator(config());
  const got: GeneratedEvent[] = [];
  const source = new SyntheticSource({
    generator,
    now: () => NOON + 60_000,
    from: NOON,
    until: NOON + 5_500,
    tickMs: 1,
    sink: (batch) => {
      got.push(...batch);
    },
  });
  await source.start();
  await source.done;
  t.equal(source.position, NOON + 5_500);
  t.same(got, [...generator.generate(NOON, NOON + 5_500)], 'exactly [from, until)');
  t.throws(() => new SyntheticSource({ generator, sink: () => undefined, from: Number.NaN }), RangeError);
});
