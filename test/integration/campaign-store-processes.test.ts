import t from 'tap';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PROJECT_ROOT } from '../../app/paths.js';
import { RedisCampaignStore } from '../../stream/index.js';
import { clearRedisPrefix, REDIS_URL as url } from '../helpers/redis.js';

/**
 * Two processes share one campaign through RedisCampaignStore (as two API replicas do): each makes
 * N decisions and rewards them, some with a default reward, while both sweep the shared set of due
 * decisions at the same time. Every count must come out exact.
 */

const STORE_MODULE = join(PROJECT_ROOT, 'dist', 'stream', 'campaigns', 'index.js');

/** One replica: decides and rewards in batches of 10 concurrent calls, sweeping defaults beside them. */
const CHILD = `
const o = JSON.parse(process.env.PW_CHILD);
const { RedisCampaignStore } = await import(o.module);
const store = new RedisCampaignStore({ url: o.url, prefix: o.prefix });
const applied = [], duplicates = [], defaults = [];
const one = () => 1;
const sweep = async () => {
  for (const d of await store.applyDefaults(o.sweepAt, 7, one)) defaults.push(d.id);
};
await new Promise((r) => setTimeout(r, Math.max(0, o.startAt - Date.now())));
for (let i = 0; i < o.n; i += 10) {
  const batch = Array.from({ length: 10 }, async (_, j) => {
    const k = i + j;
    const id = o.who + '-' + k;
    await store.decide({
      id, campaign: o.campaign, arm: 'arm' + (k % 3), at: o.base, expires_at: o.base + 1,
      ...(k % 5 === 0 && { segment: 'seg' }),
      ...(k % 2 === 0 && { default_value: 0 }),
    });
    if (k % 3 === 2) return;
    const r = await store.reward(o.campaign, id, 1, o.base, 1);
    if (r.status === 'applied') applied.push(id);
    else if (r.status === 'duplicate') duplicates.push(id);
    else throw new Error(id + ': ' + r.status);
  });
  await Promise.all([...batch, sweep(), sweep()]);
}
for (let before = -1; before !== defaults.length; ) {
  before = defaults.length;
  await sweep();
}
await store.close();
process.stdout.write(JSON.stringify({ applied, duplicates, defaults }));
`;

interface ChildResult {
  applied: string[];
  duplicates: string[];
  defaults: string[];
}

function runChild(env: Record<string, unknown>): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], {
      env: { ...process.env, PW_CHILD: JSON.stringify(env) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve(JSON.parse(out) as ChildResult);
      else reject(new Error(`child ${String(env.who)} exited ${code}:\n${err}`));
    });
  });
}

t.test('two processes decide, reward and sweep defaults on one campaign: exact counts', async (t) => {
  if (!existsSync(STORE_MODULE)) throw new Error(`${STORE_MODULE} is missing: run npm run build first`);
  const prefix = `pwtest:${randomUUID()}:`;
  t.teardown(() => clearRedisPrefix(prefix, url));
  const N = 500;
  const base = Date.now();
  const common = {
    module: pathToFileURL(STORE_MODULE).href,
    url,
    prefix,
    campaign: 'shared',
    n: N,
    base,
    sweepAt: base + 10,
    startAt: Date.now() + 1000,
  };
  const results = await Promise.all([runChild({ ...common, who: 'p1' }), runChild({ ...common, who: 'p2' })]);

  const store = new RedisCampaignStore({ url, prefix });
  t.teardown(() => store.close());
  const last = await store.applyDefaults(base + 10, 10_000, () => 1);
  const defaults = [...results.flatMap((r) => r.defaults), ...last.map((d) => d.id)];
  const applied = results.flatMap((r) => r.applied);
  const duplicates = results.flatMap((r) => r.duplicates);

  // What each decision k should have had: one observation if it had a default or a reward.
  const ids = ['p1', 'p2'].flatMap((p) => Array.from({ length: N }, (_, k) => ({ id: `${p}-${k}`, k })));
  const hasDefault = new Set(ids.filter(({ k }) => k % 2 === 0).map(({ id }) => id));
  const observed = ids.filter(({ k }) => k % 2 === 0 || k % 3 !== 2).map(({ id }) => id);

  t.equal(new Set(defaults).size, defaults.length, 'no default applied twice');
  t.ok(
    defaults.every((id) => hasDefault.has(id)),
    'defaults only where there is one',
  );
  t.ok(
    duplicates.every((id) => defaults.includes(id)),
    'a reward is a duplicate only where the default came first',
  );
  t.same([...applied, ...defaults].sort(), [...observed].sort(), 'every decision observed exactly once');
  t.ok(
    results.every((r) => r.defaults.length > 0),
    `both processes swept some (${results.map((r) => r.defaults.length).join(', ')})`,
  );

  const arms = await store.arms('shared', ['seg']);
  const pulls = arms.arms.reduce((s, a) => s + a.pulls, 0);
  t.equal(pulls, 2 * N, 'total pulls = 2N');
  t.equal(arms.clock, observed.length, 'the clock counts every observation');
  t.equal(
    arms.arms.reduce((s, a) => s + a.obs.n, 0),
    observed.length,
  );
  t.equal(
    arms.arms.reduce((s, a) => s + a.obs.sum, 0),
    applied.length,
    'rewards of 1, defaults of 0',
  );
  for (const a of arms.arms) {
    const k = Number(a.arm.slice(3));
    const mine = ids.filter((x) => x.k % 3 === k);
    t.equal(a.pulls, mine.length, `${a.arm}: pulls`);
    t.equal(a.obs.n, mine.filter(({ id }) => observed.includes(id)).length, `${a.arm}: observations`);
    t.equal(a.obs.sum, mine.filter(({ id }) => applied.includes(id)).length, `${a.arm}: sum`);
  }
  const seg = ids.filter(({ k }) => k % 5 === 0);
  const segStats = arms.segments?.seg ?? [];
  t.equal(
    segStats.reduce((s, a) => s + a.pulls, 0),
    seg.length,
    'segment pulls',
  );
  t.equal(
    segStats.reduce((s, a) => s + a.obs.n, 0),
    seg.filter(({ id }) => observed.includes(id)).length,
    'segment observations',
  );
});
