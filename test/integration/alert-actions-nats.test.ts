import t from 'tap';
import { NatsBus } from '../../stream/index.js';
import { actionsReachEveryHub } from '../helpers/alert-delivery.js';
import { natsUnavailable, natsUrl } from '../helpers/nats-server.js';

const url = natsUrl();

t.test(
  'an acknowledge or resolve done through one API process reaches the pages of another, over NATS',
  { skip: await natsUnavailable(url) },
  async (t) => {
    const a = await NatsBus.connect({ servers: url, name: 'pulsewatch-test-alert-actions-a' });
    t.teardown(() => a.close());
    const b = await NatsBus.connect({ servers: url, name: 'pulsewatch-test-alert-actions-b' });
    t.teardown(() => b.close());
    await actionsReachEveryHub(t, a, b);
  },
);
