import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { main } from '../../app/tools/eval-alerts.js';
import { Random } from '../../engines/stats/index.js';
import { runMain } from '../helpers/tools.js';

/** `npm run eval:alerts` in its three modes, on small files written here. */
const MIN = 60_000;
const dir = await mkdtemp(join(tmpdir(), 'pw-eval-alerts-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));

async function run(args: string[]): Promise<{ lines: string[]; json: Record<string, unknown> }> {
  const { code, out: lines } = await runMain(main, [...args, '--json']);
  t.equal(code, 0);
  return { lines, json: JSON.parse(lines[lines.length - 1]!) as Record<string, unknown> };
}

interface ListedAlert {
  brand: string;
  kind: string;
  opened_at: string;
  severity: string;
}

t.test('scenario mode: a generated spike is found, with precision, recall and delay', async (t) => {
  const file = join(dir, 'spike.json');
  await writeFile(
    file,
    JSON.stringify({
      name: 'small-spike',
      description: 'one brand, one competitor, a negative spike after 25 minutes',
      seed: 7,
      rate: 15,
      start: '2025-06-02T09:00:00Z',
      duration: '40m',
      brands: [{ name: 'Acme Tea', aliases: ['Acme'] }],
      competitors: [{ name: 'Zenith Tea', aliases: ['Zenith'] }],
      spikes: [{ brand: 'Acme Tea', at: '25m', duration: '6m', size: 5, negativeShare: 0.8 }],
    }),
  );
  const { lines, json } = await run(['--scenario', file, '--sentiment', 'rules']);
  t.match(lines.join('\n'), /small-spike: 1 spikes/);
  t.equal(json.recall, 1);
  t.equal(json.precision, 1);
  t.type(json.median_delay_s, 'number');
  t.ok((json.median_delay_s as number) <= 120, 'found within two windows');
  const per = (json.scenarios as Record<string, { alert_list: ListedAlert[] }>)['small-spike']!;
  t.ok(per.alert_list.length >= 1);
  t.ok(per.alert_list.every((a) => a.brand === 'Acme Tea'));
});

t.test('data mode: replayed posts in several time formats, an obvious negative spike', async (t) => {
  const rng = new Random(3);
  const start = Date.UTC(2015, 1, 22, 8, 0, 0);
  const formats = [
    (ms: number) => new Date(ms).toISOString(),
    (ms: number) => Math.floor(ms / 1000),
    // Twitter style, and the airline data set's "2015-02-24 11:35:52 -0800"
    (ms: number) => {
      const d = new Date(ms);
      const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()];
      const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][
        d.getUTCMonth()
      ];
      const hms = d.toISOString().slice(11, 19);
      return `${day} ${mon} ${String(d.getUTCDate()).padStart(2, '0')} ${hms} +0000 ${d.getUTCFullYear()}`;
    },
    (ms: number) => {
      const local = new Date(ms - 8 * 3_600_000).toISOString();
      return `${local.slice(0, 10)} ${local.slice(11, 19)} -0800`;
    },
  ];
  const rows: string[] = [];
  const spikeAt = start + 150 * MIN;
  for (let m = 0; m < 200; m++) {
    const spiking = m >= 150 && m < 160;
    for (const airline of ['united', 'delta']) {
      const n = rng.poisson(airline === 'united' && spiking ? 40 : 6);
      for (let i = 0; i < n; i++) {
        const ms = start + m * MIN + rng.int(MIN);
        const negative = airline === 'united' && spiking ? rng.chance(0.9) : rng.chance(0.2);
        const text = negative
          ? `@${airline} flight cancelled again, terrible service, worst airline ever`
          : `@${airline} thanks for the great flight, friendly crew`;
        rows.push(JSON.stringify({ tweet_created: formats[rows.length % 4]!(ms), text, airline }));
      }
    }
  }
  rows.splice(10, 0, JSON.stringify({ tweet_created: 'yesterday', text: '@united hi' }), 'not json');
  const posts = join(dir, 'posts.jsonl');
  await writeFile(posts, rows.join('\n') + '\n');
  const brands = join(dir, 'brands.json');
  await writeFile(
    brands,
    JSON.stringify([
      { name: 'United', handles: ['united'] },
      { name: 'Delta', handles: ['delta'] },
    ]),
  );
  const { lines, json } = await run([
    '--data',
    posts,
    '--time-field',
    'tweet_created',
    '--brands',
    brands,
    '--sentiment',
    'rules',
  ]);
  t.match(lines.join('\n'), /1 unreadable lines, 1 rows without a readable time/);
  const alerts = json.alerts as ListedAlert[];
  t.ok(alerts.length >= 1, 'the spike alerts');
  t.ok(
    alerts.every((a) => a.brand === 'United'),
    'only the spiking brand',
  );
  for (const a of alerts) {
    t.match(a, {
      kind: /^(negative_share|negative_count|volume)$/,
      severity: /^(low|medium|high|critical)$/,
    });
    const opened = Date.parse(a.opened_at);
    t.ok(opened >= spikeAt - 2 * MIN && opened <= spikeAt + 3 * MIN, `${a.kind} opened at ${a.opened_at}`);
  }
  t.ok(
    alerts.some((a) => a.kind.startsWith('negative')),
    'a negative alert',
  );
});

t.test('series mode: 5-minute counts with a daily cycle, gaps and one spike', async (t) => {
  const rng = new Random(5);
  const start = Date.UTC(2015, 2, 2, 0, 2, 53);
  const step = 5 * MIN;
  const spikeAt = start + 3 * 288 * step + 100 * step;
  const rows = ['timestamp,value'];
  for (let i = 0; i < 5 * 288; i++) {
    const ts = start + i * step;
    if (rng.chance(0.03)) continue; // missing rows
    const hour = ((ts % 86_400_000) / 3_600_000 + 24) % 24;
    let mean = 40 * (1 + 0.6 * Math.cos((2 * Math.PI * (hour - 16)) / 24));
    if (ts >= spikeAt && ts < spikeAt + 4 * step) mean *= 6;
    const local = new Date(ts).toISOString();
    rows.push(`${local.slice(0, 10)} ${local.slice(11, 19)},${rng.poisson(mean)}`);
  }
  rows.push('garbage,12', '2015-03-09 00:00:00,not-a-number');
  const file = join(dir, 'Twitter_volume_TEST.csv');
  await writeFile(file, rows.join('\n') + '\n');
  const { lines, json } = await run([
    '--series',
    file,
    '--time-field',
    'timestamp',
    '--value-field',
    'value',
    '--window',
    '5m',
  ]);
  t.match(lines.join('\n'), /1 rows without a readable time, 1 without a number/);
  t.equal(json.window_ms, step);
  const alerts = json.alerts as ListedAlert[];
  t.same(
    alerts.map((a) => [a.brand, a.kind]),
    [['Twitter_volume_TEST', 'volume']],
    'the one spike, nothing else',
  );
  const opened = Date.parse(alerts[0]!.opened_at);
  t.ok(opened >= spikeAt && opened <= spikeAt + step, `opened at ${alerts[0]!.opened_at}`);
});

t.test('bad input: clear usage errors', async (t) => {
  const none = (args: string[]) =>
    main(
      args,
      () => {},
      () => {},
    );
  await t.rejects(none(['--series', join(dir, 'missing.csv'), '--time-field', 't', '--value-field', 'v']), {
    name: 'UsageError',
    message: /no such file/,
  });
  const csv = join(dir, 'few.csv');
  await writeFile(csv, 'timestamp,value\n2015-03-02 00:00:00,3\n');
  await t.rejects(none(['--series', csv, '--time-field', 'time', '--value-field', 'value']), {
    message: /--time-field: unknown field "time" \(the header has timestamp, value\)/,
  });
  await t.rejects(none(['--data', csv, '--brands', csv]), { message: /--data needs --time-field/ });
  await t.rejects(none(['--data', csv, '--series', csv]), { message: /not both/ });
  await t.rejects(
    none(['--series', csv, '--time-field', 'timestamp', '--value-field', 'value', '--window', '7x']),
    {
      message: /--window/,
    },
  );
});

t.test('the built command exits 2 with the usage on a bad command line', async (t) => {
  const script = new URL('../../dist/app/tools/eval-alerts.js', import.meta.url).pathname;
  const r = spawnSync(process.execPath, [script, '--series'], { encoding: 'utf8' });
  t.equal(r.status, 2);
  t.match(r.stderr, /eval-alerts: --series needs a value/);
  t.match(r.stderr, /usage: npm run eval:alerts/);
});
