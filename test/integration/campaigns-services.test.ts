import t from 'tap';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCampaigns } from '../../app/cli/campaigns.js';
import { eventually, ndjson } from '../helpers/app.js';
import { startNatsServer } from '../helpers/nats-server.js';
import {
  clearRedisPrefix,
  dropDatabase,
  isolation,
  REDIS_URL,
  servicesFlags,
  spawnWorker,
  type WorkerProcess,
} from '../helpers/services.js';

/**
 * Campaigns in services mode, as deployed: two API processes on one Redis (one of them also
 * ingests and runs stage 2 on NATS), real processes. Both report the same statistics, decisions
 * and rewards from both count exactly, default rewards apply once with both sweeping, priors from
 * the CLI steer the first decisions, stream feedback reaches the arms, and everything survives a
 * restart of every process.
 */
const nats = await startNatsServer();
t.teardown(() => nats.close());
const { database, redisPrefix } = isolation();
t.teardown(() => dropDatabase(database));
t.teardown(() => clearRedisPrefix(redisPrefix));
const flags = [...servicesFlags({ natsUrl: nats.url, database, redisPrefix }), '--partitions', '2'];

const processes: WorkerProcess[] = [];
t.teardown(() => {
  for (const p of processes) p.child.kill('SIGKILL');
});
async function start(id: string, role: 'all' | 'api'): Promise<string> {
  const p = spawnWorker(id, [...flags, '--role', role, '--campaign-defaults-every-ms', '50']);
  processes.push(p);
  return p.ready;
}
async function stopAll(): Promise<void> {
  for (const p of processes.splice(0)) {
    p.child.kill('SIGKILL');
    await p.exited;
  }
}

const call = async (base: string, method: string, path: string, body?: unknown) => {
  const res = await fetch(`${base}${path}`, {
    method,
    ...(body !== undefined && {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};
interface Summary {
  pulls: number;
  observations: number;
  arms: { arm: string; pulls: number; observations: number; reward_sum: number }[];
}
const summary = async (base: string, id: string) =>
  (await call(base, 'GET', `/v1/campaigns/${id}`)).body as unknown as Summary;
const strip = (s: Summary) => ({ pulls: s.pulls, observations: s.observations, arms: s.arms });

let a = await start('api-a', 'all');
let b = await start('api-b', 'api');

t.test('priors loaded with the CLI steer the first decisions', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pw-priors-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'priors.jsonl');
  await writeFile(
    file,
    ndjson([
      { campaign: 'c-prior', arm: 'known-good', mean: 0.9, n: 500 },
      { campaign: 'c-prior', arm: 'known-bad', mean: 0.05, n: 500 },
    ]),
  );
  const out: string[] = [];
  const code = await runCampaigns(
    ['priors', 'load', '--file', file, '--redis-url', REDIS_URL, '--redis-prefix', redisPrefix],
    {
      out: (l) => out.push(l),
      err: (l) => out.push(l),
    },
  );
  t.equal(code, 0, out.join('\n'));
  t.equal(
    (await call(a, 'POST', '/v1/campaigns', { id: 'c-prior', arms: ['known-bad', 'known-good'] })).status,
    201,
  );
  const picks = { 'known-good': 0, 'known-bad': 0 } as Record<string, number>;
  for (let i = 0; i < 40; i++) {
    const d = await call(i % 2 ? a : b, 'POST', '/v1/campaigns/c-prior/decide', {});
    picks[d.body.arm as string]!++;
  }
  t.ok(picks['known-good']! >= 38, `the prior's good arm is chosen (${JSON.stringify(picks)})`);
});

t.test(
  'two API processes: decisions and rewards from both count exactly; both report the same',
  async (t) => {
    t.equal((await call(a, 'POST', '/v1/campaigns', { id: 'c-two', arms: ['x', 'y', 'z'] })).status, 201);
    const n = 150;
    let rewardSum = 0;
    await Promise.all(
      [a, b].map(async (base, k) => {
        for (let i = 0; i < n; i++) {
          const d = await call(base, 'POST', '/v1/campaigns/c-two/decide', { user: `u${k}-${i}` });
          t.equal(d.status, 200);
          const value = (i + k) % 3 === 0 ? 1 : 0;
          rewardSum += value;
          const r = await call(k === 0 ? b : a, 'POST', '/v1/campaigns/c-two/reward', {
            decision_id: d.body.decision_id,
            value,
          });
          if (r.status !== 202) t.fail(`reward ${r.status} ${JSON.stringify(r.body)}`);
          // the same reward again, on the other replica: applied once
          if (i % 10 === 0) {
            const again = await call(base, 'POST', '/v1/campaigns/c-two/reward', {
              decision_id: d.body.decision_id,
              value,
            });
            t.same(again.body, { status: 'duplicate' });
          }
        }
      }),
    );
    const [sa, sb] = await Promise.all([summary(a, 'c-two'), summary(b, 'c-two')]);
    t.same(strip(sa), strip(sb), 'both processes report the same statistics');
    t.equal(sa.pulls, 2 * n);
    t.equal(sa.observations, 2 * n);
    t.equal(
      sa.arms.reduce((s, x) => s + x.reward_sum, 0),
      rewardSum,
      'the reward sum is exact',
    );
  },
);

t.test('default rewards: both processes sweep, each decision gets its default once', async (t) => {
  await call(a, 'POST', '/v1/campaigns', {
    id: 'c-def',
    arms: ['p', 'q'],
    default_reward: { value: 0, after_ms: 300 },
  });
  const decisions = 60;
  for (let i = 0; i < decisions; i++) await call(i % 2 ? a : b, 'POST', '/v1/campaigns/c-def/decide', {});
  const s = await eventually(
    async () => {
      const v = await summary(b, 'c-def');
      return v.observations >= decisions ? v : undefined;
    },
    15_000,
    'every default reward',
  );
  await new Promise((r) => setTimeout(r, 500));
  t.equal((await summary(a, 'c-def')).observations, decisions, 'exactly once each');
  t.equal(s.pulls, decisions);
});

t.test('stream feedback on NATS reaches the arms that both processes decide from', async (t) => {
  await call(a, 'POST', '/v1/campaigns', { id: 'c-stream', arms: ['s1', 's2'] });
  const now = Date.now();
  const lines: unknown[] = [];
  for (let i = 0; i < 40; i++) {
    lines.push({ campaign: 'c-stream', arm: 's1', decision_id: `ext-${i}`, kind: 'impression', ts: now + i });
    if (i % 2 === 0)
      lines.push({ campaign: 'c-stream', arm: 's1', decision_id: `ext-${i}`, kind: 'click', ts: now + i });
  }
  const res = await fetch(`${a}/v1/feedback`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body: ndjson(lines),
  });
  t.equal(res.status, 202);
  const s = await eventually(
    async () => {
      const v = await summary(b, 'c-stream');
      return v.pulls === 40 && v.arms[0]!.reward_sum === 20 ? v : undefined;
    },
    30_000,
    'stream feedback in the statistics',
  );
  t.match(s.arms[0], { arm: 's1', pulls: 40, observations: 40, reward_sum: 20 });
});

t.test('every process restarts: statistics, definitions and open decisions survive', async (t) => {
  await call(a, 'POST', '/v1/campaigns', { id: 'c-restart', arms: ['r1', 'r2'] });
  const open = await call(a, 'POST', '/v1/campaigns/c-restart/decide', {});
  const before = strip(await summary(a, 'c-two'));
  await stopAll();
  a = await start('api-a2', 'all');
  b = await start('api-b2', 'api');
  t.same(strip(await summary(b, 'c-two')), before, 'the statistics are as before');
  const list = (await call(a, 'GET', '/v1/campaigns')).body.campaigns as { id: string }[];
  t.ok(list.some((c) => c.id === 'c-restart'));
  const late = await call(b, 'POST', '/v1/campaigns/c-restart/reward', {
    decision_id: open.body.decision_id,
    value: 1,
  });
  t.equal(late.status, 202, 'a decision made before the restart takes its reward');
  t.equal((await summary(a, 'c-restart')).observations, 1);
});
