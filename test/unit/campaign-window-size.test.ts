// A restart with another --campaign-window restores a checkpoint whose open windows have the old
// size: they must not come out as windows of the new size, and ROI must not add both sizes up.
import t from 'tap';
import { campaignRoi } from '../../stream/campaigns/roi.js';
import {
  CAMPAIGN_WINDOWS_TABLE,
  CampaignWindows,
  type CampaignWindowRow,
  type FeedbackEvent,
} from '../../stream/index.js';

const MIN = 60_000;
const fb = (i: number, ts: number): FeedbackEvent => ({
  campaign: 'c',
  arm: 'a',
  decision_id: `d${i}`,
  kind: 'impression',
  ts,
});
const campaignCtx = (ms: number) => ({
  partition: 0,
  windows: [],
  brands: [],
  campaignWindowMs: ms,
  allowedLatenessMs: 0,
  outOfOrdernessMs: 0,
});
const C0 = Date.UTC(2026, 0, 1, 10);

t.test('campaigns: a restart with another campaign window drops the old windows', async (t) => {
  const a = new CampaignWindows(campaignCtx(3_600_000));
  for (let i = 0; i < 10; i++) a.foldFeedback(fb(i, C0 + i * MIN), `k${i}`);
  const before = a.emitFeedback(1).writes.flatMap((w) => w.rows) as CampaignWindowRow[];
  const snap = JSON.parse(JSON.stringify(a.snapshot())) as unknown;
  const b = new CampaignWindows(campaignCtx(900_000));
  b.restore(snap);
  t.equal(b.droppedAtRestore, 1, 'the open 1-hour window is dropped');
  for (let i = 10; i < 15; i++) b.foldFeedback(fb(i, C0 + i * MIN), `k${i}`);
  const out = b.emitFeedback(2);
  t.equal(out.writes[0]!.table, CAMPAIGN_WINDOWS_TABLE);
  const after = out.writes.flatMap((w) => w.rows) as CampaignWindowRow[];
  t.same(
    after.map((r) => [r.start, r.size_ms, r.impressions]),
    [[C0, 900_000, 5]],
    'the 15-minute window holds the 5 impressions read after the restart',
  );
  t.equal(out.feedback?.length, 5, 'every feedback event still goes to the arm statistics');
  // A checkpoint without the size (from before it was recorded) restores as before.
  const legacy = JSON.parse(JSON.stringify(a.snapshot())) as { windows: { windowMs?: number } };
  delete legacy.windows.windowMs;
  const c = new CampaignWindows(campaignCtx(3_600_000));
  c.restore(legacy);
  t.equal(c.droppedAtRestore, 0);
  t.equal(c.size, 1);
  // ROI over both runs' rows: only the current size counts.
  const roi = campaignRoi(
    { id: 'c', arms: ['a'], retired: [] } as never,
    [...before, ...after],
    0,
    C0 + 86_400_000,
  );
  t.equal(roi.window_ms, 900_000);
  t.same(
    roi.arms.map((x) => [x.arm, x.impressions]),
    [['a', 5]],
  );
});

t.test('campaign ROI adds up only rows of the current window size', async (t) => {
  const row = (start: number, size_ms: number, impressions: number, version: number, partition = 0) =>
    ({
      campaign: 'c',
      arm: 'a',
      start,
      size_ms,
      partition,
      impressions,
      clicks: 0,
      conversions: 0,
      rewards: 0,
      reward_sum: 0,
      revenue: 0,
      final: 0,
      version,
    }) satisfies CampaignWindowRow;
  // The 1-hour window was written up to 10:10 (a crash); the 15-minute windows hold the same
  // feedback again (read again from the checkpoint) and what came after.
  const rows = [row(C0, 3_600_000, 10, 7), row(C0, 900_000, 12, 9), row(C0 + 900_000, 900_000, 3, 11)];
  const roi = campaignRoi({ id: 'c', arms: ['a'], retired: [] } as never, rows, 0, C0 + 86_400_000);
  t.equal(roi.window_ms, 900_000);
  t.same(
    roi.arms.map((x) => x.impressions),
    [15],
  );
  t.same(
    roi.windows.map((w) => [w.start, w.impressions]),
    [
      [C0, 12],
      [C0 + 900_000, 3],
    ],
  );
});
