import type { Test } from 'tap';
import { randomUUID } from 'node:crypto';
import {
  confirmMark,
  cooldownDecision,
  undoMark,
  type AlertStateStore,
  type NotifiedMark,
  type AlertSubscription,
} from '../../stream/index.js';

export function subscription(over: Partial<AlertSubscription> = {}): AlertSubscription {
  return {
    id: `sub_${randomUUID()}`,
    brands: ['northwind-coffee'],
    kinds: [],
    min_severity: 'medium',
    target: {
      type: 'webhook',
      url: 'http://127.0.0.1:9/hook',
      secret: 'a-secret-of-sixteen+',
      format: 'slack',
    },
    notify_resolved: false,
    created_at: Date.now(),
    ...over,
  };
}

/** The AlertStateStore contract: subscriptions, claims once, atomic cooldown marks, manual actions. */
/**
 * Decides four updates of one alert (low, medium, high, critical: each an escalation) on a fresh
 * key and writes each one's cooldown mark; `delivered(update)` says which are confirmed at once.
 */
async function escalations(store: AlertStateStore, delivered: (update: number) => boolean = () => false) {
  const rule = { cooldownMs: 60_000, notifyResolved: false };
  const alert = { id: 'a1', state: 'open' as const, updated_at: 2000 };
  const key = { subscription: `s-${randomUUID()}`, brand: 'northwind-coffee', kind: 'volume' as const };
  const written: NotifiedMark[] = [];
  for (const [update, severity] of (['low', 'medium', 'high', 'critical'] as const).entries()) {
    const mark = await store.updateMark(key, (cur) => {
      const d = cooldownDecision(cur, { ...alert, severity, update }, 2000 + update, rule);
      return 'mark' in d ? d.mark : undefined;
    });
    written.push(mark!);
    if (delivered(update)) await store.updateMark(key, (cur) => confirmMark(cur, mark!));
  }
  return { key, written };
}

export function alertStoreContract(t: Test, name: string, make: () => Promise<AlertStateStore>): void {
  t.test(`${name}: alert state store contract`, async (t) => {
    const store = await make();
    t.teardown(() => store.close());

    t.test('subscriptions: create, get, list oldest first, delete', async (t) => {
      const a = subscription({ created_at: 1000 });
      const b = subscription({
        created_at: 2000,
        brands: [],
        kinds: ['volume', 'negative_share'],
        target: { type: 'email', to: ['ops@example.com', 'pr@example.com'] },
      });
      const c = subscription({ created_at: 3000, target: { type: 'websocket' }, notify_resolved: true });
      t.equal(await store.createSubscription(b), 'created');
      t.equal(await store.createSubscription(a), 'created');
      t.equal(await store.createSubscription(c), 'created');
      t.equal(await store.createSubscription({ ...a, brands: [] }), 'taken', 'an id is not taken twice');
      t.same(await store.getSubscription(a.id), a, 'as it was created');
      t.same(await store.getSubscription(b.id), b);
      t.same(
        (await store.listSubscriptions()).map((s) => s.id),
        [a.id, b.id, c.id],
      );
      t.ok(await store.deleteSubscription(b.id));
      t.notOk(await store.deleteSubscription(b.id), 'gone already');
      t.equal(await store.getSubscription(b.id), undefined);
      t.same(
        (await store.listSubscriptions()).map((s) => s.id),
        [a.id, c.id],
      );
      await store.deleteSubscription(a.id);
      await store.deleteSubscription(c.id);
      t.same(await store.listSubscriptions(), []);
    });

    t.test('a limit on the number of subscriptions', async (t) => {
      const ids = ['sub_l1', 'sub_l2', 'sub_l3'];
      t.teardown(async () => {
        for (const id of ids) await store.deleteSubscription(id);
      });
      const [s1, s2, s3] = ids.map((id, i) => subscription({ id, created_at: 5000 + i }));
      t.equal(await store.createSubscription(s1!, 2), 'created');
      t.equal(await store.createSubscription(s2!, 2), 'created');
      t.equal(await store.createSubscription(s3!, 2), 'full', 'a third is refused');
      t.equal(
        await store.createSubscription(s1!, 2),
        'created',
        'the same one again is its own success (a resent command)',
      );
      t.equal(
        await store.createSubscription({ ...s1!, brands: [] }, 2),
        'taken',
        'another with its id is not',
      );
      t.same(
        (await store.listSubscriptions()).map((s) => s.id),
        ['sub_l1', 'sub_l2'],
      );
      await store.deleteSubscription('sub_l1');
      t.equal(await store.createSubscription(s3!, 2), 'created', 'room again after a delete');
      t.equal(await store.createSubscription(subscription({ id: 'sub_l4' }), 0), 'full', 'a limit of 0');
    });

    t.test('a returned subscription is a copy', async (t) => {
      const s = subscription();
      await store.createSubscription(s);
      const got = (await store.getSubscription(s.id))!;
      got.brands.push('other');
      t.same((await store.getSubscription(s.id))!.brands, ['northwind-coffee']);
      await store.deleteSubscription(s.id);
    });

    t.test('a claim is won once per (subscription, alert, update), also when raced', async (t) => {
      const alert = `alert-${randomUUID()}`;
      t.ok(await store.claim('s1', alert, 0));
      t.notOk(await store.claim('s1', alert, 0), 'the same update again');
      t.ok(await store.claim('s1', alert, 1), 'the next update');
      t.ok(await store.claim('s2', alert, 0), 'another subscription');
      const raced = await Promise.all(Array.from({ length: 20 }, () => store.claim('s3', alert, 4)));
      t.equal(raced.filter(Boolean).length, 1, 'one of twenty concurrent claims wins');
      await store.unclaim('s1', alert, 0);
      t.ok(await store.claim('s1', alert, 0), 'a claim given back can be taken again');
      t.notOk(await store.claim('s1', alert, 0), 'once');
      await store.unclaim('s9', alert, 0);
      t.ok(await store.claim('s9', alert, 0), 'giving back a claim never taken changes nothing');
    });

    t.test('cooldown marks: read, compare and set, also when raced', async (t) => {
      const key = { subscription: `s-${randomUUID()}`, brand: 'northwind-coffee', kind: 'volume' as const };
      t.equal(await store.getMark(key), undefined);
      const mark: NotifiedMark = { alert: 'a1', severity: 'medium', at: 1000, resolved: false };
      t.same(await store.updateMark(key, (cur) => (cur === undefined ? mark : undefined)), mark);
      t.same(await store.getMark(key), mark);
      t.equal(await store.updateMark(key, () => undefined), undefined, 'decide declines');
      t.same(await store.getMark(key), mark, 'and nothing changes');
      t.same(await store.getMark({ ...key, kind: 'negative_share' }), undefined, 'per kind');

      // Twenty processes handle twenty updates of a new alert at once (each holding its update's
      // claim): the rule lets exactly one notify.
      const rule = { cooldownMs: 60_000, notifyResolved: false };
      const alert = { id: 'a2', state: 'open' as const, severity: 'high' as const, updated_at: 2000 };
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, update) =>
          store.updateMark(key, (cur) => {
            const d = cooldownDecision(cur, { ...alert, update }, 2000, rule);
            return 'mark' in d ? d.mark : undefined;
          }),
        ),
      );
      t.equal(results.filter((r) => r !== undefined).length, 1, 'one escalation out of twenty');
      t.match(await store.getMark(key), {
        alert: 'a2',
        severity: 'high',
        at: 2000,
        event_at: 2000,
        resolved: false,
        notified: 'opened',
      });
    });

    t.test('cooldown marks: null from decide deletes, compare and set, also when raced', async (t) => {
      const key = { subscription: `s-${randomUUID()}`, brand: 'northwind-coffee', kind: 'volume' as const };
      const before: NotifiedMark = { alert: 'a0', severity: 'low', at: 500, resolved: true };
      const mark: NotifiedMark = {
        alert: 'a1',
        severity: 'high',
        at: 1000,
        event_at: 900,
        resolved: false,
        update: 3,
        notified: 'opened',
        before,
      };
      t.equal(await store.updateMark(key, () => null), null, 'deleting an absent mark');
      t.equal(await store.getMark(key), undefined, 'is nothing');
      await store.updateMark(key, () => mark);
      const got = (await store.getMark(key))!;
      t.same(got, mark, 'a mark with the one it replaced, as written');
      got.before!.alert = 'changed';
      t.same(await store.getMark(key), mark, 'a returned mark is a copy');
      const seen: (NotifiedMark | undefined)[] = [];
      t.equal(
        await store.updateMark(key, (cur) => {
          seen.push(cur);
          return cur?.alert === 'a1' ? null : undefined;
        }),
        null,
        'decide deletes',
      );
      t.same(seen.at(-1), mark, 'what it decided on');
      t.equal(await store.getMark(key), undefined, 'gone');
      t.equal(
        await store.updateMark(key, (cur) => (cur?.alert === 'a1' ? null : undefined)),
        undefined,
        'again: decide sees no mark and declines',
      );
      await store.updateMark(key, () => mark);
      t.equal(await store.updateMark(key, () => undefined), undefined);
      t.same(await store.getMark(key), mark, 'undefined leaves it');

      // Ten processes toggle the mark at once (write it when absent, delete it when present): each
      // write and delete is decided on the mark it replaces, so none is lost and it ends absent.
      const other = { ...key, subscription: `s-${randomUUID()}` };
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          store.updateMark(other, (cur) =>
            cur === undefined ? { alert: `t${i}`, severity: 'low', at: i, resolved: false } : null,
          ),
        ),
      );
      t.equal(results.filter((r) => r === null).length, 5, 'five deletes');
      t.equal(results.filter((r) => r !== null && r !== undefined).length, 5, 'five writes');
      t.equal(await store.getMark(other), undefined, 'the last one deleted it');
    });

    t.test('cooldown marks: updates given up in any order put back the mark of the one told', async (t) => {
      // Three escalations over a told mark, all decided before any is given up; undone in every order.
      const orders = [
        [1, 2, 3],
        [1, 3, 2],
        [2, 1, 3],
        [2, 3, 1],
        [3, 1, 2],
        [3, 2, 1],
      ];
      for (const order of orders) {
        const { key, written } = await escalations(store);
        t.match(await store.getMark(key), { update: 3, notified: 'escalated', severity: 'critical' });
        for (const i of order) await store.updateMark(key, (cur) => undoMark(cur, written[i]!));
        t.match(
          await store.getMark(key),
          { alert: 'a1', severity: 'low', update: 0, notified: 'opened' },
          `undone in the order ${order.join(', ')}: the first mark, told`,
        );
        t.notOk((await store.getMark(key))?.before, 'with nothing left to go back to');
      }
    });

    t.test('cooldown marks: one delivered in between stays, whatever is given up around it', async (t) => {
      for (const order of [
        [1, 3],
        [3, 1],
      ]) {
        // the first and the third are delivered as soon as they are decided
        const { key, written } = await escalations(store, (update) => update === 0 || update === 2);
        t.match(await store.getMark(key), {
          update: 3,
          before: { update: 2, before: undefined },
        });
        for (const i of order) await store.updateMark(key, (cur) => undoMark(cur, written[i]!));
        const got = await store.getMark(key);
        t.match(got, { severity: 'high', update: 2, notified: 'escalated' }, `undone ${order.join(', ')}`);
        t.notOk(got?.before, 'below the one delivered, nothing is kept');
      }
    });

    t.test('manual actions: the first acknowledge and resolve stay', async (t) => {
      const id = `alert-${randomUUID()}`;
      const other = `alert-${randomUUID()}`;
      t.same(await store.actions([id, other]), new Map());
      const acked = await store.ack(id, 'alice');
      t.equal(acked.acked_by, 'alice');
      t.type(acked.acked_at, 'number');
      t.notOk('resolved_at' in acked, 'not resolved');
      const again = await store.ack(id, 'bob');
      t.same(again, acked, 'a second acknowledge keeps the first');
      const resolved = await store.resolve(id, 'bob');
      t.equal(resolved.resolved_by, 'bob');
      t.type(resolved.resolved_at, 'number');
      t.same([resolved.acked_by, resolved.acked_at], [acked.acked_by, acked.acked_at]);
      t.same(await store.resolve(id, 'carol'), resolved, 'a second resolve keeps the first');
      await store.resolve(other, 'carol');
      const all = await store.actions([id, other, `alert-${randomUUID()}`]);
      t.same([...all.keys()].sort(), [id, other].sort(), 'untouched alerts are absent');
      t.same(
        Object.keys(all.get(other)!).sort(),
        ['resolved_at', 'resolved_by'],
        'resolved, not acknowledged',
      );
      t.same(await store.actions([]), new Map());
    });
  });
}
