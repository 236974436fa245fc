import type { Logger } from 'pino';
import type { Metrics } from '../api/index.js';
import { ClickHouseStore } from '../stream/store/clickhouse/index.js';
import {
  MemoryBus,
  MemoryCoordinator,
  MemoryStore,
  NatsBus,
  operatorTables,
  pipelineStreams,
  type Bus,
  type Coordinator,
  type Store,
} from '../stream/index.js';
import { RedisCoordinator } from '../stream/coordination/redis/index.js';
import type { Config } from './config.js';

/** The three shared parts every role stands on: the bus, the store and the coordinator. */
export interface Backends {
  bus: Bus;
  store: Store;
  coordinator: Coordinator;
  /** Feeds the backends' own figures (bus redeliveries, insert latency…) into the metrics. */
  instrument(metrics: Metrics): void;
  close(): Promise<void>;
}

/** In-process stand-ins for the embedded default: nothing to install. */
export async function embeddedBackends(config: Config): Promise<Backends> {
  const bus = new MemoryBus();
  // Interest retention frees what every consumer has read, so memory stays bounded.
  for (const s of pipelineStreams({ retention: 'interest', maxBytes: 256 * 1024 * 1024 }))
    await bus.ensureStream(s);
  const store = new MemoryStore({ maxWindowsPerSeries: config.storeMaxWindows });
  const coordinator = new MemoryCoordinator();
  return {
    bus,
    store,
    coordinator,
    instrument: () => undefined,
    async close() {
      await bus.close();
      await store.close();
      await coordinator.close();
    },
  };
}

/** NATS JetStream, ClickHouse and Redis, as `deploy/services.sh up` starts them. */
export async function servicesBackends(config: Config, logger: Logger): Promise<Backends> {
  const log = logger.child({ component: 'backends' });
  const bus = await NatsBus.connect({
    servers: config.natsUrl.split(','),
    name: `pulsewatch-${config.role}-${config.workerId}`,
    replicas: config.streamReplicas,
    logger: log,
  });
  const opened: { close(): Promise<void> }[] = [bus];
  try {
    // Limits retention: the log keeps events for replays (recovery, new consumers) until max age or size.
    for (const s of pipelineStreams({
      retention: 'limits',
      maxAgeMs: config.streamMaxAgeHours * 3_600_000,
      maxBytes: config.streamMaxBytes,
    }))
      await bus.ensureStream(s);
    const store = await ClickHouseStore.open({
      url: config.clickhouseUrl,
      database: config.clickhouseDatabase,
      username: config.clickhouseUser,
      password: config.clickhousePassword,
      batchRows: config.clickhouseBatchRows,
      flushIntervalMs: config.clickhouseFlushMs,
      maxBufferedRows: config.clickhouseMaxBufferedRows,
      enrichedRetentionDays: config.clickhouseEnrichedRetentionDays,
      tables: operatorTables(),
      onError: (err) => log.error({ err }, 'ClickHouse background task failed'),
    });
    opened.push(store);
    const coordinator = new RedisCoordinator({ url: config.redisUrl, prefix: config.redisPrefix });
    opened.push(coordinator);
    return {
      bus,
      store,
      coordinator,
      instrument(metrics) {
        metrics.observeBus(() => ({ ...bus.stats }));
        metrics.observeWriters(store.writers);
      },
      async close() {
        // The store first: it flushes what stage 2 wrote; then the bus and Redis.
        await store.close();
        await bus.close();
        await coordinator.close();
      },
    };
  } catch (err) {
    for (const o of opened.reverse()) await o.close().catch(() => undefined);
    throw err;
  }
}

export function openBackends(config: Config, logger: Logger): Promise<Backends> {
  return config.mode === 'embedded' ? embeddedBackends(config) : servicesBackends(config, logger);
}
