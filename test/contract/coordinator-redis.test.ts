import t from 'tap';
import { randomUUID } from 'node:crypto';
import { RedisCoordinator } from '../../stream/coordination/redis/index.js';
import { coordinatorContract } from './coordinator-contract.js';
import { clearRedisPrefix } from '../helpers/services.js';

const url = process.env.PW_REDIS_URL ?? 'redis://127.0.0.1:6379';

// A random key prefix per run: tests never see each other's keys on a shared Redis.
const prefix = `pwtest:${randomUUID()}:`;
t.teardown(() => clearRedisPrefix(prefix, url));
coordinatorContract(t, 'Redis coordinator', async () => new RedisCoordinator({ url, prefix }));
