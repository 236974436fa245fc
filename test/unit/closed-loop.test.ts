import t from 'tap';
import {
  CLICK_DELAY_MS,
  ClosedLoopCampaigns,
  SyntheticGenerator,
  SyntheticSource,
  type ClosedLoopOptions,
  type GeneratedEvent,
} from '../../ingest/synthetic/index.js';
import type { CampaignSpec } from '../../ingest/synthetic/index.js';
import { DEFAULT_BRANDS } from '../../ingest/brands-default.js';
import type { FeedbackEvent } from '../../stream/model/index.js';

const T0 = Date.UTC(2026, 0, 5, 12);

const CAMPAIGN: CampaignSpec = {
  id: 'loop',
  brand: DEFAULT_BRANDS[0]!.name,
  impressionsPerSec: 100,
  decide: true,
  arms: [
    { id: 'always', clickRate: 1, conversionRate: 1 },
    { id: 'never', clickRate: 0, conversionRate: 1 },
  ],
};

/** A loop on a hand-driven clock whose decide answers `arms` in turn (or what `decide` says). */
function loopOf(over: Partial<ClosedLoopOptions> = {}, arms = ['always', 'never']) {
  const clock = { now: T0 };
  const sent: FeedbackEvent[] = [];
  const decided: string[] = [];
  let n = 0;
  const loop = new ClosedLoopCampaigns({
    seed: 1,
    campaigns: [CAMPAIGN],
    decide: async (campaign) => {
      decided.push(campaign);
      return { decision_id: `d${n}`, arm: arms[n++ % arms.length]! };
    },
    sink: async (events) => void sent.push(...events),
    now: () => clock.now,
    onError: () => undefined,
    ...over,
  });
  return { loop, clock, sent, decided };
}

/** Drives the loop's clock over `ms` in ticks of 100 ms. */
async function run(l: ReturnType<typeof loopOf>, ms: number): Promise<void> {
  const end = l.clock.now + ms;
  while (l.clock.now < end) {
    l.clock.now += 100;
    await l.loop.tick();
  }
}

t.test(
  'impressions come at the campaign rate, and users click and convert at the chosen arm’s rates',
  async (t) => {
    const l = loopOf();
    l.loop.start();
    t.teardown(() => l.loop.stop());
    await run(l, 20_000);
    const decisions = l.loop.stats.decisions;
    t.ok(decisions > 1_800 && decisions < 2_200, `${decisions} decisions in 20 s at 100/s`);
    t.ok(l.decided.every((c) => c === 'loop'));
    const clicks = l.sent.filter((e) => e.kind === 'click');
    const conversions = l.sent.filter((e) => e.kind === 'conversion');
    t.ok(clicks.length > 0 && clicks.every((e) => e.arm === 'always'), 'only the arm users click is clicked');
    // every `always` decision is clicked and converts: all of them sent but the ones not yet due
    t.ok(clicks.length >= Math.floor(decisions / 2) - 2 * 100 * (CLICK_DELAY_MS / 1000));
    t.ok(conversions.length > 0 && conversions.every((e) => e.arm === 'always'));
    const byDecision = new Map(clicks.map((c) => [c.decision_id, c]));
    for (const c of conversions) {
      const click = byDecision.get(c.decision_id);
      if (!click) continue; // its click is sent with it or before: checked below
      t.ok(c.ts >= click.ts, 'a conversion follows its click');
    }
    t.ok(
      conversions.every((c) => byDecision.has(c.decision_id)),
      'no conversion is sent before its click',
    );
    t.ok(
      l.sent.every((e) => e.ts <= l.clock.now && e.decision_id?.startsWith('d')),
      'feedback is sent once due, with its decision',
    );
    t.ok([...clicks, ...conversions].every((e) => e.value === 1));
    // the decisions nobody clicked are closed with a reward of 0, so their arm's mean is not all clicks
    const zeros = l.sent.filter((e) => e.kind === 'reward');
    t.ok(
      zeros.length > 0 && zeros.every((e) => e.arm === 'never' && e.value === 0),
      'a 0 for each unclicked one',
    );
    t.ok(zeros.length >= Math.floor(decisions / 2) - 2 * 100 * (CLICK_DELAY_MS / 1000));
    t.equal(new Set(zeros.map((e) => e.decision_id)).size, zeros.length, 'once each');
    t.equal(l.sent.length, clicks.length + conversions.length + zeros.length);
    t.equal(l.loop.stats.clicks, clicks.length);
    t.equal(l.loop.stats.conversions, conversions.length);
    t.equal(l.loop.stats.unclicked, zeros.length);
  },
);

t.test('after a stall the loop goes on at its rate, it does not burst', async (t) => {
  const l = loopOf();
  l.loop.start();
  t.teardown(() => l.loop.stop());
  l.clock.now += 3_600_000;
  await l.loop.tick();
  t.ok(l.loop.stats.decisions <= 200, `${l.loop.stats.decisions} decisions for an hour's stall`);
});

t.test('a failed decision is counted and told; the loop goes on', async (t) => {
  const errors: unknown[] = [];
  let fail = true;
  const l = loopOf({
    decide: async () => {
      if (fail) throw new Error('store down');
      return { decision_id: 'x', arm: 'never' };
    },
    onError: (err) => errors.push(err),
  });
  l.loop.start();
  t.teardown(() => l.loop.stop());
  await run(l, 1_000);
  t.ok(l.loop.stats.failed > 0 && errors.length === l.loop.stats.failed);
  t.equal(l.loop.stats.decisions, 0);
  fail = false;
  await run(l, 1_000);
  t.ok(l.loop.stats.decisions > 0, 'decisions again once the store is back');
});

t.test('feedback the sink refused is sent again on the next tick', async (t) => {
  let refuse = true;
  const sent: FeedbackEvent[] = [];
  const l = loopOf(
    {
      sink: async (events) => {
        if (refuse) throw new Error('bus down');
        sent.push(...events);
      },
    },
    ['always'],
  );
  l.loop.start();
  t.teardown(() => l.loop.stop());
  await run(l, 5_000);
  t.equal(sent.length, 0);
  t.equal(l.loop.stats.clicks, 0);
  const decisions = l.loop.stats.decisions;
  refuse = false;
  l.clock.now += 2 * CLICK_DELAY_MS;
  await l.loop.tick();
  const clicks = new Set(sent.filter((e) => e.kind === 'click').map((e) => e.decision_id));
  t.ok(clicks.size >= decisions, `the ${decisions} decisions' clicks all sent (${clicks.size})`);
});

t.test('an arm the scenario does not know is never clicked; stop ends the traffic', async (t) => {
  const l = loopOf({}, ['added-later']);
  l.loop.start();
  await run(l, 3_000);
  t.ok(l.loop.stats.decisions > 0);
  t.ok(
    l.sent.length > 0 && l.sent.every((e) => e.kind === 'reward' && e.value === 0),
    'its decisions are closed with 0',
  );
  await l.loop.stop();
  const before = l.loop.stats.decisions;
  await run(l, 1_000);
  t.equal(l.loop.stats.decisions, before, 'nothing after stop');
});

t.test('only campaigns with decide are driven; a bad tick is refused', async (t) => {
  const { decide: _decide, ...plain } = CAMPAIGN;
  const options: ClosedLoopOptions = {
    seed: 1,
    campaigns: [{ ...CAMPAIGN, decide: false }, plain],
    decide: () => Promise.reject(new Error('not called')),
    sink: () => Promise.resolve(),
  };
  t.equal(new ClosedLoopCampaigns(options).active, false);
  t.equal(new ClosedLoopCampaigns({ ...options, campaigns: [CAMPAIGN] }).active, true);
  t.throws(() => new ClosedLoopCampaigns({ ...options, tickMs: 0 }), /tickMs must be > 0/);
});

t.test('with closedLoop the generator leaves a decide campaign’s feedback to the loop', async (t) => {
  const { decide: _decide, ...rest } = CAMPAIGN;
  const plain: CampaignSpec = { ...rest, id: 'plain' };
  const generate = (closedLoop: boolean): FeedbackEvent[] =>
    [
      ...new SyntheticGenerator({
        seed: 3,
        brands: DEFAULT_BRANDS,
        ratePerSec: 1,
        campaigns: [CAMPAIGN, plain],
        closedLoop,
      }).generate(T0, T0 + 120_000),
    ]
      .filter((g): g is Extract<GeneratedEvent, { kind: 'feedback' }> => g.kind === 'feedback')
      .map((g) => g.event);
  const rotated = generate(false);
  const looped = generate(true);
  t.ok(
    rotated.filter((e) => e.campaign === 'loop').length > 0,
    'without closedLoop the generator rotates it',
  );
  t.equal(looped.filter((e) => e.campaign === 'loop').length, 0, 'with it, none at all (no history either)');
  t.same(
    looped.filter((e) => e.campaign === 'plain'),
    rotated.filter((e) => e.campaign === 'plain'),
    'other campaigns are as they were',
  );
});

t.test('decide and closedLoop are checked', async (t) => {
  const base = { seed: 1, brands: DEFAULT_BRANDS, ratePerSec: 1 };
  t.throws(
    () =>
      new SyntheticGenerator({ ...base, campaigns: [{ ...CAMPAIGN, decide: 'yes' as unknown as boolean }] }),
    /campaigns\[0\]\.decide must be true or false/,
  );
  t.throws(
    () => new SyntheticGenerator({ ...base, closedLoop: 1 as unknown as boolean }),
    /closedLoop must be true or false/,
  );
});

/**
 * What the app does (app/roles/ingest.ts): the generator makes no feedback for the loop's campaigns
 * (`closedLoop`), the source tells once it has caught up with the clock after its backfill (whose
 * feedback of other campaigns is then all sent), and the loop starts there. The backfill here takes
 * 12 s of the clock, as a long one does in the app.
 */
t.test('the loop starts where the caught-up source is: after the backfill, no gap', async (t) => {
  const clock = { now: T0 };
  let slow = true;
  const { decide: _decide, ...rest } = CAMPAIGN;
  const plain: CampaignSpec = { ...rest, id: 'plain' };
  const generated: FeedbackEvent[] = [];
  const decided: number[] = [];
  const live: { position: number; at: number }[] = [];
  const generator = new SyntheticGenerator({
    seed: 3,
    brands: DEFAULT_BRANDS,
    ratePerSec: 1,
    campaigns: [CAMPAIGN, plain],
    closedLoop: true,
  });
  const loop = new ClosedLoopCampaigns({
    seed: 1,
    campaigns: [CAMPAIGN, plain],
    decide: async (campaign) => {
      t.equal(campaign, CAMPAIGN.id);
      decided.push(clock.now);
      return { decision_id: `d${decided.length}`, arm: 'never' };
    },
    sink: async () => undefined,
    now: () => clock.now,
    onError: () => undefined,
  });
  let sentLast = 0;
  const source = new SyntheticSource({
    generator,
    backfillMs: 60_000,
    now: () => clock.now,
    sink: (batch) => {
      for (const g of batch) if (g.kind === 'feedback') generated.push(g.event);
      if (live.length === 0) sentLast = clock.now;
      // while catching up, each second of event time takes 200 ms of the clock
      if (slow) clock.now += 200;
    },
    onLive: (position) => {
      live.push({ position, at: clock.now });
      slow = false;
      loop.start(position);
    },
  });
  t.teardown(async () => {
    await loop.stop();
    await source.stop();
  });
  await source.start();
  t.same(live, [], 'not live at the end of a backfill that took 12 s of the clock');
  while (live.length === 0) await source.tick();
  t.equal(live.length, 1);
  t.ok(live[0]!.at - live[0]!.position <= 250, 'live once within 250 ms of the clock');
  for (let i = 0; i < 50; i++) {
    clock.now += 100;
    await source.tick();
    await loop.tick();
  }
  t.equal(live.length, 1, 'told once');
  t.ok(
    generated.length > 0 && generated.every((e) => e.campaign === 'plain'),
    'the generator rotates only the other campaign',
  );
  t.ok(
    decided.length > 0 && decided.every((ts) => ts >= sentLast),
    'no decision before the backfill is sent',
  );
  let gap = 0;
  for (let i = 1; i < decided.length; i++) gap = Math.max(gap, decided[i]! - decided[i - 1]!);
  t.ok(gap <= 500, `the longest time without a decision: ${gap} ms`);
  const expected = (CAMPAIGN.impressionsPerSec * (clock.now - live[0]!.position)) / 1000;
  t.ok(
    Math.abs(decided.length - expected) < 0.2 * expected,
    `${decided.length} decisions from the start on, ${expected} expected`,
  );
});

t.test('a loop started ahead of the clock waits', async (t) => {
  const l = loopOf();
  l.loop.start(T0 + 1_000);
  t.teardown(() => l.loop.stop());
  await run(l, 900);
  t.equal(l.loop.stats.decisions, 0, 'no impressions before its start');
  await run(l, 2_000);
  const d = l.loop.stats.decisions;
  t.ok(d > 150 && d < 230, `${d} decisions in the 1.9 s from its start at 100/s`);
});

t.test('a click never comes before its impression, however long the decision takes', async (t) => {
  // the decision's impression is stamped when the policy answers (CampaignService.decide), which
  // is later than the step's start by the store's round trip (Redis in services mode)
  const shownAt = new Map<string, number>();
  let n = 0;
  const l = loopOf({
    decide: async () => {
      l.clock.now += 40;
      const id = `d${n++}`;
      shownAt.set(id, l.clock.now);
      return { decision_id: id, arm: 'always' };
    },
  });
  l.loop.start();
  t.teardown(() => l.loop.stop());
  await run(l, 5_000);
  const clicks = l.sent.filter((e) => e.kind === 'click');
  t.ok(clicks.length > 0);
  const early = clicks.filter((c) => c.ts < shownAt.get(c.decision_id!)!);
  t.same(early.length, 0, 'every click at or after its decision’s impression');
});
