import t from 'tap';
import {
  AUTHOR_SEGMENTS_TABLE,
  enrichEvent,
  mergeSegments,
  SEGMENTS_TABLE,
  type AuthorSegmentRow,
  type OperatorOutput,
  type SegmentRow,
} from '../../stream/index.js';
import { Segments } from '../../stream/operators/segments.js';
import { DEFAULT_BRANDS } from '../../ingest/brands-default.js';
import { context, matcher, MIN, scorer, T0 } from '../helpers/analytics-context.js';
import { seededEvents } from '../helpers/oracle.js';

const rowsOf = <R>(out: OperatorOutput, name: string) =>
  (out.writes.find((w) => w.table.name === name)?.rows ?? []) as unknown as R[];

t.test(
  'a restart with another --segments: the restored authors are segmented into the new k at once',
  async (t) => {
    const events = seededEvents(3, DEFAULT_BRANDS, 5, T0, T0 + 120 * MIN).map((e) =>
      enrichEvent(e, matcher, scorer),
    );
    const withK = (segments: number) => new Segments({ ...context, analytics: { windowMs: MIN, segments } });
    const before = withK(5);
    let wm = -Infinity;
    for (const e of events) {
      before.fold(e, wm);
      wm = Math.max(wm, e.ts - 5_000);
    }
    const first = before.emit(wm, 1);
    t.equal(rowsOf<SegmentRow>(first, SEGMENTS_TABLE.name).length, 5);

    const after = withK(3);
    after.restore(JSON.parse(JSON.stringify(before.snapshot())));
    const next = after.emit(wm, 2);
    const segmentRows = [
      ...rowsOf<SegmentRow>(first, SEGMENTS_TABLE.name),
      ...rowsOf<SegmentRow>(next, SEGMENTS_TABLE.name),
    ];
    const segments = mergeSegments(segmentRows, []);
    t.same(
      segments.map((s) => s.id),
      [0, 1, 2],
      'three segments, written and read back without the old ones',
    );
    t.equal(
      segments.reduce((n, s) => n + s.authors, 0),
      rowsOf<SegmentRow>(first, SEGMENTS_TABLE.name).reduce((n, r) => n + r.authors, 0),
      'the same authors as before the restart, each in one of them',
    );
    const moved = rowsOf<AuthorSegmentRow>(next, AUTHOR_SEGMENTS_TABLE.name);
    t.ok(moved.length > 0, 'the authors it moved are written for the campaigns');
    t.ok(moved.every((r) => after.segmentOf(r.author) === r.segment && r.segment < 3));
  },
);
