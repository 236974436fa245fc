import t from 'tap';
import { AlertHub, BrandDirectory } from '../../api/index.js';
import { MemoryAlertStateStore, MemoryBus, type AlertRecord } from '../../stream/index.js';
import { actionsReachEveryHub, alertRecord } from '../helpers/alert-delivery.js';

const brands = new BrandDirectory([{ name: 'Northwind Coffee' }, { name: 'Contoso Tea' }]);
const hub = () => new AlertHub({ bus: new MemoryBus(), brands });

t.test('channels: alerts, and alerts:<id> of a tracked brand only', async (t) => {
  const h = hub();
  t.ok(h.isChannel('alerts'));
  t.ok(h.isChannel('alerts:northwind-coffee'));
  t.notOk(h.isChannel('alerts:northwind-coffe'), 'a mistyped brand id is refused, not watched forever');
  t.notOk(h.isChannel('alerts:Northwind Coffee'), 'a name is not an id');
  t.notOk(h.isChannel('alerts:'));
  t.notOk(h.isChannel('brand:northwind-coffee'));
});

t.test('what people did by hand stays on an alert when the stage updates it', async (t) => {
  const h = hub();
  const pushed: unknown[] = [];
  h.onAlert((a) => pushed.push(a));
  h.apply(alertRecord());
  h.annotate(alertRecord().id, { acked_at: 5, acked_by: 'ops' });
  h.apply(alertRecord({ update: 1, severity: 'high' }));
  t.match(h.snapshot('alerts'), [{ update: 1, severity: 'high', acked_at: 5, acked_by: 'ops' }]);
  t.match(pushed.at(-1), { update: 1, acked_by: 'ops' }, 'pushed with them');
});

t.test('an acknowledge or resolve reaches every API process’s pages (one in-process bus)', async (t) => {
  const bus = new MemoryBus();
  await actionsReachEveryHub(t, bus, bus);
});

t.test('actions a process did not hear of are read again from the store', async (t) => {
  const h = hub();
  const store = new MemoryAlertStateStore();
  const pushed: AlertRecord[] = [];
  h.onAlert((a) => pushed.push(a));
  h.apply(alertRecord());
  await store.ack(alertRecord().id, 'ops'); // through another process, told while this one was cut off
  await store.resolve('an-alert-not-held-here', 'ops');
  await h.refreshActions(store);
  t.equal(pushed.length, 2);
  t.match(pushed[1], { id: alertRecord().id, acked_by: 'ops' }, 'pushed with the stored acknowledge');
  await h.refreshActions(store);
  t.equal(pushed.length, 2, 'nothing new: nothing pushed');
});

t.test('the same actions told again are not pushed again', async (t) => {
  const h = hub();
  const pushed: unknown[] = [];
  h.onAlert((a) => pushed.push(a));
  h.apply(alertRecord());
  h.annotate(alertRecord().id, { acked_at: 5, acked_by: 'ops' });
  h.annotate(alertRecord().id, { acked_at: 5, acked_by: 'ops' });
  t.equal(pushed.length, 2, 'the alert, then its acknowledge once');
});

t.test('preload: a process starting up lists the stored alerts; newer live updates win', async (t) => {
  const h = hub();
  const open = alertRecord({ id: 'northwind-coffee:volume:1', kind: 'volume', update: 2 });
  const live = alertRecord({ id: 'northwind-coffee:negative_share:2', update: 3 });
  h.apply(live);
  h.preload(
    [
      open,
      alertRecord({ id: live.id, update: 1 }),
      alertRecord({ id: 'contoso-tea:volume:3', brand: 'Contoso Tea', kind: 'volume' }),
    ],
    new Map([
      [open.id, { acked_at: 7, acked_by: 'pr' }],
      [live.id, { resolved_at: 9, resolved_by: 'ops' }],
    ]),
  );
  const nw = h.snapshot('alerts:northwind-coffee');
  t.equal(nw.length, 2, "the brand's stored alert and its live one");
  t.match(
    nw.find((a) => a.id === open.id),
    { update: 2, acked_by: 'pr' },
    'the stored alert, with its manual actions',
  );
  t.match(
    nw.find((a) => a.id === live.id),
    { update: 3, resolved_by: 'ops' },
    'the live update is kept over an older stored one, with the stored manual actions',
  );
  t.equal(h.snapshot('alerts').length, 3);
});

t.test('an acknowledgement made while the process starts is kept over the stored actions', async (t) => {
  const h = hub();
  const a = alertRecord();
  h.apply(a);
  h.annotate(a.id, { acked_at: 5, acked_by: 'ops', resolved_at: 6, resolved_by: 'ops' });
  h.preload([a], new Map([[a.id, { acked_at: 5, acked_by: 'ops' }]]));
  t.match(h.snapshot('alerts'), [{ acked_by: 'ops', resolved_by: 'ops', resolved_by_hand_at: 6 }]);
});

t.test('a starting API process loads the open alerts and the recently resolved ones', async (t) => {
  const { preloadAlerts } = await import('../../app/roles/api.js');
  const { ALERTS_TABLE, alertRow, MemoryStore } = await import('../../stream/index.js');
  const { MemoryAlertStateStore } = await import('../../stream/alerts/index.js');
  const now = 1_795_500_000_000;
  const DAY = 86_400_000;
  const store = new MemoryStore();
  const open = alertRecord({ id: 'northwind-coffee:volume:1', kind: 'volume', updated_at: now - 30 * DAY });
  const resolved = (i: number, ago: number) =>
    alertRecord({ id: `northwind-coffee:negative_share:${i}`, state: 'resolved', updated_at: now - ago });
  await store.write(ALERTS_TABLE, [
    alertRow(open, 1),
    alertRow(resolved(1, DAY), 2),
    alertRow(resolved(2, 30 * DAY), 3),
    // an alert once open, then resolved: its latest row counts
    alertRow(alertRecord({ id: 'northwind-coffee:volume:3', kind: 'volume' }), 4),
    alertRow(
      alertRecord({
        id: 'northwind-coffee:volume:3',
        kind: 'volume',
        state: 'resolved',
        updated_at: now - 2 * DAY,
      }),
      5,
    ),
  ]);
  const actions = new MemoryAlertStateStore();
  await actions.ack(open.id, 'ops');
  const h = hub();
  const warnings: unknown[] = [];
  await preloadAlerts(
    { store, logger: { warn: (o: unknown) => warnings.push(o) } as never },
    h,
    actions,
    now,
  );
  t.same(warnings, []);
  const shown = h.snapshot('alerts');
  t.same(
    shown.map((a) => a.id),
    [open.id, resolved(1, DAY).id, 'northwind-coffee:volume:3'],
    'every open alert (however old), then the resolved ones of the last week, newest first',
  );
  t.match(shown[0], { acked_by: 'ops' }, 'with what people did to them');
});
