import { randomUUID } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import { retry } from '../retry.js';
import type { NotifiedMark } from './cooldown.js';
import {
  DEFAULT_CLAIM_TTL_MS,
  type AlertActions,
  type AlertStateStore,
  type CreateSubscriptionResult,
  type MarkKey,
} from './store.js';
import { compareSubscriptions, type AlertSubscription } from './subscriptions.js';

/**
 * Sets KEYS[1] to ARGV[2] (with a time to live), or deletes it when ARGV[2] is '', only if it
 * still holds ARGV[1] ('' = absent): 1 done, 0 changed meanwhile.
 */
const COMPARE_AND_SET = `local cur = redis.call('GET', KEYS[1])
if (cur == false and ARGV[1] == '') or cur == ARGV[1] then
  if ARGV[2] == '' then
    redis.call('DEL', KEYS[1])
  else
    redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  end
  return 1
end
return 0`;

/**
 * HSETNX KEYS[1] ARGV[1] ARGV[2] unless the hash has ARGV[3] fields (-1: no limit): 1 set, 0 taken,
 * -1 full. The same field and value again is 1: ioredis resends a command after a reconnect, and its
 * own success must not read as taken.
 */
const CREATE_BELOW_LIMIT = `local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then
  if cur == ARGV[2] then return 1 end
  return 0
end
local limit = tonumber(ARGV[3])
if limit >= 0 and redis.call('HLEN', KEYS[1]) >= limit then return -1 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1`;

export interface RedisAlertStateStoreOptions {
  url: string;
  /** Prefix of every key (`--redis-prefix`), so several deployments can share one Redis. */
  prefix?: string;
  /** How long a claim (and a cooldown mark) is kept. */
  claimTtlMs?: number;
  redis?: RedisOptions;
}

/** Who and when (ms), as kept in the `acked` and `resolved` hashes. */
interface ManualAction {
  by: string;
  at: number;
}

class MarkConflict extends Error {
  override name = 'MarkConflict';
}

/**
 * Alert state in Redis, for services mode. Keys (under the prefix): `alerts:subscriptions` (hash
 * id → JSON), `alerts:claim:<subscription>:<alert>:<update>` (SET NX with a time to live),
 * `alerts:mark:<subscription>:<brand>:<kind>` (compare and set or delete, same time to live),
 * `alerts:acked` and `alerts:resolved` (hashes alert id → JSON, HSETNX: the first one stays;
 * kept without expiry, as people act on few alerts).
 */
export class RedisAlertStateStore implements AlertStateStore {
  readonly kind = 'redis';
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly ttlMs: number;

  constructor(o: RedisAlertStateStoreOptions) {
    this.prefix = o.prefix ?? 'pw:';
    this.ttlMs = o.claimTtlMs ?? DEFAULT_CLAIM_TTL_MS;
    this.redis = new Redis(o.url, { maxRetriesPerRequest: 3, enableOfflineQueue: true, ...o.redis });
    // Errors surface on the commands; without a listener ioredis would print each reconnect attempt.
    this.redis.on('error', () => undefined);
  }

  private k(key: string): string {
    return `${this.prefix}alerts:${key}`;
  }

  async createSubscription(s: AlertSubscription, limit = Infinity): Promise<CreateSubscriptionResult> {
    const r = (await this.redis.eval(
      CREATE_BELOW_LIMIT,
      1,
      this.k('subscriptions'),
      s.id,
      JSON.stringify(s),
      Number.isFinite(limit) ? String(limit) : '-1',
    )) as number;
    return r === 1 ? 'created' : r === 0 ? 'taken' : 'full';
  }

  async listSubscriptions(): Promise<AlertSubscription[]> {
    const all = (await this.redis.hvals(this.k('subscriptions'))).map(
      (v) => JSON.parse(v) as AlertSubscription,
    );
    return all.sort(compareSubscriptions);
  }

  async getSubscription(id: string): Promise<AlertSubscription | undefined> {
    const v = await this.redis.hget(this.k('subscriptions'), id);
    return v === null ? undefined : (JSON.parse(v) as AlertSubscription);
  }

  async deleteSubscription(id: string): Promise<boolean> {
    return (await this.redis.hdel(this.k('subscriptions'), id)) === 1;
  }

  private claimKey(subscriptionId: string, alertId: string, update: number): string {
    return this.k(`claim:${subscriptionId}:${alertId}:${update}`);
  }

  async claim(subscriptionId: string, alertId: string, update: number): Promise<boolean> {
    const key = this.claimKey(subscriptionId, alertId, update);
    // A token of this call: when a reply is lost and the client sends the SET again after it
    // reconnects, the claim it finds taken is its own.
    const token = randomUUID();
    if ((await this.redis.set(key, token, 'PX', this.ttlMs, 'NX')) === 'OK') return true;
    return (await this.redis.get(key)) === token;
  }

  async unclaim(subscriptionId: string, alertId: string, update: number): Promise<void> {
    await this.redis.del(this.claimKey(subscriptionId, alertId, update));
  }

  private markKey(k: MarkKey): string {
    return this.k(`mark:${k.subscription}:${k.brand}:${k.kind}`);
  }

  async getMark(key: MarkKey): Promise<NotifiedMark | undefined> {
    const v = await this.redis.get(this.markKey(key));
    return v === null ? undefined : (JSON.parse(v) as NotifiedMark);
  }

  async updateMark(
    key: MarkKey,
    decide: (current: NotifiedMark | undefined) => NotifiedMark | null | undefined,
  ): Promise<NotifiedMark | null | undefined> {
    const redisKey = this.markKey(key);
    return retry(
      async () => {
        const raw = await this.redis.get(redisKey);
        const next = decide(raw === null ? undefined : (JSON.parse(raw) as NotifiedMark));
        if (next === undefined) return undefined;
        if (next === null && raw === null) return null; // nothing to delete
        const ok = await this.redis.eval(
          COMPARE_AND_SET,
          1,
          redisKey,
          raw ?? '',
          next === null ? '' : JSON.stringify(next),
          String(this.ttlMs),
        );
        if (ok !== 1) throw new MarkConflict(`the cooldown mark ${redisKey} changed meanwhile`);
        return next;
      },
      { retries: 20, initialMs: 1, maxMs: 50, retryable: (err) => err instanceof MarkConflict },
    );
  }

  async ack(alertId: string, by: string): Promise<AlertActions> {
    await this.redis.hsetnx(this.k('acked'), alertId, JSON.stringify({ by, at: Date.now() }));
    return (await this.actions([alertId])).get(alertId)!;
  }

  async resolve(alertId: string, by: string): Promise<AlertActions> {
    await this.redis.hsetnx(this.k('resolved'), alertId, JSON.stringify({ by, at: Date.now() }));
    return (await this.actions([alertId])).get(alertId)!;
  }

  async actions(alertIds: readonly string[]): Promise<Map<string, AlertActions>> {
    const out = new Map<string, AlertActions>();
    if (alertIds.length === 0) return out;
    const [ackedAll, resolvedAll] = await Promise.all([
      this.redis.hmget(this.k('acked'), ...alertIds),
      this.redis.hmget(this.k('resolved'), ...alertIds),
    ]);
    alertIds.forEach((id, i) => {
      const a = ackedAll[i] ?? null;
      const r = resolvedAll[i] ?? null;
      if (a === null && r === null) return;
      const acked = a === null ? undefined : (JSON.parse(a) as ManualAction);
      const resolved = r === null ? undefined : (JSON.parse(r) as ManualAction);
      out.set(id, {
        ...(acked && { acked_at: acked.at, acked_by: acked.by }),
        ...(resolved && { resolved_at: resolved.at, resolved_by: resolved.by }),
      });
    });
    return out;
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
