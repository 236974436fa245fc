import t from 'tap';
import type { Test } from 'tap';
import { BrandMatcher } from '../../engines/text/index.js';
import { DEFAULT_BRANDS } from '../../ingest/brands-default.js';
import { loadConfig } from '../../app/config.js';
import {
  enrichEvent,
  PartitionOperators,
  partitionOf,
  selectOperators,
  tableKey,
  TOPICS_TABLE,
  type SocialEvent,
  type TableSpec,
} from '../../stream/index.js';
import { eventually } from '../helpers/app.js';
import {
  ANALYTICS_OPERATORS,
  killRepeatedly,
  MIN,
  PARTITIONS,
  publishInChunks,
  setup,
  type Setup,
} from '../helpers/fault.js';

/**
 * The analyses beside the windows (topics, trends, share of voice, influencers, segments, best
 * times) are exactly once too: a stage-2 worker running only them is SIGKILLed at random moments
 * while events flow, and their stored rows must equal each operator run offline over the same input
 * (test/fault/aggregate-kill.test.ts does the same for the windows, activity, spikes and campaigns).
 */

const DEFAULTS = loadConfig([], {});

/**
 * Offline: one operator run alone over each partition's events in the order the partition holds
 * them (repeats dropped), with the workers' settings, emitted once at the end. Rows by table, each
 * keyed by its table key, without the version (which depends on batches) and without the columns
 * that are descriptive snapshots taken when a window closes (`terms`).
 */
function offlineRows(s: Setup, name: string): Map<string, Map<string, unknown>> {
  const matcher = new BrandMatcher(DEFAULT_BRANDS);
  const byPartition = new Map<number, SocialEvent[]>();
  const seen = new Set<string>();
  for (const e of s.events) {
    if (seen.has(e.id)) continue;
    seen.add(e.id);
    const p = partitionOf(e.author.id, PARTITIONS);
    byPartition.set(p, [...(byPartition.get(p) ?? []), e]);
  }
  const out = new Map<string, Map<string, unknown>>();
  for (const [partition, events] of byPartition) {
    const host = new PartitionOperators({
      partition,
      windows: DEFAULTS.windows,
      allowedLatenessMs: DEFAULTS.allowedLatenessMs,
      outOfOrdernessMs: DEFAULTS.outOfOrdernessMs,
      brands: DEFAULT_BRANDS,
      analytics: { windowMs: MIN },
      operators: selectOperators([name]),
    });
    for (const e of events) host.fold(enrichEvent(e, matcher, s.scorer));
    for (const w of host.emit(1).writes) addComparable(out, w.table, w.rows);
  }
  return out;
}

/** Rows to compare: final ones of windowed tables, all of the others; keyed, version and terms left out. */
function addComparable(
  out: Map<string, Map<string, unknown>>,
  table: TableSpec<never>,
  rows: readonly Record<string, unknown>[],
): void {
  let m = out.get(table.name);
  if (!m) out.set(table.name, (m = new Map()));
  for (const r of rows) {
    if ('final' in table.columns && r.final !== 1) continue;
    const { version: _v, terms: _t, ...rest } = r;
    m.set(tableKey(table, r), rest);
  }
}

/**
 * Equal rows, keys in any order, floats to within a relative 1e-9: ClickHouse 18.16 does not print every double back
 * exactly, so a stored 8.85266621773499… may come back as …735 (rounding both to a fixed number of
 * digits still differs where a value sits on the rounding boundary).
 */
function sameRows(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number')
    return a === b || Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return a === b;
  // Keys in any order: rows read back list the table's columns in its order, the operator its own.
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return (
    ka.length === kb.length &&
    ka.every(
      (k, i) => k === kb[i] && sameRows((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
    )
  );
}

/**
 * The analyses beside the windows: their stored rows (latest versions) equal the operator run
 * offline over the same input. The `topics` table (the clusters as they stand, rows written as
 * clusters change) is left out; the topics' windows are compared.
 */
function offlineExact(name: string) {
  return async (t: Test, s: Setup) => {
    const expected = offlineRows(s, name);
    const tables = selectOperators([name])[0]!.tables.filter((x) => x !== TOPICS_TABLE);
    const read = async () => {
      const out = new Map<string, Map<string, unknown>>();
      for (const table of tables) {
        out.set(table.name, new Map());
        addComparable(out, table, await s.store.read(table, {}));
      }
      return out;
    };
    const flat = (m: Map<string, Map<string, unknown>>) =>
      Object.fromEntries(tables.map((x) => [x.name, Object.fromEntries([...(m.get(x.name) ?? [])].sort())]));
    const want = flat(expected);
    let last: Map<string, Map<string, unknown>> = new Map();
    const started = Date.now();
    await eventually(
      async () => {
        last = await read();
        return sameRows(flat(last), want) ? last : undefined;
      },
      120_000,
      `${name} rows to equal the offline run`,
    ).catch(() => undefined);
    t.ok(
      tables.every((x) => (expected.get(x.name)?.size ?? 0) > 0 || x.name === 'best_time_forecast'),
      `${name}: the offline run has rows to compare`,
    );
    if (sameRows(flat(last), want))
      t.pass(`${name}: stored rows equal the offline run exactly (after ${Date.now() - started} ms)`);
    else
      t.fail(`${name}: stored rows equal the offline run exactly`, {
        diagnostic: true,
        ...rowDiff(last, expected),
      });
  };
}

/** What differs between stored and expected rows, in short: keys missing, extra, and the first rows that differ. */
function rowDiff(got: Map<string, Map<string, unknown>>, want: Map<string, Map<string, unknown>>) {
  const out: Record<string, unknown> = {};
  for (const [table, rows] of want) {
    const have = got.get(table) ?? new Map<string, unknown>();
    const missing = [...rows.keys()].filter((k) => !have.has(k));
    const extra = [...have.keys()].filter((k) => !rows.has(k));
    const differing = [...rows].filter(([k, v]) => have.has(k) && !sameRows(have.get(k), v));
    if (missing.length + extra.length + differing.length === 0) continue;
    out[table] = {
      rows: { expected: rows.size, stored: have.size },
      missing: missing.slice(0, 5),
      extra: extra.slice(0, 5),
      differing: differing.length,
      first: differing.slice(0, 3).map(([k, v]) => ({ key: k, stored: have.get(k), expected: v })),
    };
  }
  return out;
}

t.test(
  'SIGKILL the analytics worker while 30,000 events flow: every analysis equals an offline run',
  async (t) => {
    // 10 minutes of event time, so that 1-minute analytics windows close.
    const s = await setup(t, 31, 30_000, { operators: ANALYTICS_OPERATORS, rate: 50, minutes: 10 });
    await killRepeatedly(t, s.flags, {
      times: 3,
      seed: 4242,
      maxPauseMs: 1200,
      during: () => publishInChunks(s.ingestor, s.events, 1000, 60),
    });
    for (const name of ANALYTICS_OPERATORS) await offlineExact(name)(t, s);
  },
);
