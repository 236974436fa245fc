import t, { type Test } from 'tap';
import net from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { runCampaigns } from '../../app/cli/campaigns.js';
import { Random } from '../../engines/stats/random.js';
import {
  CampaignService,
  FeedbackPublisher,
  MemoryCampaignStore,
  RedisCampaignStore,
  type Bus,
  type FeedbackEvent,
  type CampaignArms,
  type CampaignStore,
  type DecisionRecord,
  type FeedbackUpdate,
} from '../../stream/index.js';
import { redisTestPrefixes, REDIS_URL as url } from '../helpers/redis.js';
import { armDiff, campaign, campaignStoreContract, close, decision } from './campaign-store-contract.js';

// A random key prefix per test: tests never see each other's keys on a shared Redis.
const prefix = redisTestPrefixes(t, url);

campaignStoreContract(t, 'Redis', async () => new RedisCampaignStore({ url, prefix: prefix() }));

t.test('every key is under the prefix; decisions and feedback keys carry a time to live', async (t) => {
  const p = prefix();
  const store = new RedisCampaignStore({ url, prefix: p, retentionMs: 60_000 });
  t.teardown(() => store.close());
  const c = campaign({ id: 'c1' });
  await store.create(c);
  const at = Date.now();
  await store.decide({
    id: 'd1',
    campaign: 'c1',
    arm: 'red',
    segment: 'mobile',
    at,
    expires_at: at + 30_000,
    default_value: 0,
  });
  await store.reward('c1', 'd1', 1, at, 1);
  await store.feedback([{ key: 'fb1', campaign: 'c1', arm: 'blue', kind: 'pull', value: 0 }], () => 1);
  await store.setPriors('c1', [{ arm: 'red', n: 1, mean: 0.5 }]);
  const redis = new Redis(url);
  t.teardown(() => redis.disconnect());
  const decisionTtl = await redis.pttl(`${p}campaigns:decision:d1`);
  t.ok(
    decisionTtl > 60_000 && decisionTtl <= 90_000,
    `a decision: until expiry + retention (${decisionTtl} ms)`,
  );
  const fbTtl = await redis.pttl(`${p}campaigns:fb:fb1`);
  t.ok(fbTtl > 0 && fbTtl <= 60_000, `a feedback key: the retention (${fbTtl} ms)`);
  t.same((await redis.keys(`${p}*`)).sort(), [
    `${p}campaigns:arms:c1`,
    `${p}campaigns:clock:c1`,
    `${p}campaigns:decision:d1`,
    `${p}campaigns:defs`,
    `${p}campaigns:defs:version`,
    `${p}campaigns:fb:fb1`,
    `${p}campaigns:priors:c1`,
    `${p}campaigns:segs:c1`,
  ]);
  for (const key of ['arms:c1', 'clock:c1', 'defs', 'defs:version', 'priors:c1', 'segs:c1'])
    t.equal(await redis.pttl(`${p}campaigns:${key}`), -1, `${key} has no expiry`);
  t.same(await redis.hget(`${p}campaigns:priors:c1`, '|red'), JSON.stringify({ n: 1, mean: 0.5 }));
  t.equal(await redis.zcard(`${p}campaigns:due`), 0, 'the reward took it off the due set (now empty)');
});

t.test('the state survives a new store (a restart of every process)', async (t) => {
  const p = prefix();
  const a = new RedisCampaignStore({ url, prefix: p });
  const c = campaign();
  await a.create(c);
  const d1 = decision(c.id, 'red', { segment: 's' });
  const d2 = decision(c.id, 'blue', { default_value: 0, expires_at: Date.now() + 10 });
  await a.decide(d1);
  await a.decide(d2);
  await a.reward(c.id, d1.id, 1, d1.at, 0.9);
  await a.setPriors(c.id, [{ arm: 'red', n: 2, mean: 0.3 }]);
  const before = await a.arms(c.id, ['s']);
  await a.close();

  const b = new RedisCampaignStore({ url, prefix: p });
  t.teardown(() => b.close());
  t.same(await b.get(c.id), c);
  t.same(await b.arms(c.id, ['s']), before);
  t.same(await b.priors(c.id), [{ arm: 'red', n: 2, mean: 0.3 }]);
  t.same(await b.reward(c.id, d1.id, 1, d1.at, 0.9), { status: 'duplicate' }, 'a reward is still once');
  t.same(
    (await b.applyDefaults(Date.now() + 100, 10, () => 0.9)).map((d) => d.id),
    [d2.id],
    'a default still due',
  );
});

/** A seeded run of every operation, through any store; returns every result and the final stats. */
async function randomRun(store: CampaignStore, seed: number) {
  const rng = new Random(seed);
  const campaigns = ['c-a', 'c-b'];
  const arms = ['red', 'blue', 'green'];
  const segments = ['mobile', 'desktop'];
  const gammas: Record<string, number> = { 'c-a': 0.93, 'c-b': 1 };
  const gamma = (c: string) => gammas[c] ?? 1;
  const t0 = 1_700_000_000_000;
  let now = t0;
  const made: DecisionRecord[] = [];
  const results: unknown[] = [];
  for (let i = 0; i < 600; i++) {
    now += rng.int(50);
    const op = rng.next();
    if (op < 0.35 || made.length === 0) {
      const c = rng.pick(campaigns);
      const d: DecisionRecord = {
        id: `d${i}`,
        campaign: c,
        arm: rng.pick(arms),
        at: now,
        expires_at: now + 200 + rng.int(2000),
        ...(rng.chance(0.5) && { segment: rng.pick(segments) }),
        ...(rng.chance(0.5) && { default_value: rng.chance(0.5) ? 0 : Math.round(rng.next() * 100) / 100 }),
      };
      made.push(d);
      await store.decide(d);
    } else if (op < 0.6) {
      const d = rng.pick(made);
      const c = rng.chance(0.9) ? d.campaign : rng.pick(campaigns);
      results.push(await store.reward(c, d.id, rng.normal(0.5, 1), now, gamma(c)));
    } else if (op < 0.85) {
      const updates: FeedbackUpdate[] = [];
      for (let j = rng.int(4); j >= 0; j--) {
        const d = rng.chance(0.6) ? rng.pick(made) : undefined;
        const kind = rng.pick(['pull', 'impression', 'credit', 'reward'] as const);
        updates.push({
          key: `k${rng.int(200)}`,
          campaign: d?.campaign ?? rng.pick(campaigns),
          arm: d?.arm ?? rng.pick(arms),
          ...(d && { decision_id: d.id }),
          kind,
          value: kind === 'credit' ? 1 : kind === 'reward' ? rng.next() * 3 - 1 : 0,
        });
      }
      await store.feedback(updates, gamma, now);
    } else {
      const done = await store.applyDefaults(now, 1 + rng.int(4), gamma);
      results.push(done.map((d) => d.id));
    }
  }
  const final: Record<string, CampaignArms> = {};
  for (const c of campaigns) final[c] = await store.arms(c, segments);
  return { results, final };
}

function sortArms(a: CampaignArms): CampaignArms {
  const by = (x: { arm: string }, y: { arm: string }) => (x.arm < y.arm ? -1 : 1);
  const segments = Object.fromEntries(
    Object.entries(a.segments ?? {}).map(([s, list]) => [s, [...list].sort(by)]),
  );
  return { clock: a.clock, arms: [...a.arms].sort(by), segments };
}

t.test('a seeded random sequence gives the same results and statistics in memory and in Redis', async (t) => {
  for (const seed of [1, 2, 3]) {
    const memory = new MemoryCampaignStore();
    const redis = new RedisCampaignStore({ url, prefix: prefix() });
    t.teardown(() => redis.close());
    const m = await randomRun(memory, seed);
    const r = await randomRun(redis, seed);
    // Outcomes: statuses, decision ids and arm names exactly; numbers within 1e-9.
    const outcomes = (x: unknown[]) =>
      JSON.stringify(x, (k, v: unknown) => (k === 'arm' && typeof v === 'object' ? undefined : v));
    t.equal(outcomes(r.results), outcomes(m.results), `seed ${seed}: the same outcomes`);
    let diffs = 0;
    m.results.forEach((mr, i) => {
      const rr = r.results[i];
      if (
        typeof mr === 'object' &&
        mr !== null &&
        'arm' in mr &&
        typeof rr === 'object' &&
        rr &&
        'arm' in rr
      ) {
        const d = armDiff(rr.arm as never, mr.arm as never);
        if (d !== undefined && diffs++ < 3) t.fail(`seed ${seed}, result ${i}: ${d}`);
      }
    });
    t.equal(diffs, 0, `seed ${seed}: the same arm after every applied reward`);
    for (const c of Object.keys(m.final)) {
      const ms = sortArms(m.final[c]!);
      const rs = sortArms(r.final[c]!);
      t.equal(rs.clock, ms.clock, `seed ${seed} ${c}: clock ${ms.clock}`);
      t.same(
        rs.arms.map((a) => a.arm),
        ms.arms.map((a) => a.arm),
      );
      const all = [
        ...ms.arms.map((a, i) => [a, rs.arms[i]] as const),
        ...Object.keys(ms.segments ?? {}).flatMap((s) =>
          ms.segments![s]!.map((a, i) => [a, rs.segments?.[s]?.[i]] as const),
        ),
      ];
      const bad = all.map(([a, b]) => (b ? armDiff(b, a) : 'missing')).filter((x) => x !== undefined);
      t.same(bad, [], `seed ${seed} ${c}: the same ${all.length} arm statistics`);
      t.ok(ms.clock > 0 && close(ms.clock, rs.clock));
    }
  }
});

t.test('pulsewatch campaigns priors load, then show: a round trip through Redis', async (t) => {
  const p = prefix();
  const dir = mkdtempSync(join(tmpdir(), 'pw-priors-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'priors.jsonl');
  const lines = [
    { campaign: 'spring', arm: 'red', mean: 0.04, n: 50 },
    { campaign: 'spring', arm: 'red', segment: 'mobile', mean: 0.06, n: 12.5 },
    { campaign: 'autumn', arm: 'blue', mean: -1, n: 0 },
  ];
  writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n\n');
  const run = async (args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCampaigns([...args, '--redis-url', url, '--redis-prefix', p], {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
    });
    return { code, out, err };
  };
  const load = await run(['priors', 'load', '--file', file]);
  t.equal(load.code, 0, load.err.join('\n'));
  t.same(load.out, ['spring: 2 priors', 'autumn: 1 prior']);
  const show = await run(['priors', 'show', 'spring']);
  t.equal(show.code, 0);
  t.same(
    show.out.map((l) => JSON.parse(l) as unknown),
    lines.slice(0, 2),
  );
  const store = new RedisCampaignStore({ url, prefix: p });
  t.teardown(() => store.close());
  t.same(await store.priors('autumn'), [{ arm: 'blue', mean: -1, n: 0 }], 'what the servers read');
  const none = await run(['priors', 'show', 'winter']);
  t.equal(none.code, 0);
  t.same(none.out, []);
  t.match(none.err.join('\n'), /no priors/);
});

t.test(
  'group commit: decisions and rewards of one turn go in one call each, every one applied, a bad one refused alone',
  async (t) => {
    const p = prefix();
    const store = new RedisCampaignStore({ url, prefix: p });
    t.teardown(() => store.close());
    const c = campaign({ arms: ['red', 'blue'] });
    await store.create(c);
    const ds = Array.from({ length: 300 }, (_, i) => decision(c.id, i % 3 === 0 ? 'red' : 'blue'));
    const bad = { ...decision(c.id, 'red'), expires_at: Number.NaN };
    // all in one turn of the event loop
    const results = await Promise.allSettled([...ds.map((d) => store.decide(d)), store.decide(bad)]);
    t.equal(results.filter((r) => r.status === 'fulfilled').length, 300);
    t.equal(results[300]!.status, 'rejected', 'the bad decision is refused alone');
    const arms = await store.arms(c.id);
    t.equal(arms.arms.find((a) => a.arm === 'red')?.pulls, 100);
    t.equal(arms.arms.find((a) => a.arm === 'blue')?.pulls, 200);
    // rewards in one turn, with a repeat of the first inside the same call: applied once, in order
    const outcomes = await Promise.all([
      ...ds.map((d, i) => store.reward(c.id, d.id, i % 2, d.at + 1, 1)),
      store.reward(c.id, ds[0]!.id, 1, ds[0]!.at + 1, 1),
      store.reward(c.id, 'nope', 1, Date.now(), 1),
    ]);
    t.equal(outcomes.filter((o) => o.status === 'applied').length, 300);
    t.same(outcomes[300], { status: 'duplicate' }, 'the repeat in the same call');
    t.same(outcomes[301], { status: 'unknown' });
    t.equal((await store.arms(c.id)).clock, 300);
  },
);

/**
 * A proxy in front of Redis that, once armed, lets the next command matching a pattern reach Redis
 * and then cuts the connection before the reply gets back: ioredis reconnects and sends the
 * command again, as after a network blip.
 */
async function replyDroppingProxy(t: Test) {
  const target = new URL(url);
  let armed: RegExp | undefined;
  const dropped: string[] = [];
  const server = net.createServer((client) => {
    const up = net.connect(Number(target.port || 6379), target.hostname);
    let dropNext = false;
    client.on('data', (b) => {
      if (armed?.test(b.toString('latin1'))) {
        armed = undefined;
        dropNext = true;
      }
      up.write(b);
    });
    up.on('data', (b) => {
      if (dropNext) {
        dropNext = false;
        dropped.push(b.toString('latin1'));
        client.destroy();
        up.destroy();
        return;
      }
      client.write(b);
    });
    for (const s of [client, up]) s.on('error', () => undefined);
    client.on('close', () => up.destroy());
    up.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as net.AddressInfo;
  return { url: `redis://127.0.0.1:${port}`, arm: (pattern: RegExp) => (armed = pattern), dropped };
}

t.test('a command sent again after its reply was lost counts once: create, decide', async (t) => {
  const proxy = await replyDroppingProxy(t);
  const store = new RedisCampaignStore({ url: proxy.url, prefix: prefix() });
  t.teardown(() => store.close());
  const c = campaign({ arms: ['red'] });
  const version = await store.definitionsVersion();
  proxy.arm(/hsetnx/i);
  t.equal(await store.create(c), true, 'the create succeeded, though its first reply was lost');
  t.not(await store.definitionsVersion(), version, 'and the definitions version moved');
  t.equal(proxy.dropped.length, 1);
  t.equal(
    await store.create({ ...c, created_at: c.created_at + 1 }),
    false,
    'another create of the id is refused',
  );
  const d = decision(c.id, 'red');
  proxy.arm(/evalsha|eval/i);
  await store.decide(d);
  t.equal(proxy.dropped.length, 2, 'the decision’s reply was lost');
  t.equal((await store.arms(c.id)).arms.find((a) => a.arm === 'red')?.pulls, 1, 'one pull');
  t.equal((await store.reward(c.id, d.id, 1, d.at, 1)).status, 'applied');
});

t.test('a reward sent again after its reply was lost: applied once, and published once', async (t) => {
  const proxy = await replyDroppingProxy(t);
  const store = new RedisCampaignStore({ url: proxy.url, prefix: prefix() });
  // What the API publishes to the FEEDBACK stream, whose rewards ROI counts.
  const published: FeedbackEvent[] = [];
  const bus = {
    async publish(_subject: string, data: Uint8Array) {
      for (const line of new TextDecoder().decode(data).split('\n'))
        published.push(JSON.parse(line) as FeedbackEvent);
      return { stream: 'FEEDBACK', seq: published.length, duplicate: false };
    },
  } as unknown as Bus;
  const feedback = new FeedbackPublisher({ bus, partitions: 1, flushMs: 60_000 });
  const service = new CampaignService({ store, feedback, seed: 1, defaultsEveryMs: 0, refreshMs: 3_600_000 });
  t.teardown(async () => {
    await service.stop();
    await store.close();
  });
  const { id } = await service.create({ id: campaign().id, arms: ['red'] });
  const d = await service.decide(id);
  proxy.arm(new RegExp(`decision:${d.decision_id}`));
  t.equal(
    await service.reward(id, d.decision_id, 1),
    'applied',
    'the call that applied it says so, though Redis ran it twice',
  );
  t.equal(proxy.dropped.length, 1, 'the reward’s reply was lost');
  t.equal(await service.reward(id, d.decision_id, 1), 'duplicate', 'a second call is a repeat');
  await feedback.flush();
  t.same(
    published.filter((e) => e.kind === 'reward').map((e) => [e.decision_id, e.value]),
    [[d.decision_id, 1]],
    'published once: ROI counts it once',
  );
  const red = (await store.arms(id)).arms.find((a) => a.arm === 'red')!;
  t.same([red.pulls, red.obs.n, red.obs.sum], [1, 1, 1], 'applied once');
});
