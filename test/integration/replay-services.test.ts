import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brandId } from '../../api/index.js';
import { PROJECT_ROOT } from '../../app/paths.js';
import { RulesSentiment } from '../../engines/sentiment/index.js';
import type { BrandSpec } from '../../engines/text/index.js';
import { HttpSink } from '../../ingest/http-sink.js';
import { parseMapFlags, replayFile } from '../../ingest/replay/index.js';
import { validateSocialEvent, type WindowAggregate } from '../../stream/index.js';
import { RecordingSink } from '../fakes/pipeline.js';
import { eventually } from '../helpers/app.js';
import { directCount, mismatches, totalPosts } from '../helpers/oracle.js';
import { writeReplayDataset } from '../helpers/replay-data.js';
import { startServicesApp } from '../helpers/services.js';
import { sharedFile } from '../helpers/shared-data.js';

/**
 * The replay against services mode (a private NATS JetStream, ClickHouse, Redis): interrupted and
 * resumed, and the ClickHouse aggregates read over the REST API equal a direct count.
 */
const HOUR = 3_600_000;
const S140 = sharedFile('data/sentiment140-test.jsonl');
const BRANDS_FILE = join(PROJECT_ROOT, 'test', 'fixtures', 'replay', 'label-brands.json');
const BRANDS = JSON.parse(readFileSync(BRANDS_FILE, 'utf8')) as BrandSpec[];

/** The input: a file the test writes (always), and the Sentiment140 dev set when `../shared` is there. */
const INPUTS = [
  {
    name: 'written posts.jsonl',
    skip: false as const,
    file: (dir: string) => writeReplayDataset(dir, { name: 'posts', format: 'jsonl' }).file,
  },
  { name: 'sentiment140-test (dev data)', skip: S140.skip, file: () => S140.path },
];

for (const input of INPUTS)
  t.test(
    `services mode: ${input.name} replayed with a stop and a resume, counted exactly`,
    { skip: input.skip },
    async (t) => {
      const { running } = await startServicesApp(t, [
        '--brands',
        BRANDS_FILE,
        '--allowed-lateness-ms',
        '600000',
        '--clickhouse-flush-ms',
        '200',
      ]);

      const dir = mkdtempSync(join(tmpdir(), 'pw-replay-services-'));
      t.teardown(() => rmSync(dir, { recursive: true, force: true }));
      const file = input.file(dir);
      const n = readFileSync(file, 'utf8').split('\n').filter(Boolean).length;
      const options = {
        file,
        mapping: parseMapFlags(['group=label']),
        speed: Number.POSITIVE_INFINITY,
        batchSize: 100,
        statePath: join(dir, 'state.json'),
      };
      const stop = new AbortController();
      const first = new RecordingSink(
        new HttpSink({ url: running.url, retries: 5 }),
        (call) => call === 3 && stop.abort(),
      );
      const interrupted = await replayFile({ ...options, sink: first, signal: stop.signal });
      t.match(interrupted, { status: 'interrupted', position: 300 });
      const second = new RecordingSink(new HttpSink({ url: running.url, retries: 5 }));
      const done = await replayFile({ ...options, sink: second });
      t.match(done, {
        status: 'complete',
        read: n,
        events: n,
        sent: n,
        accepted: n,
        rejected: 0,
        resumed_at: 300,
      });

      const events = [...first.events, ...second.events].map((e) => {
        const v = validateSocialEvent(e);
        if (!v.ok) throw new Error(v.detail);
        return v.value;
      });
      const expected = directCount(events, BRANDS, new RulesSentiment(), HOUR);
      const from = Date.UTC(2009, 4, 1);
      const to = Date.UTC(2009, 6, 1);
      const windows = await eventually(
        async () => {
          const out: WindowAggregate[] = [];
          for (const b of BRANDS) {
            const res = await fetch(
              `${running.url}/v1/brands/${brandId(b.name)}/metrics?window=1h&from=${from}&to=${to}`,
            );
            if (res.status !== 200) return undefined;
            out.push(...((await res.json()) as { windows: WindowAggregate[] }).windows);
          }
          return out.reduce((n, w) => n + w.posts, 0) === totalPosts(expected) ? out : undefined;
        },
        45_000,
        'the ClickHouse aggregates to hold every post',
      );
      t.equal(totalPosts(expected), n);
      t.same(mismatches(expected, windows), [], 'every 1-hour window in ClickHouse equals the direct count');
    },
  );
