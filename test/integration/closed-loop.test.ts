import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { eventually, metricValue, startTestApp } from '../helpers/app.js';

/** A scenario file of its own, removed when `t` ends. */
async function scenarioFile(t: Test, scenario: Record<string, unknown>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pw-loop-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'scenario.json');
  await writeFile(file, JSON.stringify(scenario));
  return file;
}

interface Summary {
  pulls: number;
  observations: number;
  leader: string | null;
  arms: { arm: string; pulls: number; share: number; mean: number; observations: number }[];
}

/**
 * `npm start`'s campaign as the demo runs it: its impressions ask the embedded API's Thompson policy
 * for their arms, and clicks at the arms' hidden rates come back through ingest and stage 2, so the
 * traffic moves to the arm users click.
 */
t.test('synthetic campaign traffic that asks for decisions moves to the best arm', async (t) => {
  const file = await scenarioFile(t, {
    name: 'closed-loop',
    description: 'One campaign whose impressions ask Thompson sampling for their arms.',
    seed: 5,
    start: 'now',
    rate: 2,
    brands: [{ name: 'Northwind Coffee' }],
    campaigns: [
      {
        id: 'loop',
        brand: 'Northwind Coffee',
        impressionsPerSec: 200,
        decide: true,
        arms: [
          { id: 'clicked', clickRate: 0.5, conversionRate: 0.5 },
          { id: 'ignored', clickRate: 0.01, conversionRate: 0 },
          { id: 'also-ignored', clickRate: 0.01, conversionRate: 0 },
        ],
      },
    ],
  });
  const running = await startTestApp([
    '--synthetic',
    '--scenario',
    file,
    '--synthetic-backfill-minutes',
    '0',
  ]);
  t.teardown(() => running.stop());

  const summary = async (): Promise<Summary> =>
    (await (await fetch(`${running.url}/v1/campaigns/loop`)).json()) as Summary;
  // Thompson sampling gives the clicked arm most new pulls once its clicks are in: wait for it to
  // lead the campaign's pulls (a policy that did not learn keeps each arm near a third)
  const learned = await eventually(
    async () => {
      const s = await summary();
      const clicked = s.arms.find((a) => a.arm === 'clicked');
      return s.pulls >= 1_000 && s.observations >= 800 && clicked && clicked.share > 0.5 ? s : undefined;
    },
    60_000,
    'the clicked arm to take most pulls',
  );
  t.equal(learned.leader, 'clicked');
  for (const arm of learned.arms.filter((a) => a.arm !== 'clicked'))
    t.ok(arm.share < 0.25, `${arm.arm} ${arm.share} of the pulls`);
  // every decision is observed, clicked (1) or closed unclicked (0): the means are the click rates,
  // not clicks over clicks
  for (const arm of learned.arms) {
    const rate = arm.arm === 'clicked' ? 0.5 : 0.01;
    t.ok(
      arm.observations < 30 || Math.abs(arm.mean - rate) < 0.15,
      `${arm.arm}: mean ${arm.mean} over ${arm.observations} observations, click rate ${rate}`,
    );
  }

  // the demo's feedback reaches the ROI windows too: impressions from decide, clicks and conversions from ingest
  const roi = await eventually(
    async () => {
      const r = (await (await fetch(`${running.url}/v1/campaigns/loop/roi`)).json()) as {
        arms: { arm: string; impressions: number; clicks: number; conversions: number }[];
      };
      const clicked = r.arms.find((a) => a.arm === 'clicked');
      return clicked && clicked.impressions > 0 && clicked.clicks > 0 && clicked.conversions > 0
        ? r
        : undefined;
    },
    60_000,
    'clicks in the ROI windows',
  );
  t.ok(roi.arms.length >= 1);
  t.ok(running.synthetic, 'the synthetic source runs');
});

/**
 * The backfill's feedback (of a campaign without `decide`) is in the FEEDBACK stream before the
 * first live decision's: a decision published while the backfill is still being sent moves the
 * feedback watermark to now, and every backfilled window already past its lateness would count as
 * late and be dead-lettered. The `decide` campaign has no backfilled history and no gap once its
 * decisions start.
 */
t.test('the backfill’s feedback is in before the live decisions, which then go on', async (t) => {
  const file = await scenarioFile(t, {
    name: 'handover',
    description: 'One campaign whose live impressions ask for their arms, behind a backfill.',
    seed: 9,
    start: 'now',
    rate: 5,
    brands: [{ name: 'Northwind Coffee' }],
    campaigns: [
      {
        id: 'handover',
        brand: 'Northwind Coffee',
        impressionsPerSec: 50,
        decide: true,
        arms: [
          { id: 'a', clickRate: 0.3, conversionRate: 0.5 },
          { id: 'b', clickRate: 0.05, conversionRate: 0.5 },
        ],
      },
      {
        id: 'rotated',
        brand: 'Northwind Coffee',
        impressionsPerSec: 50,
        arms: [{ id: 'c', clickRate: 0.1, conversionRate: 0.5 }],
      },
    ],
  });
  const before = Date.now();
  const running = await startTestApp([
    '--synthetic',
    '--scenario',
    file,
    '--synthetic-backfill-minutes',
    '2',
    '--campaign-window',
    '1s',
  ]);
  t.teardown(() => running.stop());
  const started = Date.now();

  type Roi = { windows: { arm: string; start: number; impressions: number }[] };
  const impressionsBySecond = async (campaign: string): Promise<Map<number, number>> => {
    const r = (await (await fetch(`${running.url}/v1/campaigns/${campaign}/roi`)).json()) as Roi;
    const out = new Map<number, number>();
    for (const w of r.windows) out.set(w.start, (out.get(w.start) ?? 0) + w.impressions);
    return out;
  };
  // the live decisions counted for ten seconds past the start
  const end = Math.floor(started / 1000) * 1000 + 10_000;
  const decided = await eventually(
    async () => {
      const s = await impressionsBySecond('handover');
      return [...s.keys()].some((k) => k >= end + 1000) ? s : undefined;
    },
    90_000,
    'ten seconds of live decisions in the ROI windows',
  );
  const rotated = await impressionsBySecond('rotated');
  t.equal(
    await metricValue(running, 'pulsewatch_events_late_total', { window: 'campaign 1s' }),
    0,
    'none of the backfill’s feedback is late',
  );
  // at 50 impressions a second, an empty second is a gap
  const gaps = (seconds: Map<number, number>, from: number, to: number): string[] => {
    const out: string[] = [];
    for (let s = from; s < to; s += 1000) if (!seconds.get(s)) out.push(`${(s - started) / 1000} s`);
    return out;
  };
  const first = Math.ceil((before - 2 * 60_000) / 1000) * 1000 + 1000;
  t.same(gaps(rotated, first, end), [], 'the rotated campaign: every second from the backfill’s first on');
  const firstDecided = Math.min(...decided.keys());
  t.ok(firstDecided >= Math.floor(before / 1000) * 1000, 'the decided campaign has no backfilled history');
  t.same(gaps(decided, firstDecided, end), [], 'and no gap once its decisions start');
});
