import { Redis, type RedisOptions } from 'ioredis';
import type { Coordinator } from '../coordinator.js';

const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;
const ACQUIRE = `local h = redis.call('GET', KEYS[1])
if h == false then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
if h == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0`;
/** The checkpoint is written only by the lease holder: state and positions in one value, one command. */
const SAVE = `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[2], ARGV[2]) return 1 else return 0 end`;
/** Members are a sorted set scored by expiry time (ms, from the Redis clock). */
const HEARTBEAT = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('PEXPIRE', KEYS[1], ARGV[2] * 4)
return redis.call('ZRANGE', KEYS[1], 0, -1)`;

export interface RedisCoordinatorOptions {
  url: string;
  /** Prefix of every key, so several deployments can share one Redis. */
  prefix?: string;
  redis?: RedisOptions;
}

/** Leases, membership and fenced checkpoints in Redis; every check-and-set is one Lua script. */
export class RedisCoordinator implements Coordinator {
  readonly kind = 'redis';
  private readonly redis: Redis;
  private readonly prefix: string;

  constructor(o: RedisCoordinatorOptions) {
    this.prefix = o.prefix ?? 'pw:';
    this.redis = new Redis(o.url, {
      maxRetriesPerRequest: 3,
      enableOfflineQueue: true,
      lazyConnect: false,
      ...o.redis,
    });
    // Errors surface on the commands; without a listener ioredis would print each reconnect attempt.
    this.redis.on('error', () => undefined);
  }

  private k(key: string): string {
    return this.prefix + key;
  }

  async tryAcquire(lease: string, owner: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.eval(ACQUIRE, 1, this.k(`lease:${lease}`), owner, String(ttlMs))) === 1;
  }

  async renew(lease: string, owner: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.eval(RENEW, 1, this.k(`lease:${lease}`), owner, String(ttlMs))) === 1;
  }

  async release(lease: string, owner: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.k(`lease:${lease}`), owner);
  }

  async heartbeat(group: string, owner: string, ttlMs: number): Promise<string[]> {
    const members = (await this.redis.eval(
      HEARTBEAT,
      1,
      this.k(`members:${group}`),
      owner,
      String(ttlMs),
    )) as string[];
    return [...members].sort();
  }

  async leave(group: string, owner: string): Promise<void> {
    await this.redis.zrem(this.k(`members:${group}`), owner);
  }

  async saveCheckpoint(key: string, value: string, lease: string, owner: string): Promise<boolean> {
    const ok = await this.redis.eval(
      SAVE,
      2,
      this.k(`lease:${lease}`),
      this.k(`checkpoint:${key}`),
      owner,
      value,
    );
    return ok === 1;
  }

  async loadCheckpoint(key: string): Promise<string | undefined> {
    return (await this.redis.get(this.k(`checkpoint:${key}`))) ?? undefined;
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
