import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { eventually, startTestApp } from '../helpers/app.js';

interface Summary {
  pulls: number;
  leader: string | null;
  arms: { arm: string; pulls: number; share: number }[];
}

/**
 * `npm start`'s campaign as the demo runs it: its impressions ask the embedded API's Thompson policy
 * for their arms, and clicks at the arms' hidden rates come back through ingest and stage 2, so the
 * traffic moves to the arm users click.
 */
t.test('synthetic campaign traffic that asks for decisions moves to the best arm', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pw-loop-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'loop.json');
  await writeFile(
    file,
    JSON.stringify({
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
    }),
  );
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
      return s.pulls >= 1_000 && clicked && clicked.share > 0.5 ? s : undefined;
    },
    60_000,
    'the clicked arm to take most pulls',
  );
  t.equal(learned.leader, 'clicked');
  for (const arm of learned.arms.filter((a) => a.arm !== 'clicked'))
    t.ok(arm.share < 0.25, `${arm.arm} ${arm.share} of the pulls`);

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
