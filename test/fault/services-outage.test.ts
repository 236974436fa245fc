import t from 'tap';
import type { Test } from 'tap';
import { loadConfig } from '../../app/config.js';
import { startApp } from '../../app/compose.js';
import { RulesSentiment } from '../../engines/sentiment/index.js';
import { DEFAULT_BRANDS } from '../../ingest/brands-default.js';
import { ClickHouseStore } from '../../stream/store/clickhouse/index.js';
import type { SocialEvent } from '../../stream/index.js';
import { eventually } from '../helpers/app.js';
import { startClickHouseServer } from '../helpers/clickhouse-server.js';
import { startNatsServer } from '../helpers/nats-server.js';
import { directCount, mismatches, seededEvents, totalPosts } from '../helpers/oracle.js';
import {
  allWindows,
  clearRedisPrefix,
  CLICKHOUSE_URL,
  isolation,
  servicesFlags,
  startServicesApp,
} from '../helpers/services.js';

const MIN = 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const brands = DEFAULT_BRANDS.map((b) => b.name);

function pastEvents(seed: number, minutes: number): { events: SocialEvent[]; to: number } {
  const to = Math.floor(Date.now() / MIN) * MIN - 10 * MIN;
  return { events: seededEvents(seed, DEFAULT_BRANDS, 40, to - minutes * MIN, to), to };
}

async function expectExact(
  t: Test,
  store: ClickHouseStore,
  events: SocialEvent[],
  to: number,
): Promise<void> {
  const expected = directCount(events, DEFAULT_BRANDS, new RulesSentiment(), MIN);
  const windows = await eventually(
    async () => {
      const w = await allWindows(store, brands, '1m', 0, to + MIN).catch(() => []);
      return w.reduce((n, x) => n + x.posts, 0) === totalPosts(expected) ? w : undefined;
    },
    120_000,
    'ClickHouse totals to reach the input',
  );
  t.same(mismatches(expected, windows), [], 'aggregates equal the offline computation exactly');
}

/**
 * The operators these tests run: the outages are the host's business (retries, backpressure,
 * replay), which every operator shares; the analytics' exactness is test/fault/analytics-kill.test.ts.
 */
const PIPELINE = ['--operators', 'windows,activity,spikes,campaigns'];

t.test(
  '(b) NATS stops mid-stream: ingest answers 503 with Retry-After, nothing acknowledged is lost, the backlog drains',
  async (t) => {
    const { running, nats, database } = await startServicesApp(t, ['--lease-ttl-ms', '2000', ...PIPELINE]);
    const { events, to } = pastEvents(31, 6);
    const batches: string[] = [];
    for (let i = 0; i < events.length; i += 500)
      batches.push(
        events
          .slice(i, i + 500)
          .map((e) => JSON.stringify(e))
          .join('\n'),
      );

    const accepted: number[] = [];
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    const post = async (i: number) => {
      const res = await fetch(`${running.url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: batches[i],
      });
      statuses.push(res.status);
      if (res.status === 202) accepted.push(i);
      else if (res.status === 503) retryAfter = res.headers.get('retry-after');
      await res.arrayBuffer();
      return res.status;
    };
    // A client that retries a refused batch after Retry-After, as the API asks.
    const third = Math.floor(batches.length / 3);
    for (let i = 0; i < third; i++) t.equal(await post(i), 202);
    await nats.stop();
    let refused = 0;
    for (let i = third; i < 2 * third; i++) {
      while ((await post(i)) !== 202) {
        refused++;
        if (refused === 3) await nats.restart();
        await sleep(200);
      }
    }
    t.ok(refused >= 3, `${refused} batches refused while NATS was down`);
    t.equal(retryAfter, '1', 'refusals carry Retry-After');
    t.ok(statuses.includes(503), '503 while the bus is down');
    for (let i = 2 * third; i < batches.length; i++) t.equal(await post(i), 202);
    t.equal(new Set(accepted).size, batches.length, 'every batch was acknowledged in the end');
    const store = await ClickHouseStore.open({ url: CLICKHOUSE_URL, database });
    t.teardown(() => store.close());
    await expectExact(t, store, events, to);
  },
);

t.test(
  '(d) ClickHouse down for a while: inserts retry, memory stays bounded by backpressure, nothing is lost',
  async (t) => {
    const nats = await startNatsServer();
    t.teardown(() => nats.close());
    const clickhouse = await startClickHouseServer();
    t.teardown(() => clickhouse.dispose());
    const { database, redisPrefix } = isolation();
    t.teardown(() => clearRedisPrefix(redisPrefix));
    const maxBuffered = 300;
    const running = await startApp(
      loadConfig(
        [
          ...servicesFlags({ natsUrl: nats.url, database, redisPrefix, clickhouseUrl: clickhouse.url }),
          '--clickhouse-max-buffered-rows',
          String(maxBuffered),
          '--clickhouse-batch-rows',
          '100',
          '--clickhouse-flush-ms',
          '100',
          '--checkpoint-every-ms',
          '200',
          ...PIPELINE,
        ],
        {},
      ),
    );
    t.teardown(() => running.stop());
    const ingestor = running.ingestor!;
    const { events, to } = pastEvents(41, 8);
    const half = Math.floor(events.length / 2);
    for (const e of events.slice(0, half)) await ingestor.publishSocial(e);
    await sleep(1000);
    await clickhouse.kill();
    for (const e of events.slice(half)) await ingestor.publishSocial(e);

    // While ClickHouse is down: the writer holds at most its limit, and the consumer stops reading.
    const store = running.store as ClickHouseStore;
    let peakBuffered = 0;
    let peakLag = 0;
    const lagOf = async () => {
      const text = await (await fetch(`${running.url}/metrics`)).text();
      return [...text.matchAll(/pulsewatch_consumer_lag_messages\{[^}]*\} (\d+)/g)].reduce(
        (n, m) => n + Number(m[1]),
        0,
      );
    };
    for (let i = 0; i < 20; i++) {
      await sleep(150);
      for (const w of store.writers) peakBuffered = Math.max(peakBuffered, w.bufferedRows);
      peakLag = Math.max(peakLag, await lagOf());
    }
    t.ok(
      peakBuffered <= maxBuffered + 100,
      `buffered rows stay bounded: peak ${peakBuffered} (limit ${maxBuffered})`,
    );
    t.ok(peakLag > 0, `backpressure reaches the consumer: ${peakLag} messages wait on the bus`);
    const retriesBefore = store.writers.reduce((n, w) => n + w.stats.retries, 0);
    t.ok(retriesBefore > 0, `inserts are retried while the server is down (${retriesBefore} retries)`);
    await clickhouse.restart();
    const reader = await ClickHouseStore.open({ url: clickhouse.url, database });
    t.teardown(() => reader.close());
    await expectExact(t, reader, events, to);
  },
);
