import t from 'tap';
import { languageLabel, LabelBounds } from '../../api/plugins/metric-labels.js';
import { eventually, metricValue, ndjson, post, startTestApp } from '../helpers/app.js';

const KEY = 'crawler:crawler-0123456789abcdef';
const HEADERS = { authorization: 'Bearer crawler-0123456789abcdef', 'content-type': 'application/x-ndjson' };
const MIN = 60_000;

t.test('LabelBounds keeps known values and counts the rest as other', async (t) => {
  const sources = new LabelBounds(['synthetic', 'acme']);
  t.equal(sources.label('acme'), 'acme');
  t.equal(sources.label('made-up-1'), 'other');
  sources.allow(['crawler']);
  t.equal(sources.label('crawler'), 'crawler');
  t.equal(sources.size, 3);
});

t.test('a declared language keeps its label only when it is a real two-letter code', async (t) => {
  t.equal(languageLabel('fr'), 'fr');
  t.equal(languageLabel('fr'), 'fr', 'memoised');
  t.equal(languageLabel('xq'), 'other');
  t.equal(languageLabel('fra'), 'other');
  t.equal(languageLabel('<script>'), 'other');
});

/** Metric series in a Prometheus exposition, and the values each label takes across them. */
function series(exposition: string): { count: number; values: (label: string) => Set<string> } {
  const lines = exposition.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  return {
    count: lines.length,
    values: (label) =>
      new Set(
        lines.flatMap((l) => [...l.matchAll(new RegExp(`[{,]${label}="([^"]*)"`, 'g'))].map((m) => m[1]!)),
      ),
  };
}

/** Two lowercase letters for `i` < 676, else three. */
function code(i: number): string {
  const a = 'abcdefghijklmnopqrstuvwxyz';
  const two = a[Math.floor(i / 26) % 26]! + a[i % 26]!;
  return i < 676 ? two : a[Math.floor(i / 676) % 26]! + two;
}

t.test('10,000 made-up sources through HTTP ingest make a bounded number of series', async (t) => {
  // the key is an ingest key; /metrics would want admin
  const running = await startTestApp([
    '--metric-sources',
    'acme-feed',
    '--ingest-api-keys',
    KEY,
    '--metrics-public',
    // it posts an event two hours ahead, to make the ones after it late
    '--ingest-max-future-skew-s',
    '10800',
  ]);
  t.teardown(() => running.stop());
  const scrape = async () => series(await (await fetch(`${running.url}/metrics`)).text());
  const send = async (lines: unknown[]) => {
    const res = await fetch(`${running.url}/v1/events`, {
      method: 'POST',
      headers: HEADERS,
      body: ndjson(lines),
    });
    t.equal(res.status, 202);
    return (await res.json()) as { accepted: number; duplicates: number; rejected: number };
  };
  const before = await scrape();

  // Each with its own source and declared language (676 two-letter codes, the rest three-letter).
  const distinct = Array.from({ length: 10_000 }, (_, i) =>
    post({ source: `made-up-${i}`, lang: code(i), text: 'ceci est un message' }),
  );
  t.match(await send(distinct), { accepted: 10_000 });

  // Repeats, refusals and late events, each from its own source too.
  const repeated = Array.from({ length: 500 }, (_, i) => post({ source: `repeat-${i}` }));
  const refused = Array.from({ length: 500 }, (_, i) => ({ source: `refused-${i}`, id: `r${i}` }));
  t.match(await send([...repeated, ...repeated, ...refused]), { duplicates: 500, rejected: 500 });
  const author = { id: 'late-author', followers: 1 };
  const future = Date.now() + 120 * MIN; // moves this author's partition's watermark two hours ahead
  await send([post({ ts: future, author, source: 'acme-feed' })]);
  const late = Array.from({ length: 500 }, (_, i) => post({ ts: Date.now(), author, source: `late-${i}` }));
  await send(late);

  // Sources known in advance keep their label: built-in, configured, an API key's name.
  await send([post({ source: 'mastodon' }), post({ source: 'crawler' })]);

  const lateOther = () =>
    metricValue(running, 'pulsewatch_events_late_total', { source: 'other', window: '1m' });
  await eventually(
    async () => ((await lateOther()) >= 500 ? true : undefined),
    30_000,
    'the late events counted by stage 2',
  );
  const inBy = (source: string) => metricValue(running, 'pulsewatch_events_in_total', { source });
  t.equal(await inBy('other'), 10_000 + 1_000 + 500, 'every made-up source counts as other');
  t.equal(await inBy('acme-feed'), 1, 'a configured source keeps its label');
  t.equal(await inBy('mastodon'), 1, 'a built-in source keeps its label');
  t.equal(await inBy('crawler'), 1, "an API key's name keeps its label");
  t.equal(await metricValue(running, 'pulsewatch_events_duplicate_total', { source: 'other' }), 500);
  t.equal(await metricValue(running, 'pulsewatch_events_rejected_total', { source: 'other' }), 500);
  t.equal(await lateOther(), 500);

  const after = await scrape();
  t.same(
    [...after.values('source')].sort(),
    ['acme-feed', 'crawler', 'mastodon', 'other'],
    'only known sources and other',
  );
  const languages = after.values('language');
  t.ok(languages.has('other') && languages.has('fr'), 'declared languages: real codes and other');
  t.ok(languages.size < 200, `${languages.size} language labels for 10,000 declared codes`);
  // About 190 real two-letter codes, plus a few series per metric: far below one per source.
  t.ok(after.count - before.count < 600, `${after.count - before.count} new series for 11,500 sources`);
});
