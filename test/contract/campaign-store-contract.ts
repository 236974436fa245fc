import type { Test } from 'tap';
import { randomUUID } from 'node:crypto';
import { emptyArm, recordPull, recordReward, type ArmStats } from '../../engines/bandits/index.js';
import {
  recordCredit,
  type Campaign,
  type CampaignArms,
  type CampaignStore,
  type DecisionRecord,
} from '../../stream/index.js';

export function campaign(over: Partial<Campaign> = {}): Campaign {
  return {
    id: `c_${randomUUID()}`,
    arms: ['red', 'blue'],
    retired: [],
    policy: 'thompson',
    policy_options: {},
    reward: 'binary',
    decision_ttl_ms: 3_600_000,
    created_at: 1000,
    updated_at: 1000,
    ...over,
  };
}

let seq = 0;
/** A decision made now, taking rewards for an hour. */
export function decision(
  campaignId: string,
  arm: string,
  over: Partial<DecisionRecord> = {},
): DecisionRecord {
  const at = Date.now();
  return {
    id: `d_${++seq}_${randomUUID()}`,
    campaign: campaignId,
    arm,
    at,
    expires_at: at + 3_600_000,
    ...over,
  };
}

const one = () => 1;

/** Numbers equal within a relative 1e-9 (Lua's pow may differ from V8's in the last bit). */
export function close(a: number, b: number): boolean {
  return a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
}

/** The same arm statistics, within `close`; the message names the first difference. */
export function sameArm(t: Test, got: ArmStats | undefined, want: ArmStats, msg = want.arm): void {
  if (!got) {
    t.fail(`${msg}: no statistics`);
    return;
  }
  const diff = armDiff(got, want);
  t.ok(diff === undefined, diff === undefined ? msg : `${msg}: ${diff}`, { got, want });
}

export function armDiff(got: ArmStats, want: ArmStats): string | undefined {
  if (got.arm !== want.arm) return `arm ${got.arm} ≠ ${want.arm}`;
  const pairs: [string, number, number][] = [
    ['pulls', got.pulls, want.pulls],
    ['obs.n', got.obs.n, want.obs.n],
    ['obs.sum', got.obs.sum, want.obs.sum],
    ['obs.sumSq', got.obs.sumSq, want.obs.sumSq],
    ['disc.n', got.disc.n, want.disc.n],
    ['disc.sum', got.disc.sum, want.disc.sum],
    ['disc.sumSq', got.disc.sumSq, want.disc.sumSq],
    ['disc.at', got.disc.at, want.disc.at],
  ];
  for (const [name, a, b] of pairs) if (!close(a, b)) return `${name} ${a} ≠ ${b}`;
  return undefined;
}

export const armOf = (arms: CampaignArms, arm: string) => arms.arms.find((a) => a.arm === arm);

function stats(arm: string, f: (a: ArmStats) => void): ArmStats {
  const a = emptyArm(arm);
  f(a);
  return a;
}

/**
 * The CampaignStore contract: definitions, decisions and their pulls, rewards once, discounting as
 * `recordReward` does it, stream feedback of every kind, default rewards, priors.
 */
export function campaignStoreContract(t: Test, name: string, make: () => Promise<CampaignStore>): void {
  t.test(`${name}: campaign store contract`, async (t) => {
    /** A store of its own per test: the set of due decisions is shared by every campaign. */
    const fresh = async (t: Test) => {
      const store = await make();
      t.teardown(() => store.close());
      return store;
    };

    t.test('campaigns: create once, update, get, list by id', async (t) => {
      const store = await fresh(t);
      const b = campaign({ id: 'b-campaign' });
      const a = campaign({ id: 'a-campaign', default_reward: { value: 0, after_ms: 60_000 } });
      t.ok(await store.create(b));
      t.ok(await store.create(a));
      t.notOk(await store.create({ ...a, arms: ['x'] }), 'an id is not taken twice');
      t.same(await store.get(a.id), a, 'as it was created');
      t.equal(await store.get('nope'), undefined);
      t.same(
        (await store.list()).map((c) => c.id),
        ['a-campaign', 'b-campaign'],
      );
      const a2 = { ...a, arms: ['red', 'blue', 'green'], updated_at: 2000 };
      t.ok(await store.update(a2));
      t.same(await store.get(a.id), a2, 'replaced');
      t.notOk(await store.update(campaign({ id: 'missing' })), 'no such campaign');
      t.equal(await store.get('missing'), undefined, 'update does not create');
      const got = (await store.get(a.id))!;
      got.arms.push('mutated');
      t.same((await store.get(a.id))!.arms, ['red', 'blue', 'green'], 'a returned campaign is a copy');
    });

    t.test('update with the definition it replaces: only if that is still the stored one', async (t) => {
      const store = await fresh(t);
      const c = campaign();
      t.ok(await store.create(c));
      const added = { ...c, arms: ['red', 'blue', 'green'], updated_at: 2000 };
      const retired = { ...c, arms: ['red'], retired: ['blue'], updated_at: 2000 };
      t.ok(await store.update(added, c), 'the stored definition was the one replaced');
      t.notOk(await store.update(retired, c), 'another update came in between: refused');
      t.same(await store.get(c.id), added, 'the arm another update added is not lost');
      t.ok(await store.update(retired, (await store.get(c.id))!), 'against the current definition');
      t.same(await store.get(c.id), retired);
      t.notOk(
        await store.update(campaign({ id: 'missing' }), campaign({ id: 'missing' })),
        'no such campaign',
      );
    });

    t.test('decide counts a pull, in the segment too', async (t) => {
      const store = await fresh(t);
      const c = campaign();
      t.same(await store.arms(c.id), { clock: 0, arms: [] }, 'nothing before any decision');
      await store.decide(decision(c.id, 'red'));
      await store.decide(decision(c.id, 'red', { segment: 'mobile' }));
      await store.decide(decision(c.id, 'blue', { segment: 'desktop' }));
      const arms = await store.arms(c.id, ['mobile', 'desktop', 'tablet']);
      t.equal(arms.clock, 0);
      t.equal(arms.arms.length, 2);
      sameArm(
        t,
        armOf(arms, 'red'),
        stats('red', (a) => (a.pulls = 2)),
      );
      sameArm(
        t,
        armOf(arms, 'blue'),
        stats('blue', (a) => (a.pulls = 1)),
      );
      t.equal(arms.segments?.mobile?.length, 1);
      sameArm(
        t,
        arms.segments?.mobile?.[0],
        stats('red', (a) => (a.pulls = 1)),
        'mobile red',
      );
      sameArm(
        t,
        arms.segments?.desktop?.[0],
        stats('blue', (a) => (a.pulls = 1)),
        'desktop blue',
      );
      t.same(arms.segments?.tablet, [], 'a segment without decisions');
      t.notOk('segments' in (await store.arms(c.id)), 'no segments unless asked');
    });

    t.test('a reward applies once; unknown, other campaign, expired', async (t) => {
      const store = await fresh(t);
      const c = campaign();
      const other = campaign();
      const d = decision(c.id, 'red', { segment: 'mobile' });
      await store.decide(d);
      t.same(await store.reward(c.id, 'no-such-decision', 1, d.at, 1), { status: 'unknown' });
      t.same(await store.reward(other.id, d.id, 1, d.at, 1), { status: 'unknown' }, "another campaign's id");
      const r = await store.reward(c.id, d.id, 1, d.at + 10, 1);
      t.equal(r.status, 'applied');
      if (r.status === 'applied') {
        t.equal(r.clock, 1);
        const want = stats('red', (a) => {
          recordPull(a);
          recordReward(a, 1, 0, 1);
        });
        sameArm(t, r.arm, want, 'the arm after the reward');
      }
      t.same(await store.reward(c.id, d.id, 1, d.at + 20, 1), { status: 'duplicate' });
      t.same(
        await store.reward(c.id, d.id, 1, d.expires_at + 1, 1),
        { status: 'expired' },
        'a repeat after the lifetime is expired, not a duplicate',
      );
      const arms = await store.arms(c.id, ['mobile']);
      t.equal(arms.clock, 1, 'counted once');
      t.equal(armOf(arms, 'red')?.obs.n, 1);
      t.equal(arms.segments?.mobile?.[0]?.obs.n, 1, 'in its segment too');
      t.equal(arms.segments?.mobile?.[0]?.obs.sum, 1);

      const late = decision(c.id, 'blue', { expires_at: Date.now() + 1000 });
      await store.decide(late);
      t.same(await store.reward(c.id, late.id, 1, late.expires_at + 1, 1), { status: 'expired' });
      t.equal(
        (await store.reward(c.id, late.id, 0, late.expires_at, 1)).status,
        'applied',
        'at expires_at: in time',
      );
      await t.rejects(store.reward(c.id, d.id, Number.NaN, d.at, 1), RangeError, 'a NaN reward is refused');
    });

    t.test('the clock and discounting, as recordReward (gamma 0.5)', async (t) => {
      const store = await fresh(t);
      const c = campaign();
      const g = 0.5;
      const want = new Map([
        ['red', emptyArm('red')],
        ['blue', emptyArm('blue')],
      ]);
      const plan: [string, number][] = [
        ['red', 1],
        ['blue', 0.25],
        ['red', 0],
        ['red', 0.7],
        ['blue', 1],
        ['blue', 3.1],
      ];
      const ds = plan.map(([arm]) => decision(c.id, arm));
      for (const d of ds) {
        await store.decide(d);
        recordPull(want.get(d.arm)!);
      }
      let clock = 0;
      for (const [i, d] of ds.entries()) {
        const value = plan[i]![1];
        const r = await store.reward(c.id, d.id, value, d.at, g);
        recordReward(want.get(d.arm)!, value, clock++, g);
        t.equal(r.status, 'applied');
        if (r.status !== 'applied') continue;
        t.equal(r.clock, clock, `clock ${clock}`);
        sameArm(t, r.arm, want.get(d.arm)!, `after reward ${i}`);
      }
      const arms = await store.arms(c.id);
      t.equal(arms.clock, plan.length);
      for (const a of want.values()) sameArm(t, armOf(arms, a.arm), a);
      t.ok(armOf(arms, 'red')!.disc.n < 3, 'old observations weigh less');
    });

    t.test(
      'the definitions version changes with every create and update, not with a refused one',
      async (t) => {
        const store = await fresh(t);
        const v0 = await store.definitionsVersion();
        const c = campaign();
        await store.create(c);
        const v1 = await store.definitionsVersion();
        t.not(v1, v0, 'created');
        t.notOk(await store.create({ ...c, created_at: c.created_at + 1 }));
        t.notOk(await store.update({ ...c, id: 'no-such-campaign' }));
        t.equal(await store.definitionsVersion(), v1, 'refused: unchanged');
        await store.update({ ...c, arms: ['red', 'blue', 'green'] });
        t.not(await store.definitionsVersion(), v1, 'updated');
      },
    );

    t.test('discounting agrees with recordReward to the bit (gamma 0.93, gaps of 1 to 13)', async (t) => {
      const store = await fresh(t);
      const c = campaign();
      const g = 0.93;
      const want = new Map([
        ['red', emptyArm('red')],
        ['blue', emptyArm('blue')],
      ]);
      // Red is rewarded after ever longer runs of blue: the discount's powers grow.
      const plan: string[] = [];
      for (let gap = 0; gap < 13; gap++) plan.push('red', ...Array<string>(gap).fill('blue'));
      let clock = 0;
      for (const [i, arm] of plan.entries()) {
        const d = decision(c.id, arm);
        await store.decide(d);
        recordPull(want.get(arm)!);
        const value = (i % 7) / 7;
        const r = await store.reward(c.id, d.id, value, d.at, g);
        recordReward(want.get(arm)!, value, clock++, g);
        t.equal(r.status, 'applied');
      }
      const arms = await store.arms(c.id);
      for (const a of want.values()) t.same(armOf(arms, a.arm)?.disc, a.disc, `${a.arm}: the same bits`);
    });

    t.test('feedback of each kind, without a known decision', async (t) => {
      const store = await fresh(t);
      const c = campaign();
      const g = 0.9;
      const base = { campaign: c.id, arm: 'red' };
      await store.feedback(
        [
          { ...base, key: 'k1', kind: 'impression', value: 0 },
          { ...base, key: 'k2', kind: 'impression', value: 0 },
          { ...base, key: 'k3', kind: 'credit', value: 1 },
          { ...base, key: 'k4', kind: 'pull', value: 0 },
          { ...base, key: 'k5', kind: 'reward', value: 0.5, decision_id: 'made-elsewhere' },
          { ...base, arm: 'blue', key: 'k6', kind: 'credit', value: 2 },
        ],
        () => g,
      );
      const red = emptyArm('red');
      recordPull(red);
      recordReward(red, 0, 0, g);
      recordPull(red);
      recordReward(red, 0, 1, g);
      recordCredit(red, 1, 2, g);
      recordPull(red);
      recordReward(red, 0.5, 2, g);
      const blue = emptyArm('blue');
      recordCredit(blue, 2, 3, g);
      const arms = await store.arms(c.id);
      t.equal(arms.clock, 3, 'impressions and rewards are observations; credits and pulls are not');
      sameArm(t, armOf(arms, 'red'), red);
      sameArm(t, armOf(arms, 'blue'), blue, 'a credit with no impression before');
      t.equal(armOf(arms, 'blue')?.obs.sum ?? 0, 0, 'which credits nothing');
      t.equal(armOf(arms, 'red')!.obs.sum, 1.5);
      t.equal(armOf(arms, 'red')!.obs.n, 3);
    });

    t.test('credits never lift an arm above one success per observation (binary rewards)', async (t) => {
      const store = await fresh(t);
      const c = campaign();
      const g = 0.5;
      const base = { campaign: c.id, value: 0 };
      await store.feedback(
        [
          // a click whose impression came before the campaign existed, or never came
          { ...base, arm: 'red', key: 'k1', kind: 'credit', value: 1 },
          { ...base, arm: 'blue', key: 'k2', kind: 'impression' },
          { ...base, arm: 'green', key: 'k3', kind: 'impression' },
          { ...base, arm: 'green', key: 'k4', kind: 'impression' },
          { ...base, arm: 'green', key: 'k5', kind: 'impression' },
          // blue's click, three observations after its impression: it weighs 0.5^4 by now
          { ...base, arm: 'blue', key: 'k6', kind: 'credit', value: 1 },
          { ...base, arm: 'blue', key: 'k7', kind: 'credit', value: 1 },
        ],
        () => g,
      );
      const arms = await store.arms(c.id);
      const red = armOf(arms, 'red');
      t.same(
        red && [red.obs.sum, red.obs.sumSq, red.disc.sum],
        [0, 0, 0],
        'no impression: nothing to credit',
      );
      const blue = armOf(arms, 'blue')!;
      t.same(blue.obs, { n: 1, sum: 1, sumSq: 1 }, 'one click for one impression; the second finds none');
      t.same(
        blue.disc,
        { n: 0.0625, sum: 0.0625, sumSq: 0.0625 * 0.0625, at: 4 },
        'discounted as its impression',
      );
    });

    t.test('feedback for a known decision: its impression is absorbed, its reward counts once', async (t) => {
      const store = await fresh(t);
      const c = campaign();
      const d1 = decision(c.id, 'red', { segment: 'mobile' });
      const d2 = decision(c.id, 'blue');
      const d3 = decision(c.id, 'red');
      const d4 = decision(c.id, 'blue', { expires_at: Date.now() + 1000 });
      for (const d of [d1, d2, d3, d4]) await store.decide(d);
      const fb = (d: DecisionRecord, kind: 'impression' | 'pull' | 'credit' | 'reward', value: number) => ({
        key: `${d.id}:${kind}`,
        campaign: c.id,
        arm: d.arm,
        decision_id: d.id,
        kind,
        value,
      });
      await store.feedback([fb(d1, 'impression', 0), fb(d2, 'pull', 0), fb(d3, 'impression', 0)], one);
      let arms = await store.arms(c.id);
      t.equal(arms.clock, 0, 'no observation');
      t.equal(armOf(arms, 'red')!.pulls, 2, 'no extra pull');
      t.equal(armOf(arms, 'blue')!.pulls, 2);

      // A REST reward and a stream credit for the same decision: once, whichever comes first.
      t.equal((await store.reward(c.id, d1.id, 1, d1.at, 1)).status, 'applied');
      await store.feedback([fb(d1, 'credit', 1)], one);
      await store.feedback([fb(d2, 'credit', 1)], one);
      t.same(await store.reward(c.id, d2.id, 1, d2.at, 1), { status: 'duplicate' }, 'the stream came first');
      await store.feedback([fb(d3, 'reward', 0.25), { ...fb(d3, 'credit', 1), key: 'other' }], one);
      await store.feedback([fb(d4, 'credit', 1)], one, d4.expires_at + 1);
      arms = await store.arms(c.id, ['mobile']);
      t.equal(arms.clock, 3, 'd1, d2, d3 once each; d4 expired');
      const red = armOf(arms, 'red')!;
      t.same([red.pulls, red.obs.n, red.obs.sum], [2, 2, 1.25]);
      const blue = armOf(arms, 'blue')!;
      t.same([blue.pulls, blue.obs.n, blue.obs.sum], [2, 1, 1]);

      // Event time decides: a click within the lifetime counts however late it is applied (a
      // backlog, a replay after a crash); one after it does not; a time ahead of the clock is now.
      const d5 = decision(c.id, 'blue', { expires_at: Date.now() + 1000 });
      const d6 = decision(c.id, 'blue', { expires_at: Date.now() + 1000 });
      const d7 = decision(c.id, 'blue', { expires_at: Date.now() + 1000 });
      for (const d of [d5, d6, d7]) await store.decide(d);
      const lateBy = d5.expires_at + 60_000;
      await store.feedback([{ ...fb(d5, 'credit', 1), ts: d5.expires_at - 1 }], one, lateBy);
      await store.feedback([{ ...fb(d6, 'credit', 1), ts: d6.expires_at + 1 }], one, lateBy);
      await store.feedback([{ ...fb(d7, 'credit', 1), ts: d7.expires_at + 99_999 }], one, d7.at);
      t.equal(
        (await store.arms(c.id)).clock,
        5,
        'd5 (in time, applied late) and d7 (future time, applied in time); not d6',
      );
      t.same(
        [arms.segments?.mobile?.[0]?.obs.n, arms.segments?.mobile?.[0]?.obs.sum],
        [1, 1],
        "a known decision's reward reaches its segment",
      );
      t.equal(
        (await store.reward(c.id, d4.id, 1, d4.at, 1)).status,
        'applied',
        'an expired credit did nothing',
      );
    });

    t.test('feedback for a decision of decide the store no longer holds: nothing, counted', async (t) => {
      const store = await fresh(t);
      const c = campaign();
      const other = campaign();
      const held = decision(c.id, 'blue');
      const elsewhere = decision(other.id, 'blue');
      for (const d of [held, elsewhere]) await store.decide(d);
      const base = { campaign: c.id, arm: 'red', own: true };
      const gone = [
        { ...base, key: 'k1', decision_id: 'dropped', kind: 'reward' as const, value: 1 },
        { ...base, key: 'k2', decision_id: 'dropped', kind: 'credit' as const, value: 1 },
        { ...base, key: 'k3', decision_id: 'dropped', kind: 'impression' as const, value: 0 },
        { ...base, key: 'k4', decision_id: 'dropped', kind: 'pull' as const, value: 0 },
        // an id of decide held for another campaign is no decision of this one
        { ...base, key: 'k5', decision_id: elsewhere.id, kind: 'reward' as const, value: 1 },
      ];
      t.equal(await store.feedback(gone, one), 5, 'each dropped and counted');
      t.equal(await store.feedback(gone, one), 0, 'a replay: repeats of their keys, not counted again');
      const arms = await store.arms(c.id);
      t.equal(arms.clock, 0, 'no observation');
      t.equal(armOf(arms, 'red'), undefined, 'no pull, no observation, no credit');
      t.equal(
        await store.feedback(
          [{ ...base, arm: 'blue', key: 'k6', decision_id: held.id, kind: 'reward', value: 1 }],
          one,
        ),
        0,
        'a decision still held takes its reward',
      );
      const blue = armOf(await store.arms(c.id), 'blue')!;
      t.same([blue.pulls, blue.obs.n, blue.obs.sum], [1, 1, 1]);
      t.equal(
        await store.feedback(
          [{ ...base, key: 'k7', decision_id: 'made-elsewhere', own: false, kind: 'reward', value: 1 }],
          one,
        ),
        0,
        'an id decide did not make: an observation, as before',
      );
      t.equal(armOf(await store.arms(c.id), 'red')?.obs.n, 1);
    });

    t.test('feedback is applied once per key', async (t) => {
      const store = await fresh(t);
      const c = campaign();
      const u = { key: 'same', campaign: c.id, arm: 'red', kind: 'impression' as const, value: 0 };
      await store.feedback([u, u], one);
      await store.feedback([u], one);
      await store.feedback([{ ...u, kind: 'reward', value: 1 }], one);
      const arms = await store.arms(c.id);
      t.same([arms.clock, armOf(arms, 'red')!.pulls, armOf(arms, 'red')!.obs.sum], [1, 1, 0]);
      await t.rejects(store.feedback([{ ...u, key: 'x', value: Infinity }], one), RangeError);
    });

    t.test(
      'default rewards: applied once when due, never to a rewarded decision, within the limit',
      async (t) => {
        const store = await fresh(t);
        const c = campaign();
        const at = Date.now();
        const due = (i: number, over: Partial<DecisionRecord> = {}) =>
          decision(c.id, i % 2 ? 'blue' : 'red', {
            at,
            expires_at: at + 1000 + i,
            default_value: 0,
            ...over,
          });
        const ds = Array.from({ length: 6 }, (_, i) => due(i));
        const noDefault = decision(c.id, 'red', { at, expires_at: at + 10 });
        const later = due(100, { expires_at: at + 60_000 });
        for (const d of [...ds, noDefault, later]) await store.decide(d);
        t.equal((await store.reward(c.id, ds[1]!.id, 1, at, 1)).status, 'applied', 'rewarded in time');
        t.same(await store.applyDefaults(at + 999, 10, one), [], 'none due yet');
        const first = await store.applyDefaults(at + 2000, 2, one);
        t.same(
          first.map((d) => d.id),
          [ds[0]!.id, ds[2]!.id],
          'earliest first, up to the limit, skipping the rewarded one',
        );
        t.same(first[0], ds[0], 'the decision as made');
        const rest = await store.applyDefaults(at + 2000, 10, one);
        t.same(
          rest.map((d) => d.id),
          [ds[3]!.id, ds[4]!.id, ds[5]!.id],
        );
        t.same(await store.applyDefaults(at + 2000, 10, one), [], 'each once');
        t.same(
          await store.reward(c.id, ds[3]!.id, 1, at, 1),
          { status: 'duplicate' },
          'a default counts as the reward',
        );
        const arms = await store.arms(c.id);
        t.equal(arms.clock, 6, 'one reward and five defaults');
        t.same([armOf(arms, 'red')!.obs.n, armOf(arms, 'blue')!.obs.n], [3, 3]);
        t.same([armOf(arms, 'red')!.obs.sum, armOf(arms, 'blue')!.obs.sum], [0, 1]);
        t.same(
          (await store.applyDefaults(at + 60_000, 10, one)).map((d) => d.id),
          [later.id],
        );
        t.same(await store.applyDefaults(at + 60_000, 0, one), [], 'limit 0');
      },
    );

    t.test('default rewards raced by many sweepers: each applied once', async (t) => {
      const store = await fresh(t);
      const c = campaign();
      const at = Date.now();
      const ds = Array.from({ length: 40 }, (_, i) =>
        decision(c.id, `arm${i % 4}`, { at, expires_at: at + i, default_value: 1 }),
      );
      for (const d of ds) await store.decide(d);
      const runs = await Promise.all(Array.from({ length: 8 }, () => store.applyDefaults(at + 100, 15, one)));
      const more = await store.applyDefaults(at + 100, 100, one);
      const ids = [...runs.flat(), ...more].map((d) => d.id).sort();
      t.same(ids, ds.map((d) => d.id).sort(), 'every decision exactly once');
      t.equal((await store.arms(c.id)).clock, 40);
    });

    t.test('priors: set, replace some, read back', async (t) => {
      const store = await fresh(t);
      const c = campaign();
      t.same(await store.priors(c.id), []);
      await store.setPriors(c.id, [
        { arm: 'red', n: 10, mean: 0.1 },
        { arm: 'blue', n: 5, mean: 0.2 },
        { arm: 'red', segment: 'mobile', n: 3, mean: 0.05 },
        { arm: 'red', segment: 'odd|segment%', n: 1, mean: -2.5 },
      ]);
      await store.setPriors(c.id, [{ arm: 'red', n: 20, mean: 1 / 3 }]);
      t.same(await store.priors(c.id), [
        { arm: 'blue', n: 5, mean: 0.2 },
        { arm: 'red', n: 20, mean: 1 / 3 },
        { arm: 'red', segment: 'mobile', n: 3, mean: 0.05 },
        { arm: 'red', segment: 'odd|segment%', n: 1, mean: -2.5 },
      ]);
      t.same(await store.priors(campaign().id), [], 'per campaign');
    });

    t.test('priors out of range are refused, and nothing of the call is stored', async (t) => {
      const store = await fresh(t);
      const c = campaign();
      // n × mean and the reported mean would overflow: a mean of 1e300 showed as null in GET
      for (const bad of [
        { arm: 'blue', n: 1, mean: 1e300 },
        { arm: 'blue', n: 1, mean: -1e16 },
        { arm: 'blue', n: 1e300, mean: 1 },
        { arm: 'blue', n: -1, mean: 0 },
        { arm: 'blue', n: 1, mean: Number.NaN },
      ])
        await t.rejects(
          store.setPriors(c.id, [{ arm: 'red', n: 1, mean: 0.5 }, bad]),
          RangeError,
          JSON.stringify(bad),
        );
      t.same(await store.priors(c.id), []);
      await store.setPriors(c.id, [{ arm: 'red', n: 1e15, mean: -1e15 }]);
      t.same(await store.priors(c.id), [{ arm: 'red', n: 1e15, mean: -1e15 }], 'the bounds themselves');
    });
  });
}
