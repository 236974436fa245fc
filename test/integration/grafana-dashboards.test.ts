/**
 * The Grafana dashboards of dashboards/grafana/: the committed JSON is what the code builds; every
 * ClickHouse query (panels and variables) runs on the real, migrated schema after Grafana's and the
 * ClickHouse plugin's macros are expanded, and panels return what the project's own store wrote;
 * every metric a PromQL expression names is in the metrics registry the app serves; the
 * provisioning files give the data sources the uids the dashboards use.
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { parse as parseYaml } from 'yaml';
import { Metrics } from '../../api/index.js';
import {
  CLICKHOUSE,
  DASHBOARDS,
  dashboardQueries,
  dashboardsDir,
  PROMETHEUS,
  renderDashboard,
  type DashboardQuery,
} from '../../dashboards/grafana/index.js';
import { emptyCounts } from '../../stream/operators/brand-counts.js';
import {
  ALERTS_TABLE,
  ANALYTICS_TABLES,
  readTrends,
  BEST_TIME_HOURS_TABLE,
  CAMPAIGN_WINDOWS_TABLE,
  INFLUENCER_WINDOWS_TABLE,
  SEGMENT_WINDOWS_TABLE,
  SEGMENTS_TABLE,
  TOPIC_WINDOWS_TABLE,
  TOPICS_TABLE,
  TREND_WINDOWS_TABLE,
  VOICE_WINDOWS_TABLE,
  type TableSpec,
  type TrendWindowRow,
  type WindowRow,
} from '../../stream/index.js';
import { ClickHouseStore } from '../../stream/store/clickhouse/index.js';
import { CLICKHOUSE_URL, dropDatabase, isolation } from '../helpers/services.js';

const ROOT = join(dashboardsDir(), '..', '..');
const built = Object.entries(DASHBOARDS).map(([name, build]) => ({ name, dashboard: build() }));

t.test(
  'the committed JSON is what the code builds (run npm run dashboards:build after a change)',
  async (t) => {
    for (const { name, dashboard } of built) {
      const file = join(dashboardsDir(), `${name}.json`);
      const committed = await readFile(file, 'utf8').catch(() => '(missing)');
      t.equal(committed, await renderDashboard(dashboard, file), `${name}.json is up to date`);
    }
  },
);

// ---- Grafana's and the ClickHouse plugin's macros ------------------------------------------------

interface MacroContext {
  fromMs: number;
  toMs: number;
  intervalS: number;
  variables: Record<string, string | string[]>;
}

/** Grafana's `sqlstring` format: each value single-quoted with its quotes doubled, joined by commas. */
function sqlstring(value: string | string[]): string {
  return (Array.isArray(value) ? value : [value]).map((v) => `'${v.replace(/'/g, "''")}'`).join(',');
}

function variable(ctx: MacroContext, name: string): string | string[] {
  const value = ctx.variables[name];
  if (value === undefined) throw new Error(`variable $${name} is not set in the test`);
  return value;
}

/**
 * Expands what the dashboards use, as Grafana (template variables, `$__from`/`$__to`) and then the
 * ClickHouse plugin (v4 macros) would. Anything else that looks like a macro or a variable throws.
 */
export function expandMacros(sql: string, ctx: MacroContext): string {
  const fromS = Math.floor(ctx.fromMs / 1000);
  const toS = Math.floor(ctx.toMs / 1000);
  const grafana = sql
    .replace(/\$\{(\w+):sqlstring\}/g, (_, name: string) => sqlstring(variable(ctx, name)))
    .replace(/\$\{(\w+)(:\w+)?\}/g, (m, name: string, format?: string) => {
      if (format) throw new Error(`variable format ${m} is not expanded by this test`);
      const v = variable(ctx, name);
      return Array.isArray(v) ? sqlstring(v) : v;
    })
    .replace(/\$(?!__)(\w+)/g, (_, name: string) => {
      const v = variable(ctx, name);
      return Array.isArray(v) ? sqlstring(v) : v;
    })
    .replace(/\$__(from|to)\b/g, (_, which: string) => String(which === 'from' ? ctx.fromMs : ctx.toMs));
  const plugin = grafana.replace(/\$__(\w+)(?:\(([^)]*)\))?/g, (m, macro: string, arg?: string) => {
    switch (macro) {
      case 'timeFilter':
        if (!arg) throw new Error(`${m} needs a column`);
        return `${arg} >= toDateTime(${fromS}) AND ${arg} <= toDateTime(${toS})`;
      case 'fromTime':
        return `toDateTime(${fromS})`;
      case 'toTime':
        return `toDateTime(${toS})`;
      case 'interval_s':
        return String(ctx.intervalS);
      default:
        throw new Error(`macro ${m} is not expanded by this test: add it here or do not use it`);
    }
  });
  if (plugin.includes('$')) throw new Error(`something like a macro is left in:\n${plugin}`);
  return plugin;
}

t.test('the macro expansion refuses what it does not know', async (t) => {
  const ctx: MacroContext = { fromMs: 0, toMs: 1000, intervalS: 1, variables: { b: "o'k" } };
  t.equal(
    expandMacros('x = ${b:sqlstring} AND $__timeFilter(ts)', ctx),
    "x = 'o''k' AND ts >= toDateTime(0) AND ts <= toDateTime(1)",
  );
  t.throws(() => expandMacros('$__timeInterval(ts)', ctx), /not expanded/);
  t.throws(() => expandMacros('$nope', ctx), /not set/);
});

// ---- Rows written through the project's store ---------------------------------------------------

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 5, 12, 0, 0); // a Monday
const FROM = T0 - 60 * MIN;
const TO = T0 + 60 * MIN;

function windowRow(over: Partial<WindowRow>): WindowRow {
  return {
    brand: 'acme',
    window: '1m',
    start: T0,
    end: T0 + MIN,
    partition: 0,
    version: 1,
    final: true,
    ...emptyCounts(),
    ...over,
  };
}

const windowed = (over: {
  start?: number;
  partition?: number;
  final?: number;
  version?: number;
  size_ms?: number;
}) => ({
  start: T0,
  size_ms: MIN,
  partition: 0,
  final: 1,
  version: 10,
  ...over,
});

async function writeRows(store: ClickHouseStore): Promise<void> {
  // an older version of a key, written first in a batch of its own (a batch keeps only the newest
  // version of a key), then replaced: FINAL must leave it out
  await store.upsert([windowRow({ posts: 100, negative: 100, version: 1, final: false })]);
  await store.flush();
  await store.upsert([
    windowRow({ posts: 10, positive: 6, neutral: 2, negative: 2, sentiment_sum: 3, likes: 5, version: 2 }),
    windowRow({
      partition: 1,
      posts: 5,
      positive: 1,
      negative: 3,
      unsupported: 1,
      sentiment_sum: -1,
      version: 2,
    }),
    windowRow({ brand: 'rival', posts: 7, positive: 7, sentiment_sum: 7, version: 2 }),
  ]);
  await store.write(VOICE_WINDOWS_TABLE, [
    {
      brand: 'acme',
      posts: 15,
      positive: 7,
      negative: 5,
      sentiment_sum: 2,
      scored: 12, // 3 posts in an unsupported language: not in the mean
      reach: 300,
      engagement: 9,
      ...windowed({}),
    },
    {
      brand: 'rival',
      posts: 5,
      positive: 5,
      negative: 0,
      sentiment_sum: 5,
      scored: 5,
      reach: 100,
      engagement: 1,
      ...windowed({}),
    },
    // rows of a window size no longer written (lower version): left out
    {
      brand: 'rival',
      posts: 1000,
      positive: 0,
      negative: 0,
      sentiment_sum: 0,
      scored: 1000,
      reach: 0,
      engagement: 0,
      ...windowed({ size_ms: 5 * MIN, version: 1 }),
    },
  ]);
  await store.write(TREND_WINDOWS_TABLE, [
    // an update row naming a term the final row set of its window no longer holds: left out
    { brand: 'acme', term: 'stale', count: 50, baseline: 1, warm: 1, ...windowed({ final: 0, version: 5 }) },
    { brand: 'acme', term: 'outage', count: 12, baseline: 1, warm: 1, ...windowed({ final: 1, version: 9 }) },
    {
      brand: 'acme',
      term: 'outage',
      count: 4,
      baseline: 1,
      warm: 1,
      ...windowed({ partition: 1, final: 0, version: 9 }),
    },
    // partition 1's earlier list of the open window named a term its latest one dropped: left out
    {
      brand: 'acme',
      term: 'dropped',
      count: 30,
      baseline: 1,
      warm: 1,
      ...windowed({ partition: 1, final: 0, version: 7 }),
    },
  ]);
  await store.write(TOPIC_WINDOWS_TABLE, [
    {
      scope: 'acme',
      topic: 3,
      docs: 8,
      positive: 1,
      negative: 5,
      sentiment_sum: -2,
      scored: 6,
      terms: JSON.stringify([
        ['battery', 0.5],
        ['charger', 0.3],
      ]),
      emerging: 1,
      ...windowed({}),
    },
  ]);
  await store.write(TOPICS_TABLE, [
    {
      scope: 'acme',
      partition: 0,
      topic: 3,
      docs: 8,
      terms: '[["battery",1]]',
      created_at: T0,
      last_seen_at: T0,
      live: 1,
      version: 10,
    },
  ]);
  await store.write(SEGMENTS_TABLE, [
    { partition: 0, segment: 1, label: 'casual', authors: 30, centroid: '{}', version: 10 },
    { partition: 1, segment: 1, label: 'casual', authors: 12, centroid: '{}', version: 10 },
    // a segment partition 0 no longer has (its latest write has none): left out
    { partition: 0, segment: 4, label: 'gone', authors: 99, centroid: '{}', version: 5 },
  ]);
  await store.write(SEGMENT_WINDOWS_TABLE, [
    {
      segment: 1,
      posts: 9,
      positive: 4,
      negative: 2,
      sentiment_sum: 1.5,
      scored: 6,
      engagement: 20,
      ...windowed({}),
    },
  ]);
  await store.write(INFLUENCER_WINDOWS_TABLE, [
    { brand: 'acme', author: 'a1', score: 3.5, mentions: 2, followers: 1000, ...windowed({}) },
  ]);
  await store.write(BEST_TIME_HOURS_TABLE, [
    { brand: 'acme', partition: 0, hour: 12, posts: 40, engagement: 400, engagement_sq: 5000, version: 10 },
    { brand: 'acme', partition: 1, hour: 12, posts: 10, engagement: 100, engagement_sq: 1200, version: 10 },
  ]);
  await store.write(ALERTS_TABLE, [
    {
      id: 'al-1',
      brand: 'acme',
      kind: 'negative_share',
      state: 'open',
      update: 1,
      severity: 'high',
      opened_at: T0,
      updated_at: T0 + MIN,
      resolved_at: 0,
      window_ms: MIN,
      observed: 0.6,
      baseline: 0.1,
      peak: 0.6,
      score: 7,
      posts: 15,
      negative: 9,
      top_terms: '["outage"]',
      samples: '[]',
      version: 10,
    },
  ]);
  await store.write(CAMPAIGN_WINDOWS_TABLE, [
    {
      campaign: 'spring',
      arm: 'a',
      impressions: 100,
      clicks: 10,
      conversions: 2,
      rewards: 3,
      reward_sum: 1.5,
      revenue: 20,
      ...windowed({}),
    },
    {
      campaign: 'spring',
      arm: 'b',
      impressions: 50,
      clicks: 1,
      conversions: 0,
      rewards: 0,
      reward_sum: 0,
      revenue: 0,
      ...windowed({ partition: 1 }),
    },
  ]);
  await store.flush();
}

t.test(
  'every ClickHouse query runs on the migrated schema and panels show what the store wrote',
  async (t) => {
    const { database } = isolation();
    t.teardown(() => dropDatabase(database));
    const tables = [
      ...ANALYTICS_TABLES,
      ALERTS_TABLE,
      CAMPAIGN_WINDOWS_TABLE,
    ] as unknown as TableSpec<never>[];
    const store = await ClickHouseStore.open({ url: CLICKHOUSE_URL, database, tables, flushIntervalMs: 50 });
    t.teardown(() => store.close());
    await writeRows(store);

    // the data source's default database is the app's; here the test's
    const client = createClient({ url: CLICKHOUSE_URL, database });
    t.teardown(() => client.close());
    const ctx: MacroContext = {
      fromMs: FROM,
      toMs: TO,
      intervalS: 60,
      variables: {
        brand: 'acme',
        window: '1m',
        compare: ['rival'],
        alert_brand: ['acme'],
        campaign: 'spring',
      },
    };
    const run = async (q: DashboardQuery) => {
      const result = await client.query({ query: expandMacros(q.text, ctx), format: 'JSONEachRow' });
      return result.json<Record<string, unknown>>();
    };

    const results = new Map<string, Record<string, unknown>[]>();
    let count = 0;
    for (const { name, dashboard } of built)
      for (const q of dashboardQueries(dashboard).filter((q) => q.datasource === 'clickhouse')) {
        count++;
        try {
          results.set(`${name}/${q.where}`, await run(q));
        } catch (err) {
          t.fail(`${name} / ${q.where}: ${(err as Error).message}\n${q.text}`);
        }
      }
    t.ok(count >= 20, `${count} ClickHouse queries ran`);

    const rows = (key: string) => {
      const r = results.get(key);
      if (!r) throw new Error(`no result for ${key}: ${[...results.keys()].join(', ')}`);
      return r;
    };
    const num = (v: unknown) => Number(v);

    t.same(
      rows('brand-health/$brand').map((r) => r.brand),
      ['acme', 'rival'],
      'brands from ClickHouse',
    );
    t.same(
      rows('brand-health/$window').map((r) => r.window),
      ['1m'],
    );
    // partitions added, the replaced version left out: 10 + 5
    t.equal(num(rows('brand-health/Posts')[0]!.total_posts), 15, 'posts: latest versions, partitions summed');
    t.equal(num(rows('brand-health/Posts')[0]!.engagement), 5);
    t.equal(num(rows('brand-health/Mean sentiment')[0]!.mean_sentiment), (3 - 1) / (15 - 1));
    t.equal(num(rows('brand-health/Negative share')[0]!.negative_share), 5 / 14);
    const volume = rows('brand-health/Volume by sentiment');
    t.equal(volume.length, 1);
    t.equal(num(volume[0]!.negative), 5);

    const voice = rows('brand-health/Share of voice over the range');
    t.same(
      voice.map((r) => [r.brand, num(r.posts), num(r.share)]),
      [
        ['acme', 15, 0.75],
        ['rival', 5, 0.25],
      ],
      'share of voice: rows of an old window size left out',
    );
    t.same(
      voice.map((r) => num(r.sentiment_mean)),
      [2 / 12, 1],
      'mean sentiment over the scored posts, as the windows and the API',
    );
    t.same(
      rows('brand-health/Share of voice').map((r) => [r.brand, num(r.share)]),
      [
        ['acme', 0.75],
        ['rival', 0.25],
      ],
    );
    const trends = rows('brand-health/Trending terms');
    t.same(
      trends.map((r) => [r.term, num(r.mentions)]),
      [['outage', 16]],
      'trending terms: the update rows a final row set or a later list replaced are left out',
    );
    const topics = rows('brand-health/Topics');
    t.same(
      topics.map((r) => [r.id, r.label, num(r.posts)]),
      [['0-3', 'battery, charger', 8]],
    );
    t.equal(num(topics[0]!.sentiment_mean), -2 / 6);
    const segments = rows('brand-health/Audience segments');
    t.same(
      segments.map((r) => [num(r.segment), r.label, num(r.authors), num(r.posts)]),
      [[1, 'casual', 42, 9]],
    );
    t.equal(num(segments[0]!.sentiment_mean), 1.5 / 6);
    t.same(
      rows('brand-health/Top authors').map((r) => r.author),
      ['a1'],
    );
    const best = rows('brand-health/Best times to post (UTC)');
    t.same(
      best.map((r) => [r.hour_utc, num(r.posts), num(r.engagement_per_post)]),
      [['Mon 12:00', 50, 10]],
    );

    t.equal(num(rows('alerts-campaigns/Open alerts')[0]!.open_alerts), 1);
    t.same(
      rows('alerts-campaigns/Alerts').map((r) => [r.id, r.state]),
      [['al-1', 'open']],
    );
    t.same(
      rows('alerts-campaigns/$campaign').map((r) => r.campaign),
      ['spring'],
    );
    t.same(
      rows('alerts-campaigns/Arms').map((r) => [r.arm, num(r.impressions), num(r.click_rate)]),
      [
        ['a', 100, 0.1],
        ['b', 50, 0.02],
      ],
    );
  },
);

t.test(
  'Trending terms leaves out the windows a cold trend detector wrote, as the API reader does',
  async (t) => {
    const { database } = isolation();
    t.teardown(() => dropDatabase(database));
    const store = await ClickHouseStore.open({
      url: CLICKHOUSE_URL,
      database,
      tables: [TREND_WINDOWS_TABLE] as unknown as TableSpec<never>[],
      flushIntervalMs: 50,
    });
    t.teardown(() => store.close());
    const trend = (term: string, count: number, warm: number, over: Parameters<typeof windowed>[0]) =>
      ({ brand: 'acme', term, count, baseline: 1, warm, ...windowed(over) }) satisfies TrendWindowRow;
    const WARM = T0;
    const COLD = T0 + MIN;
    await store.write(TREND_WINDOWS_TABLE, [
      // a warm window: both partitions' latest lists warm. Partition 1's earlier list of it was
      // written before its detector closed the window before (warm 0), then replaced: it says nothing
      trend('outage', 12, 1, { start: WARM, version: 9 }),
      trend('outage', 2, 0, { start: WARM, partition: 1, final: 0, version: 7 }),
      trend('outage', 4, 1, { start: WARM, partition: 1, final: 0, version: 9 }),
      // a cold window: partition 1's detector was still learning its baselines, so the window's sums
      // say nothing, however large (partition 0 warm)
      trend('recall', 20, 1, { start: COLD, version: 11 }),
      trend('recall', 5, 0, { start: COLD, partition: 1, version: 11 }),
    ]);
    await store.flush();

    const panel = dashboardQueries(DASHBOARDS['brand-health']!()).find((q) => q.where === 'Trending terms');
    if (!panel) throw new Error('no Trending terms panel');
    const client = createClient({ url: CLICKHOUSE_URL, database });
    t.teardown(() => client.close());
    const run = async (fromMs: number, toMs: number) => {
      const ctx: MacroContext = { fromMs, toMs, intervalS: 60, variables: { brand: 'acme' } };
      const result = await client.query({ query: expandMacros(panel.text, ctx), format: 'JSONEachRow' });
      return (await result.json<Record<string, unknown>>()).map((r) => [r.term, Number(r.mentions)]);
    };

    t.same(await run(FROM, TO), [['outage', 16]], 'the warm window trends; the cold one adds nothing');
    t.same(await run(COLD, COLD + MIN), [], 'a range of a cold window only: no trending term');
    t.same(await run(WARM, WARM + MIN), [['outage', 16]], 'a range of the warm window only');

    // the API reader on the same rows: the same windows hold a trending term
    const api = await readTrends(store, 'acme', { from: FROM, to: TO });
    const trending = (start: number) =>
      api.windows
        .find((w) => w.start === start)
        ?.terms.filter((x) => x.trending)
        .map((x) => x.term);
    t.same(trending(WARM), ['outage'], 'API: the warm window trends');
    t.same(trending(COLD), [], 'API: the cold window has no trending term');
  },
);

// ---- Prometheus -------------------------------------------------------------------------------

/** PromQL functions and keywords the dashboards may use; any other name must be a metric. */
const PROMQL_WORDS = new Set([
  'sum',
  'max',
  'min',
  'avg',
  'count',
  'by',
  'without',
  'rate',
  'irate',
  'increase',
  'deriv',
  'histogram_quantile',
]);

/** Series Prometheus writes itself for each target, not the app. */
const PROMETHEUS_SERIES = new Set(['up']);

/** The metric names of a PromQL expression (label matchers, ranges, strings and `by (...)` removed). */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without)\s*\([^)]*\)/g, '');
  const out: string[] = [];
  for (const m of bare.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const word = m[0];
    if (PROMQL_WORDS.has(word)) continue;
    out.push(word);
  }
  return out;
}

t.test('every metric a PromQL expression names is in the registry the app serves', async (t) => {
  const metrics = new Metrics();
  const served = new Map<string, string>();
  for (const m of await metrics.registry.getMetricsAsJSON()) served.set(m.name, String(m.type));
  const exists = (name: string) => {
    if (served.has(name) || PROMETHEUS_SERIES.has(name)) return true;
    const base = name.replace(/_(bucket|sum|count)$/, '');
    return base !== name && served.get(base) === 'histogram';
  };
  t.ok(exists('pulsewatch_processing_lag_seconds_bucket'), 'a histogram series is found by its base name');
  t.notOk(exists('pulsewatch_no_such_metric'), 'a made-up name is not');

  let count = 0;
  for (const { name, dashboard } of built)
    for (const q of dashboardQueries(dashboard).filter((q) => q.datasource === 'prometheus')) {
      count++;
      const names = metricNames(q.text);
      t.ok(names.length > 0, `${name} / ${q.where} names a metric: ${q.text}`);
      for (const metric of names) t.ok(exists(metric), `${name} / ${q.where}: ${metric} is served`);
    }
  t.ok(count >= 20, `${count} PromQL expressions checked`);
});

// ---- Provisioning -----------------------------------------------------------------------------

t.test('the provisioning files give the data sources the uids the dashboards use', async (t) => {
  const read = async (path: string) =>
    parseYaml(await readFile(join(ROOT, path), 'utf8')) as Record<string, unknown>;
  const ds = (await read('deploy/grafana/provisioning/datasources/pulsewatch.yaml')) as {
    datasources: { uid: string; type: string; jsonData?: Record<string, unknown> }[];
  };
  const byUid = new Map(ds.datasources.map((d) => [d.uid, d]));
  t.equal(byUid.get(CLICKHOUSE.uid!)?.type, CLICKHOUSE.type);
  t.equal(byUid.get(PROMETHEUS.uid!)?.type, PROMETHEUS.type);
  t.equal(
    byUid.get(CLICKHOUSE.uid!)?.jsonData?.defaultDatabase,
    'pulsewatch',
    'unqualified tables are the app database',
  );

  const used = new Set<string>();
  const collect = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(collect);
    else if (value && typeof value === 'object') {
      const o = value as Record<string, unknown>;
      const d = o.datasource as { uid?: string } | undefined;
      if (d?.uid) used.add(d.uid);
      Object.values(o).forEach(collect);
    }
  };
  for (const { dashboard } of built) collect(dashboard);
  t.same([...used].sort(), [CLICKHOUSE.uid, PROMETHEUS.uid].sort(), 'every data source uid is provisioned');

  const providers = (await read('deploy/grafana/provisioning/dashboards/pulsewatch.yaml')) as {
    providers: { type: string; options: { path: string } }[];
  };
  t.equal(providers.providers[0]?.type, 'file');

  const prometheus = (await read('deploy/prometheus/prometheus.yml')) as {
    scrape_configs: { job_name: string; metrics_path?: string }[];
  };
  const job = prometheus.scrape_configs.find((c) => c.job_name === 'pulsewatch');
  t.ok(job, 'a pulsewatch scrape job');
  t.equal(job?.metrics_path ?? '/metrics', '/metrics');

  // what compose mounts into grafana and prometheus exists
  const compose = (await read('deploy/docker-compose.yml')) as {
    services: Record<string, { volumes?: string[] }>;
  };
  for (const service of ['grafana', 'prometheus']) {
    const mounts = (compose.services[service]?.volumes ?? []).map((v) => v.split(':')[0]!);
    t.ok(mounts.length > 0, `${service} is a compose service with mounts`);
    for (const source of mounts.filter((m) => m.startsWith('.')))
      t.ok(existsSync(join(ROOT, 'deploy', source)), `${service} mounts deploy/${source}, which exists`);
  }
});
