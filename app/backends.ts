import type { Logger } from 'pino';
import {
  MemoryBus,
  MemoryCoordinator,
  MemoryStore,
  pipelineStreams,
  type Bus,
  type Coordinator,
  type Store,
} from '../stream/index.js';
import type { Config } from './config.js';

/** The three shared parts every role stands on: the bus, the store and the coordinator. */
export interface Backends {
  bus: Bus;
  store: Store;
  coordinator: Coordinator;
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
    async close() {
      await bus.close();
      await store.close();
      await coordinator.close();
    },
  };
}

export async function openBackends(config: Config, _logger: Logger): Promise<Backends> {
  if (config.mode === 'embedded') return embeddedBackends(config);
  throw new Error('services mode backends are wired in app/services-backends.ts');
}
