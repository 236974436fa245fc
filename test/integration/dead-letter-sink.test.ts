import t from 'tap';
import type { Test } from 'tap';
import {
  DeadLetters,
  DeadLetterSink,
  Instrumentation,
  pipelineStreams,
  type DeadLetter,
} from '../../stream/index.js';
import { NatsBus } from '../../stream/bus/nats/nats-bus.js';
import { eventually } from '../helpers/async.js';
import { startNatsServer } from '../helpers/nats-server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function setup(t: Test) {
  const server = await startNatsServer();
  t.teardown(() => server.close());
  const bus = await NatsBus.connect({ servers: server.url });
  t.teardown(() => bus.close());
  for (const s of pipelineStreams({ retention: 'limits' })) await bus.ensureStream(s);
  const instrumentation = new Instrumentation();
  const send = async (from: number, to: number) => {
    const dl = new DeadLetters(bus, instrumentation);
    for (let i = from; i < to; i++)
      await dl.send('aggregate', 'late_event', `n${i}`, `{"i":${i}}`, 'test', `m${i}`);
  };
  return { server, bus, instrumentation, send };
}

t.test('a process that dies while writing does not take the letters it held with it', async (t) => {
  const { server, instrumentation, send } = await setup(t);
  const busA = await NatsBus.connect({ servers: server.url });
  const busB = await NatsBus.connect({ servers: server.url });
  t.teardown(() => busB.close());
  const written = new Set<string>();
  let held = 0;
  const ackWaitMs = 1_500;
  // process A's insert hangs (ClickHouse stalled), then the process dies
  const sinkA = new DeadLetterSink({
    bus: busA,
    instrumentation,
    batchSize: 50,
    ackWaitMs,
    write: async (letters) => {
      held += letters.length;
      await new Promise(() => undefined);
    },
  });
  const sinkB = new DeadLetterSink({
    bus: busB,
    instrumentation,
    batchSize: 50,
    ackWaitMs,
    write: async (letters: DeadLetter[]) => {
      for (const l of letters) written.add(l.detail);
    },
  });
  await sinkA.start();
  await sinkB.start();
  t.teardown(() => sinkB.stop());
  await send(0, 300);
  await eventually(async () => (held > 0 && written.size + held >= 300 ? true : undefined), 10_000);
  t.ok(held > 0, `A held ${held} letters`);
  void busA.close().catch(() => undefined);
  await eventually(async () => (written.size === 300 ? true : undefined), 20_000, 'every letter written');
  t.equal(written.size, 300, 'B wrote every letter, those A held included');
});

t.test(
  'a sink consumer made with AckAll by an earlier release goes on after what it acknowledged',
  async (t) => {
    const { bus, instrumentation, send } = await setup(t);
    await send(0, 5);
    const old = await bus.consumer({ stream: 'DEAD_LETTERS', durable: 'dead-letter-sink', ackPolicy: 'all' });
    const first = await old.fetch(3, 2_000);
    first.at(-1)!.ack();
    await sleep(200);
    await old.stop();
    await send(5, 7);
    const written: string[] = [];
    const sink = new DeadLetterSink({
      bus,
      instrumentation,
      write: async (letters) => {
        for (const l of letters) written.push(l.detail);
      },
    });
    await sink.start();
    t.teardown(() => sink.stop());
    await eventually(async () => (written.length >= 4 ? true : undefined), 10_000);
    await sleep(300);
    t.same(
      written.sort(),
      ['n3', 'n4', 'n5', 'n6'],
      'what the old consumer had acknowledged is not written again',
    );
  },
);
