/**
 * Bus benchmark: publish and consume throughput of the NATS JetStream bus on a real server, and of
 * the in-process bus doing the same in the same run (the baseline). Publishes carry a message id,
 * as ingest does; consumers fetch batches and ack every message.
 *
 *   npm run build && node dist/bench/nats-bus.js [--messages 200000] [--inflight 1000] \
 *     [--batch 1000] [--partitions 4] [--bytes 300]
 *
 * PW_NATS_URL selects the server (default nats://127.0.0.1:4222). The stream is deleted afterwards.
 */
import { randomUUID } from 'node:crypto';
import { connect } from 'nats';
import { MemoryBus, NatsBus, type Bus } from '../stream/index.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
}

const N = arg('messages', 200_000);
const inflight = arg('inflight', 1000);
const batch = arg('batch', 1000);
const partitions = arg('partitions', 4);
const bytes = arg('bytes', 300);
const url = process.env.PW_NATS_URL ?? 'nats://127.0.0.1:4222';
const payload = new TextEncoder().encode(JSON.stringify({ text: 'x'.repeat(Math.max(0, bytes - 12)) }));

interface Figures {
  publishSequential: number;
  publishWindowed: number;
  consumeOne: number;
  consumePartitions: number;
  redeliveries?: number;
}

async function publishAll(bus: Bus, prefix: string, count: number, window: number): Promise<number> {
  let next = 0;
  const run = String(Math.random());
  const start = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(window, count) }, async () => {
      while (next < count) {
        const i = next++;
        await bus.publish(`${prefix}.${i % partitions}`, payload, { msgId: `${run}:${i}` });
      }
    }),
  );
  return count / ((performance.now() - start) / 1000);
}

/** Fetches and acks `count` messages through one consumer per filter; returns msgs/s overall. */
async function consumeAll(bus: Bus, stream: string, durable: string, filters: (string | undefined)[]) {
  const consumers = await Promise.all(
    filters.map((f, i) =>
      bus.consumer({
        stream,
        durable: `${durable}-${i}`,
        maxAckPending: 10_000,
        ...(f !== undefined && { filterSubject: f }),
      }),
    ),
  );
  let received = 0;
  let end = 0;
  const start = performance.now();
  await Promise.all(
    consumers.map(async (c) => {
      while (received < N) {
        const msgs = await c.fetch(batch, 500);
        for (const m of msgs) m.ack();
        received += msgs.length;
        // The others may still wait out an empty fetch: the clock stops at the last message.
        if (received >= N && end === 0) end = performance.now();
      }
    }),
  );
  const rate = received / ((end - start) / 1000);
  await Promise.all(consumers.map((c) => c.stop()));
  return rate;
}

async function measure(bus: Bus, stream: string, prefix: string): Promise<Figures> {
  await bus.ensureStream({ name: stream, subjects: [`${prefix}.*`] });
  const publishSequential = await publishAll(bus, prefix, Math.min(N, 5_000), 1);
  const publishWindowed = await publishAll(bus, prefix, N - Math.min(N, 5_000), inflight);
  const consumeOne = await consumeAll(bus, stream, 'one', [undefined]);
  const filters = Array.from({ length: partitions }, (_, p) => `${prefix}.${p}`);
  const consumePartitions = await consumeAll(bus, stream, 'part', filters);
  return { publishSequential, publishWindowed, consumeOne, consumePartitions };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const id = randomUUID().replace(/-/g, '').slice(0, 10);

console.log(
  `bus benchmark: ${fmt(N)} messages of ${payload.byteLength} bytes, ${partitions} partitions, ` +
    `${inflight} publishes in flight, fetch batch ${batch}, node ${process.version}`,
);

const memory = new MemoryBus();
const base = await measure(memory, `BENCH_MEM_${id}`, `benchmem${id}`);
await memory.close();

const nats = await NatsBus.connect({ servers: url, name: 'pulsewatch-bench' });
const stream = `BENCH_${id}`;
let fig: Figures;
try {
  fig = await measure(nats, stream, `bench${id}`);
  fig.redeliveries = nats.stats.redeliveries;
} finally {
  await nats.close();
  const nc = await connect({ servers: url });
  await (await nc.jetstreamManager()).streams.delete(stream).catch(() => undefined);
  await nc.close();
}

const rows: [string, keyof Figures][] = [
  ['publish, 1 in flight (msgs/s)', 'publishSequential'],
  [`publish, ${inflight} in flight (msgs/s)`, 'publishWindowed'],
  ['consume + ack, 1 consumer (msgs/s)', 'consumeOne'],
  [`consume + ack, ${partitions} consumers (msgs/s)`, 'consumePartitions'],
];
console.log(`${'figure'.padEnd(40)} ${'NATS JetStream'.padStart(15)} ${'in-process'.padStart(12)} ratio`);
for (const [label, key] of rows) {
  const a = fig[key] ?? 0;
  const b = base[key] ?? 0;
  console.log(`${label.padEnd(40)} ${fmt(a).padStart(15)} ${fmt(b).padStart(12)} ${(a / b).toFixed(2)}×`);
}
console.log(`redeliveries during the run: ${fig.redeliveries ?? 0}`);
