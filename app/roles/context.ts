import type pino from 'pino';
import type { BrandDirectory, Metrics } from '../../api/index.js';
import type { BrandMatcher } from '../../engines/text/index.js';
import type { Scenario } from '../../ingest/synthetic/index.js';
import {
  PartitionWorkers,
  type BrandSpec,
  type Bus,
  type CampaignService,
  type Coordinator,
  type DeadLetters,
  type Instrumentation,
  type Store,
} from '../../stream/index.js';
import type { Config, Role } from '../config.js';

/** What every role is built from: the settings, the shared backends and the brands. */
export interface RoleContext {
  config: Config;
  logger: pino.Logger;
  bus: Bus;
  store: Store;
  coordinator: Coordinator;
  instrumentation: Instrumentation;
  metrics: Metrics;
  deadLetters: DeadLetters;
  specs: BrandSpec[];
  brands: BrandDirectory;
  matcher: BrandMatcher;
  scenario: Scenario | undefined;
  /** Campaign decisions and stream feedback (see roles/campaigns.ts), when this process has either. */
  campaigns?: CampaignService;
  /** Whether this process runs the role (the embedded default runs them all). */
  runs(role: Role): boolean;
}

/** What a role adds to the process; the composition root stops the parts in reverse order. */
export interface RolePart {
  stop(): Promise<void>;
}

/** Partition workers of one group, leased through the coordinator. */
export function workerGroup(
  ctx: RoleContext,
  group: string,
  create: ConstructorParameters<typeof PartitionWorkers>[0]['create'],
  partitions = ctx.config.partitions,
): PartitionWorkers {
  const { config, coordinator, instrumentation, logger } = ctx;
  return new PartitionWorkers({
    coordinator,
    group,
    owner: config.workerId,
    partitions,
    leaseTtlMs: config.leaseTtlMs,
    instrumentation,
    create,
    onError: (err) => logger.error({ err, group }, 'partition assignment failed; retrying'),
  });
}
