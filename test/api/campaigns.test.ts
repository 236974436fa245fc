import t from 'tap';
import WebSocket from 'ws';
import { eventually, ndjson, startTestApp } from '../helpers/app.js';

/**
 * The campaign API exactly as specified (clients and the acceptance harness depend on the names):
 * create, update, list, decide, reward (idempotent, 410 when expired, 400 out of range, 404
 * unknown), statistics, the WebSocket channel and ROI from stream feedback, in the embedded default.
 */
const running = await startTestApp(['--campaign-defaults-every-ms', '50']);
t.teardown(() => running.stop());
const app = running.app;

const post = (url: string, payload: unknown) =>
  app.inject({ method: 'POST', url, payload: payload as object });
const get = (url: string) => app.inject({ method: 'GET', url });

t.test('create, list, get: 201, the definition, zero statistics', async (t) => {
  const res = await post('/v1/campaigns', { id: 'c-basic', arms: ['a', 'b', 'c'], policy: 'thompson' });
  t.equal(res.statusCode, 201, res.body);
  t.match(res.json(), {
    id: 'c-basic',
    arms: ['a', 'b', 'c'],
    retired: [],
    policy: 'thompson',
    reward: 'binary',
  });
  const again = await post('/v1/campaigns', { id: 'c-basic', arms: ['a'] });
  t.equal(again.statusCode, 409);
  t.equal(again.json().error.code, 'CAMPAIGN_EXISTS');
  const list = await get('/v1/campaigns');
  t.ok(list.json().campaigns.some((c: { id: string }) => c.id === 'c-basic'));
  const one = (await get('/v1/campaigns/c-basic')).json();
  t.equal(one.arms.length, 3);
  t.same(one.arms[0], {
    arm: 'a',
    pulls: 0,
    observations: 0,
    reward_sum: 0,
    mean: 0,
    interval: [0, 1],
    share: 0,
    retired: false,
  });
  t.equal(one.leader, null);
});

t.test('bad definitions: 400 INVALID_CAMPAIGN naming the problem', async (t) => {
  const cases: [unknown, RegExp][] = [
    [{ id: 'x1', arms: [] }, /./],
    [{ id: 'x2', arms: ['a', 'a'] }, /twice/],
    [{ id: 'x3', arms: ['a'], policy: 'nope' }, /choose from/],
    [{ id: 'x4', arms: ['a'], policy: 'epsilon-greedy', policy_options: { epsilon: 7 } }, /epsilon/],
    [{ id: 'x5', arms: ['a'], default_reward: { value: 3, after_ms: 10 } }, /out of range/],
    [
      { id: 'x7', arms: ['a'], reward: 'continuous', default_reward: { value: 1e200, after_ms: 10 } },
      /out of range/,
    ],
    [{ id: 'x8', arms: 'a' }, /./],
    [{ id: 'x9', arms: ['a'], arm_costs: { b: { per_impression: 1 } } }, /arm_costs\.b: no such arm/],
    [{ id: 'x10', arms: ['a'], arm_features: { b: { size: 1 } } }, /arm_features\.b: no such arm/],
    [{ id: 'bad id!', arms: ['a'] }, /./],
    // ROI multiplies costs by counts and learns from features: past 1e15 they overflow to NaN
    [{ id: 'x11', arms: ['a'], costs: { per_impression: 1e308 } }, /costs\.per_impression/],
    [{ id: 'x12', arms: ['a'], arm_costs: { a: { budget: 1e300 } } }, /arm_costs\.a\.budget/],
    [{ id: 'x13', arms: ['a'], arm_features: { a: { size: -1e300 } } }, /arm_features\.a\.size/],
  ];
  for (const [body, message] of cases) {
    const res = await post('/v1/campaigns', body);
    t.equal(res.statusCode, 400, JSON.stringify(body));
    t.match(res.json().error.message, message);
  }
  const put = await app.inject({
    method: 'PUT',
    url: '/v1/campaigns/c-basic',
    payload: { arms: ['a', 'b', 'c'], costs: { per_click: 2e15 } },
  });
  t.equal(put.statusCode, 400, 'PUT checks the same limits');
  t.equal(put.json().error.code, 'INVALID_CAMPAIGN');
});

t.test('decide and reward: ids, rankings, once per decision, codes', async (t) => {
  await post('/v1/campaigns', { id: 'c-dr', arms: ['red', 'blue'], policy: 'ucb1' });
  const d = await post('/v1/campaigns/c-dr/decide', { context: { country: 'fr' }, user: 'u1' });
  t.equal(d.statusCode, 200, d.body);
  const decision = d.json();
  t.match(decision, { decision_id: String, arm: /^(red|blue)$/ });
  t.same(decision.ranking.map((r: { arm: string }) => r.arm).sort(), ['blue', 'red']);
  t.equal(decision.ranking[0].arm, decision.arm, 'the first of the ranking is the decision');

  const r1 = await post('/v1/campaigns/c-dr/reward', { decision_id: decision.decision_id, value: 1 });
  t.equal(r1.statusCode, 202);
  t.same(r1.json(), { status: 'applied' });
  const r2 = await post('/v1/campaigns/c-dr/reward', { decision_id: decision.decision_id, value: 1 });
  t.equal(r2.statusCode, 202, 'a repeat is accepted');
  t.same(r2.json(), { status: 'duplicate' }, '… and applied once');
  const s = (await get('/v1/campaigns/c-dr')).json();
  const arm = s.arms.find((a: { arm: string }) => a.arm === decision.arm);
  t.match(arm, { pulls: 1, observations: 1, reward_sum: 1, mean: 1, share: 1 });
  t.equal(s.leader, decision.arm);

  const cases: [string, unknown, number, string][] = [
    ['/v1/campaigns/c-dr/reward', { decision_id: 'no-such-decision', value: 1 }, 404, 'UNKNOWN_DECISION'],
    [
      '/v1/campaigns/c-dr/reward',
      { decision_id: decision.decision_id, value: 2 },
      400,
      'REWARD_OUT_OF_RANGE',
    ],
    [
      '/v1/campaigns/c-dr/reward',
      { decision_id: decision.decision_id, value: -0.5 },
      400,
      'REWARD_OUT_OF_RANGE',
    ],
    ['/v1/campaigns/c-dr/reward', { decision_id: decision.decision_id }, 400, 'BAD_REQUEST'],
    ['/v1/campaigns/c-dr/reward', { decision_id: decision.decision_id, value: 'x' }, 400, 'BAD_REQUEST'],
    // A body is taken as sent: none of these is a reward of 0 or 1.
    ['/v1/campaigns/c-dr/reward', { decision_id: decision.decision_id, value: null }, 400, 'BAD_REQUEST'],
    ['/v1/campaigns/c-dr/reward', { decision_id: decision.decision_id, value: true }, 400, 'BAD_REQUEST'],
    ['/v1/campaigns/c-dr/reward', { decision_id: decision.decision_id, value: '1' }, 400, 'BAD_REQUEST'],
    ['/v1/campaigns/c-dr/reward', { decision_id: decision.decision_id, value: [1] }, 400, 'BAD_REQUEST'],
    ['/v1/campaigns/c-dr/reward', { decision_id: decision.decision_id, value: ' ' }, 400, 'BAD_REQUEST'],
    ['/v1/campaigns/nope/reward', { decision_id: decision.decision_id, value: 1 }, 404, 'UNKNOWN_CAMPAIGN'],
    ['/v1/campaigns/nope/decide', {}, 404, 'UNKNOWN_CAMPAIGN'],
    ['/v1/campaigns/c-dr/decide', { context: { nested: { a: 1 } } }, 400, 'INVALID_CONTEXT'],
  ];
  for (const [url, body, status, code] of cases) {
    const res = await post(url, body);
    t.equal(res.statusCode, status, `${url} ${JSON.stringify(body)}`);
    t.equal(res.json().error.code, code);
  }
  // a decision of another campaign is unknown here
  await post('/v1/campaigns', { id: 'c-other', arms: ['x'] });
  const other = (await post('/v1/campaigns/c-other/decide', {})).json();
  const cross = await post('/v1/campaigns/c-dr/reward', { decision_id: other.decision_id, value: 1 });
  t.equal(cross.statusCode, 404);
});

t.test(
  'continuous rewards: up to 1e15 either way; larger ones are refused, the campaign stays readable',
  async (t) => {
    await post('/v1/campaigns', { id: 'c-big', arms: ['a'], reward: 'continuous' });
    const reward = async (value: number) => {
      const d = (await post('/v1/campaigns/c-big/decide', {})).json();
      return post('/v1/campaigns/c-big/reward', { decision_id: d.decision_id, value });
    };
    t.equal((await reward(1e15)).statusCode, 202);
    t.equal((await reward(-1e15)).statusCode, 202);
    const huge = await reward(1e200);
    t.equal(huge.statusCode, 400);
    t.equal(huge.json().error.code, 'REWARD_OUT_OF_RANGE');
    t.match(huge.json().error.message, /1e15/);
    const s = await get('/v1/campaigns/c-big');
    t.equal(s.statusCode, 200, s.body);
    t.match(s.json().arms[0], { arm: 'a', observations: 2, reward_sum: 0 });
  },
);

t.test('decide without a body', async (t) => {
  await post('/v1/campaigns', { id: 'c-nobody', arms: ['a', 'b'] });
  const res = await app.inject({ method: 'POST', url: '/v1/campaigns/c-nobody/decide' });
  t.equal(res.statusCode, 200, res.body);
  const withJson = (payload: string) =>
    app.inject({
      method: 'POST',
      url: '/v1/campaigns/c-nobody/decide',
      headers: { 'content-type': 'application/json' },
      payload,
    });
  const empty = await withJson('');
  t.equal(empty.statusCode, 200, 'an empty JSON body too');
  const broken = await withJson('{"context":');
  t.equal(broken.statusCode, 400, 'broken JSON is 400');
  t.equal(broken.json().error.code, 'BAD_REQUEST');
});

t.test('UCB ranks arms never observed with a finite score', async (t) => {
  await post('/v1/campaigns', { id: 'c-ucb', arms: ['a', 'b'], policy: 'ucb1' });
  const d = (await post('/v1/campaigns/c-ucb/decide', {})).json();
  for (const r of d.ranking) t.type(r.score, 'number');
});

t.test('default rewards: applied after after_ms; a later reward gets 410', async (t) => {
  await post('/v1/campaigns', {
    id: 'c-default',
    arms: ['only'],
    default_reward: { value: 0, after_ms: 100 },
  });
  const d = (await post('/v1/campaigns/c-default/decide', {})).json();
  const rewarded = await post('/v1/campaigns/c-default/decide', {});
  await post('/v1/campaigns/c-default/reward', { decision_id: rewarded.json().decision_id, value: 1 });
  const s = await eventually(
    async () => {
      const v = (await get('/v1/campaigns/c-default')).json();
      return v.arms[0].observations === 2 ? v : undefined;
    },
    5000,
    'the default reward',
  );
  t.match(
    s.arms[0],
    { pulls: 2, observations: 2, reward_sum: 1, mean: 0.5 },
    'default 0 for one, 1 for the other',
  );
  const late = await post('/v1/campaigns/c-default/reward', { decision_id: d.decision_id, value: 1 });
  t.equal(late.statusCode, 410);
  t.equal(late.json().error.code, 'DECISION_EXPIRED');
  // and it stays applied once
  await new Promise((r) => setTimeout(r, 200));
  t.equal((await get('/v1/campaigns/c-default')).json().arms[0].observations, 2);
});

t.test('a decision with a short ttl expires (410) without a default', async (t) => {
  await post('/v1/campaigns', { id: 'c-ttl', arms: ['a'], decision_ttl_ms: 50 });
  const d = (await post('/v1/campaigns/c-ttl/decide', {})).json();
  await new Promise((r) => setTimeout(r, 120));
  const res = await post('/v1/campaigns/c-ttl/reward', { decision_id: d.decision_id, value: 1 });
  t.equal(res.statusCode, 410);
});

t.test('PUT: arms added and retired keep their statistics; retired arms are never chosen', async (t) => {
  await post('/v1/campaigns', { id: 'c-put', arms: ['a', 'b'] });
  for (let i = 0; i < 20; i++) {
    const d = (await post('/v1/campaigns/c-put/decide', {})).json();
    await post('/v1/campaigns/c-put/reward', { decision_id: d.decision_id, value: d.arm === 'a' ? 1 : 0 });
  }
  const before = (await get('/v1/campaigns/c-put')).json();
  const res = await app.inject({ method: 'PUT', url: '/v1/campaigns/c-put', payload: { arms: ['b', 'c'] } });
  t.equal(res.statusCode, 200, res.body);
  t.same(res.json().arms, ['b', 'c']);
  t.same(res.json().retired, ['a']);
  const after = (await get('/v1/campaigns/c-put')).json();
  const a = after.arms.find((x: { arm: string }) => x.arm === 'a');
  t.equal(a.retired, true);
  t.equal(a.pulls, before.arms.find((x: { arm: string }) => x.arm === 'a').pulls, 'a keeps its pulls');
  for (let i = 0; i < 30; i++) {
    const d = (await post('/v1/campaigns/c-put/decide', {})).json();
    t.not(d.arm, 'a');
    t.same(d.ranking.map((r: { arm: string }) => r.arm).sort(), ['b', 'c']);
  }
  const missing = await app.inject({ method: 'PUT', url: '/v1/campaigns/none', payload: { arms: ['a'] } });
  t.equal(missing.statusCode, 404);
  const kind = await app.inject({
    method: 'PUT',
    url: '/v1/campaigns/c-put',
    payload: { arms: ['b'], reward: 'continuous' },
  });
  t.equal(kind.statusCode, 400, 'the reward kind cannot change');
});

t.test('PUT keeps the policy options it leaves out, unless the policy changes', async (t) => {
  const options = { epsilon: 0.3, min_pulls: 2 };
  await post('/v1/campaigns', {
    id: 'c-opts',
    arms: ['a', 'b'],
    policy: 'epsilon-greedy',
    policy_options: options,
  });
  const put = (payload: object) => app.inject({ method: 'PUT', url: '/v1/campaigns/c-opts', payload });
  const same = await put({ arms: ['a', 'b', 'c'], policy: 'epsilon-greedy' });
  t.equal(same.statusCode, 200, same.body);
  t.same(same.json().policy_options, options, 'the same policy named: its options stay');
  t.same((await put({ arms: ['a', 'b'] })).json().policy_options, options, 'no policy named: they stay');
  t.same((await get('/v1/campaigns/c-opts')).json().campaign.policy_options, options, 'as stored');
  const other = await put({ arms: ['a', 'b'], policy: 'ucb1' });
  t.same([other.json().policy, other.json().policy_options], ['ucb1', {}], 'another policy: its defaults');
  const given = await put({ arms: ['a', 'b'], policy: 'ucb1', policy_options: { min_pulls: 5 } });
  t.same(given.json().policy_options, { min_pulls: 5 }, 'options given replace them');
});

t.test('Thompson finds the better arm over HTTP', async (t) => {
  await post('/v1/campaigns', { id: 'c-learn', arms: ['good', 'bad'], policy: 'thompson' });
  let x = 7;
  const rand = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 400; i++) {
    const d = (await post('/v1/campaigns/c-learn/decide', {})).json();
    const p = d.arm === 'good' ? 0.6 : 0.2;
    await post('/v1/campaigns/c-learn/reward', { decision_id: d.decision_id, value: rand() < p ? 1 : 0 });
  }
  const s = (await get('/v1/campaigns/c-learn')).json();
  t.equal(s.leader, 'good');
  t.ok(s.arms.find((a: { arm: string }) => a.arm === 'good').share > 0.6, 'most pulls go to the better arm');
});

t.test('continuous rewards', async (t) => {
  await post('/v1/campaigns', { id: 'c-cont', arms: ['x', 'y'], reward: 'continuous' });
  const d = (await post('/v1/campaigns/c-cont/decide', {})).json();
  const res = await post('/v1/campaigns/c-cont/reward', { decision_id: d.decision_id, value: 12.5 });
  t.equal(res.statusCode, 202);
  const s = (await get('/v1/campaigns/c-cont')).json();
  t.equal(s.arms.find((a: { arm: string }) => a.arm === d.arm).reward_sum, 12.5);
});

t.test('WebSocket campaign:<id> pushes the arms as they change', async (t) => {
  await post('/v1/campaigns', { id: 'c-ws', arms: ['a', 'b'] });
  const ws = new WebSocket(`${running.url.replace('http', 'ws')}/v1/stream`);
  t.teardown(() => ws.close());
  const messages: { type: string; channel?: string; campaign?: { pulls: number } }[] = [];
  ws.on('message', (m) => messages.push(JSON.parse(String(m))));
  await new Promise((r) => ws.once('open', r));
  ws.send(JSON.stringify({ op: 'subscribe', channels: ['campaign:c-ws'] }));
  await eventually(
    async () => (messages.some((m) => m.type === 'campaign') ? true : undefined),
    5000,
    'snapshot',
  );
  for (let i = 0; i < 3; i++) await post('/v1/campaigns/c-ws/decide', {});
  const seen = await eventually(
    async () => messages.find((m) => m.type === 'campaign' && m.campaign?.pulls === 3),
    5000,
    'an update with 3 pulls',
  );
  t.equal(seen.channel, 'campaign:c-ws');
});

t.test('feedback from the stream: arms learn from it and ROI is served', async (t) => {
  await post('/v1/campaigns', {
    id: 'c-roi',
    arms: ['cheap', 'dear'],
    costs: { per_impression: 0.01 },
    arm_costs: { dear: { per_impression: 0.05 } },
    arm_features: { cheap: { video: 0 }, dear: { video: 1 } },
  });
  const now = Date.now();
  const lines: unknown[] = [];
  for (let i = 0; i < 100; i++) {
    const arm = i % 2 === 0 ? 'cheap' : 'dear';
    lines.push({ campaign: 'c-roi', arm, decision_id: `ext-${i}`, kind: 'impression', ts: now + i });
    if (i % 4 === 0)
      lines.push({ campaign: 'c-roi', arm, decision_id: `ext-${i}`, kind: 'click', ts: now + i + 1 });
    if (i % 8 === 0)
      lines.push({
        campaign: 'c-roi',
        arm,
        decision_id: `ext-${i}`,
        kind: 'conversion',
        value: 2,
        ts: now + i + 2,
      });
  }
  const res = await app.inject({
    method: 'POST',
    url: '/v1/feedback',
    headers: { 'content-type': 'application/x-ndjson' },
    payload: ndjson(lines),
  });
  t.equal(res.statusCode, 202, res.body);
  const s = await eventually(
    async () => {
      const v = (await get('/v1/campaigns/c-roi')).json();
      return v.pulls === 100 ? v : undefined;
    },
    10_000,
    'stream impressions to count as pulls',
  );
  const cheap = s.arms.find((a: { arm: string }) => a.arm === 'cheap');
  t.match(cheap, { pulls: 50, observations: 50, reward_sum: 25 }, 'impressions observe 0, clicks credit 1');
  const roi = await eventually(
    async () => {
      const v = (await get('/v1/campaigns/c-roi/roi')).json();
      return v.arms?.find((a: { arm: string }) => a.arm === 'cheap')?.impressions === 50 ? v : undefined;
    },
    10_000,
    'ROI rows',
  );
  const c = roi.arms.find((a: { arm: string }) => a.arm === 'cheap');
  t.match(c, { impressions: 50, clicks: 25, conversions: 13, revenue: 26, cost: 0.5 });
  t.equal(c.roi, (26 - 0.5) / 0.5);
  t.equal(c.cost_per_conversion, Math.round((0.5 / 13) * 1e6) / 1e6);
  const d = roi.arms.find((a: { arm: string }) => a.arm === 'dear');
  t.equal(d.cost, 2.5);
  t.ok(roi.model.n >= 1, 'the model learned from the windows');
  t.type(d.predicted_roi, 'number');
  const backwards = await get('/v1/campaigns/c-roi/roi?from=2026-02-02&to=2026-02-01');
  t.equal(backwards.statusCode, 400);
  t.equal(backwards.json().error.code, 'INVALID_RANGE');
});

t.test('segment-thompson learns a different best arm per context segment', async (t) => {
  await post('/v1/campaigns', { id: 'c-seg', arms: ['a', 'b'], policy: 'segment-thompson' });
  let x = 11;
  const rand = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const best = { north: 'a', south: 'b' } as Record<string, string>;
  const late = { north: 0, south: 0 } as Record<string, number>;
  for (let i = 0; i < 600; i++) {
    const segment = i % 2 === 0 ? 'north' : 'south';
    const d = (await post('/v1/campaigns/c-seg/decide', { context: { segment } })).json();
    const p = d.arm === best[segment] ? 0.7 : 0.1;
    await post('/v1/campaigns/c-seg/reward', { decision_id: d.decision_id, value: rand() < p ? 1 : 0 });
    if (i >= 400 && d.arm === best[segment]) late[segment]!++;
  }
  t.ok(late.north! > 70, `north mostly gets a (${late.north}/100)`);
  t.ok(late.south! > 70, `south mostly gets b (${late.south}/100)`);
});

t.test('/metrics counts decide latency and reward outcomes by outcome', async (t) => {
  const sample = async (name: string, outcome: string) => {
    const text = (await get('/metrics')).body;
    const line = text.split('\n').find((l) => l.startsWith(`${name}{outcome="${outcome}"}`));
    return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
  };
  const decided = () => sample('pulsewatch_campaign_decide_seconds_count', 'ok');
  const unknown = () => sample('pulsewatch_campaign_decide_seconds_count', 'UNKNOWN_CAMPAIGN');
  const rewards = (outcome: string) => sample('pulsewatch_campaign_rewards_total', outcome);
  const before = [await decided(), await unknown(), await rewards('applied'), await rewards('duplicate')];
  const outOfRange = await rewards('REWARD_OUT_OF_RANGE');

  await post('/v1/campaigns', { id: 'c-metrics', arms: ['a', 'b'] });
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) ids.push((await post('/v1/campaigns/c-metrics/decide', {})).json().decision_id);
  await post('/v1/campaigns/nope/decide', {});
  await post('/v1/campaigns/c-metrics/reward', { decision_id: ids[0], value: 1 });
  await post('/v1/campaigns/c-metrics/reward', { decision_id: ids[0], value: 1 });
  await post('/v1/campaigns/c-metrics/reward', { decision_id: ids[1], value: 0 });
  await post('/v1/campaigns/c-metrics/reward', { decision_id: ids[2], value: 5 });

  const after = [await decided(), await unknown(), await rewards('applied'), await rewards('duplicate')];
  t.same(
    after.map((v, i) => v - before[i]!),
    [3, 1, 2, 1],
    'three decisions, one unknown campaign, two rewards applied, one repeat',
  );
  t.equal(await rewards('REWARD_OUT_OF_RANGE'), outOfRange + 1, 'a reward out of range, by its code');
});
