import t from 'tap';
import { NatsBus } from '../../stream/index.js';
import { busContract } from './bus-contract.js';
import { busPositionsContract } from './bus-positions-contract.js';
import { deleteStreams, natsUrl, natsUnavailable } from '../helpers/nats-server.js';

const url = natsUrl();
const skip = await natsUnavailable(url);

t.test('NATS JetStream', { skip }, async (t) => {
  const streams = new Set<string>();
  t.teardown(() => deleteStreams(url, streams));
  const tracked = async () => {
    const bus = await NatsBus.connect({ servers: url, name: 'pulsewatch-contract-test' });
    // Every stream the contract creates is deleted afterwards: the shared server keeps no litter.
    const ensure = bus.ensureStream.bind(bus);
    bus.ensureStream = (config) => {
      streams.add(config.name);
      return ensure(config);
    };
    return bus;
  };
  busContract(t, 'NATS JetStream bus', tracked);
  busPositionsContract(t, 'NATS JetStream bus', tracked);
});
