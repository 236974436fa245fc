import t from 'tap';
import { encodeJson, MemoryBus, PipelineError } from '../../stream/index.js';

t.test('interest retention frees what every consumer has acked', async (t) => {
  const bus = new MemoryBus();
  t.teardown(() => bus.close());
  await bus.ensureStream({ name: 'S', subjects: ['s.*'], retention: 'interest' });
  const a = await bus.consumer({ stream: 'S', durable: 'a', maxAckPending: 10_000 });
  const b = await bus.consumer({ stream: 'S', durable: 'b', maxAckPending: 10_000 });
  for (let i = 0; i < 5000; i++) await bus.publish('s.0', encodeJson(i));
  const stream = () =>
    (bus as unknown as { streams: Map<string, { messages: unknown[] }> }).streams.get('S')!;
  for (const m of await a.fetch(5000, 100)) m.ack();
  t.equal(stream().messages.length, 5000, 'kept while consumer b has not acked');
  for (const m of await b.fetch(5000, 100)) m.ack();
  t.equal(stream().messages.length, 0, 'freed once both acked');
  const ack = await bus.publish('s.0', encodeJson('next'));
  t.equal(ack.seq, 5001, 'sequences keep counting');
  const [m] = await a.fetch(1, 100);
  t.equal(m?.seq, 5001);
});

t.test('discard new refuses a publish to a full stream with STREAM_FULL', async (t) => {
  const bus = new MemoryBus();
  t.teardown(() => bus.close());
  await bus.ensureStream({ name: 'S', subjects: ['s.*'], maxMsgs: 2, discard: 'new' });
  await bus.publish('s.0', encodeJson(1));
  await bus.publish('s.0', encodeJson(2));
  await t.rejects(bus.publish('s.0', encodeJson(3)), { code: 'STREAM_FULL' });
  await t.rejects(
    bus.publish('nowhere', encodeJson(3)),
    { code: 'BUS_UNAVAILABLE' },
    'no stream for the subject',
  );
  t.ok(new PipelineError('STREAM_FULL').retryable);
});

t.test('overlapping stream subjects are refused; a closed bus refuses work', async (t) => {
  const bus = new MemoryBus();
  await bus.ensureStream({ name: 'A', subjects: ['x.*'] });
  await t.rejects(bus.ensureStream({ name: 'B', subjects: ['x.1'] }), RangeError);
  await bus.close();
  await t.rejects(bus.publish('x.1', encodeJson(1)), { code: 'BUS_UNAVAILABLE' });
});
