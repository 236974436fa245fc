// A restart with another --campaign-window restores a checkpoint whose open windows have the old
// size: they must not come out as windows of the new size.
import t from 'tap';
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
  t.same(
    a
      .emitFeedback(1)
      .writes.flatMap((w) => w.rows)
      .map((r) => (r as CampaignWindowRow).impressions),
    [10],
  );
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
});
