import { EventEmitter } from 'node:events';
import {
  AckPolicy,
  connect as natsConnect,
  DebugEvents,
  DeliverPolicy,
  DiscardPolicy,
  Events,
  nanos,
  ReplayPolicy,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type NatsConnection,
  type ConsumerConfig as JsConsumerConfig,
  type StreamConfig as JsStreamConfig,
} from 'nats';
import type {
  Bus,
  BusMessage,
  Consumer,
  ConsumerConfig,
  DeliveryExhaustedHandler,
  PubAck,
  PublishOptions,
  StreamConfig,
  Subscription,
} from '../bus.js';
import { PipelineError } from '../../model/errors.js';
import {
  NatsBusMessage,
  NatsConsumer,
  withTimeout,
  type MaxDeliveriesAdvisory,
  type NatsBusInternals,
} from './consumer.js';
import { JetStreamPublisher } from './publisher.js';
import { NatsSubscription } from './subscription.js';
import { backoffDelay } from '../../retry.js';

/**
 * Defaults of the NATS JetStream bus, for settings a `StreamConfig` or `ConsumerConfig` leaves out.
 *
 * Streams
 * - `retention: limits`. Messages stay after they are acked, so a processor restored from a
 *   checkpoint can replay from the stream sequence it saved. (Interest retention would delete acked
 *   messages that a checkpoint may still need.)
 * - `maxAgeMs: 72 h`. The stream is a buffer, not the archive (history is in the store). Three
 *   days let a stage that stopped on a Friday evening catch up on Monday without losing events.
 * - `maxBytes: unlimited` and `maxMsgs: unlimited`: age is the limit. JetStream reserves `max_bytes`
 *   of file storage up front for every stream, so a large default fails stream creation on small
 *   disks ("insufficient storage resources available"), and a small one silently drops events that
 *   no consumer has read yet. Set `maxBytes` per deployment from the disk you give NATS.
 * - `discard: old`, as in the in-process bus. `discard: new` refuses publishes to a full stream with
 *   `STREAM_FULL` (503 at ingest) instead.
 * - `duplicateWindowMs: 2 min` (the JetStream default): a retry of the same event id within two
 *   minutes is stored once. Never longer than `maxAgeMs`: JetStream refuses that.
 * - File storage; `replicas` from `NatsBusOptions` (default 1; 3 for the production cluster).
 *
 * Consumers (durable pull, explicit acks)
 * - `ackWaitMs: 30 s`: a fetched batch has this long to be processed and acked before it is
 *   delivered again. Long enough for a full batch plus a sink flush of up to a second, with room
 *   for GC pauses; short enough that the batches of a crashed worker come back within a minute.
 * - `maxAckPending: 1000`, as in the in-process bus: a full fetch batch of 1000. Acks are sent
 *   without waiting, so a consumer that keeps up rarely reaches the limit, and consume throughput
 *   measured the same with 1000 and 10,000 (`bench/nats-bus.ts`). It bounds what a stuck or
 *   crashed worker holds until its ack wait ends. (The stage processors ask for 10,000.)
 * - `maxDeliver: 5`, as in the in-process bus: a message that fails five times is dead-lettered
 *   (see `onDeliveryExhausted`) instead of blocking its partition forever.
 */
export const NATS_BUS_DEFAULTS = {
  retention: 'limits' as const,
  maxAgeMs: 72 * 3600_000,
  maxBytes: -1,
  maxMsgs: -1,
  discard: 'old' as const,
  duplicateWindowMs: 120_000,
  replicas: 1,
  ackWaitMs: 30_000,
  maxAckPending: 1000,
  maxDeliver: 5,
};

export interface NatsBusOptions {
  /** Server URLs; default `nats://127.0.0.1:4222`. */
  servers?: string | string[];
  /** Connection name shown by the server's monitoring (`/connz`); default `pulsewatch`. */
  name?: string;
  /** Initial connection timeout; default 5 s. */
  connectTimeoutMs?: number;
  /** How long a publish waits for its PubAck before it fails with `BUS_UNAVAILABLE`; default 2 s. */
  publishTimeoutMs?: number;
  /** JetStream API calls (stream and consumer management, info); default 5 s. */
  requestTimeoutMs?: number;
  /** Reconnect backoff: first and largest delay between attempts; default 100 ms and 5 s. */
  reconnectInitialMs?: number;
  reconnectMaxMs?: number;
  /** Keep-alive pings; a connection that misses two is dropped and reconnected. Default 10 s. */
  pingIntervalMs?: number;
  /** Stream replicas; default 1 (3 for a production cluster). */
  replicas?: number;
  /**
   * Once a fetch has a message, how long it waits for the rest of the batch that the server is
   * already sending; default 2 ms. Bigger batches for almost no latency.
   */
  fetchLingerMs?: number;
  /**
   * While a consumer's pulls bring nothing, whether it still exists is checked this often (ms); one
   * that is gone makes `fetch` throw. Default 30,000.
   */
  consumerCheckMs?: number;
  /** Messages a core `Subscription` queues before it drops the oldest; default 10,000. */
  subscriptionQueue?: number;
  /** Where connection changes are logged (pino fits). */
  logger?: BusLogger;
}

export interface BusLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Counters since connect, for metrics. */
export interface NatsBusStats {
  /** Publishes acknowledged by JetStream, duplicates included. */
  published: number;
  /** Publishes JetStream reported as duplicates of an earlier message id. */
  duplicates: number;
  /** Publishes that failed (`BUS_UNAVAILABLE` or `STREAM_FULL`). */
  publishFailures: number;
  /** Messages received by the consumers of this bus. */
  delivered: number;
  /** Of those, deliveries after the first (nak, expired ack wait). */
  redeliveries: number;
  /** Messages reported to `onDeliveryExhausted` handlers. */
  exhausted: number;
  disconnects: number;
  reconnects: number;
  /** Core notifications not sent because NATS was disconnected. */
  notifyDrops: number;
  /** Core notifications a slow `Subscription` dropped. */
  subscriptionDrops: number;
}

export interface NatsBusEvents {
  disconnected: { server: string };
  reconnected: { server: string };
  'connection.error': { error: unknown };
  'publish.failed': { subject: string; error: PipelineError };
  /** A message given up after max deliveries; `found` is false when the stream no longer had it. */
  'delivery.exhausted': { stream: string; consumer: string; seq: number; deliveries: number; found: boolean };
}

type NatsBusEventName = keyof NatsBusEvents;

/** The Bus on NATS JetStream, for services mode. Create it with `NatsBus.connect`. */
/** JetStream's answer when `add` would change a setting of an existing consumer that cannot change. */
const NOT_UPDATABLE = 10012;
const CONSUMER_NOT_FOUND = 10014;

export class NatsBus implements Bus, NatsBusInternals {
  readonly kind = 'nats';
  private readonly emitter = new EventEmitter();
  private readonly counters: NatsBusStats = {
    published: 0,
    duplicates: 0,
    publishFailures: 0,
    delivered: 0,
    redeliveries: 0,
    exhausted: 0,
    disconnects: 0,
    reconnects: 0,
    notifyDrops: 0,
    subscriptionDrops: 0,
  };
  private readonly exhaustedHandlers: DeliveryExhaustedHandler[] = [];
  private readonly bindings = new Set<NatsConsumer>();
  private readonly subscriptions = new Set<NatsSubscription>();
  private connected = true;
  private closed = false;
  private readonly statusLoop: Promise<void>;
  private stopStatus: () => void = () => undefined;
  private readonly publisher: JetStreamPublisher;

  private constructor(
    readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly o: NatsBusOptions,
    private readonly reconnectState: { attempt: number },
  ) {
    this.emitter.setMaxListeners(100);
    this.publisher = new JetStreamPublisher(nc, o.publishTimeoutMs ?? 2_000);
    this.statusLoop = this.watchStatus();
  }

  /**
   * Connects and checks that JetStream is enabled. Reconnects forever afterwards, with backoff;
   * while disconnected, publishes fail at once with `BUS_UNAVAILABLE`. Fails with `BUS_UNAVAILABLE`
   * when the first connection cannot be made: retry it with `retry()`.
   */
  static async connect(options: NatsBusOptions = {}): Promise<NatsBus> {
    const reconnectState = { attempt: 0 };
    const initial = options.reconnectInitialMs ?? 100;
    const max = options.reconnectMaxMs ?? 5_000;
    let nc: NatsConnection | undefined;
    try {
      nc = await natsConnect({
        servers: options.servers ?? 'nats://127.0.0.1:4222',
        name: options.name ?? 'pulsewatch',
        timeout: options.connectTimeoutMs ?? 5_000,
        maxReconnectAttempts: -1,
        reconnectDelayHandler: () => backoffDelay(reconnectState.attempt++, initial, max, Math.random),
        pingInterval: options.pingIntervalMs ?? 10_000,
        maxPingOut: 2,
        // A stack trace captured per request costs a third of the CPU of a request; our errors
        // say what failed without it.
        noAsyncTraces: true,
      });
      const jsm = await nc.jetstreamManager({ timeout: options.requestTimeoutMs ?? 5_000 });
      return new NatsBus(nc, jsm, options, reconnectState);
    } catch (err) {
      await nc?.close().catch(() => undefined);
      throw new PipelineError('BUS_UNAVAILABLE', `cannot connect to NATS JetStream: ${messageOf(err)}`, {
        cause: err,
      });
    }
  }

  on<K extends NatsBusEventName>(name: K, listener: (payload: NatsBusEvents[K]) => void): () => void {
    this.emitter.on(name, listener);
    return () => this.emitter.off(name, listener);
  }

  /** A copy of the counters. */
  get stats(): NatsBusStats {
    return { ...this.counters };
  }

  get isConnected(): boolean {
    return this.connected && !this.closed;
  }

  async ensureStream(config: StreamConfig): Promise<void> {
    const cfg = this.toJetStream(config);
    await this.api(`ensureStream ${config.name}`, async () => {
      try {
        await this.jsm.streams.add(cfg);
      } catch (err) {
        // 10058: the name is taken by a stream with other settings; update it to these.
        if (apiErrorCode(err) !== 10058) throw err;
        await this.jsm.streams.update(config.name, cfg);
      }
    });
  }

  private toJetStream(config: StreamConfig): Partial<JsStreamConfig> & { name: string } {
    const d = NATS_BUS_DEFAULTS;
    const maxAgeMs = config.maxAgeMs ?? d.maxAgeMs;
    let duplicateWindowMs = config.duplicateWindowMs ?? d.duplicateWindowMs;
    if (maxAgeMs > 0) duplicateWindowMs = Math.min(duplicateWindowMs, maxAgeMs);
    return {
      name: config.name,
      subjects: config.subjects,
      retention:
        (config.retention ?? d.retention) === 'interest' ? RetentionPolicy.Interest : RetentionPolicy.Limits,
      max_age: nanos(maxAgeMs),
      max_bytes: config.maxBytes ?? d.maxBytes,
      max_msgs: config.maxMsgs ?? d.maxMsgs,
      discard: (config.discard ?? d.discard) === 'new' ? DiscardPolicy.New : DiscardPolicy.Old,
      duplicate_window: nanos(duplicateWindowMs),
      storage: StorageType.File,
      num_replicas: this.o.replicas ?? d.replicas,
    };
  }

  async publish(subject: string, data: Uint8Array, options: PublishOptions = {}): Promise<PubAck> {
    try {
      this.assertUsable();
      const ack = await this.publisher.publish(subject, data, options.msgId, options.headers);
      this.counters.published++;
      if (ack.duplicate) this.counters.duplicates++;
      return ack;
    } catch (err) {
      const error =
        err instanceof PipelineError
          ? err
          : new PipelineError('BUS_UNAVAILABLE', `publish to ${subject}: ${messageOf(err)}`, { cause: err });
      this.counters.publishFailures++;
      this.emitter.emit('publish.failed', { subject, error });
      throw error;
    }
  }

  async consumer(config: ConsumerConfig): Promise<Consumer> {
    this.assertUsable();
    const d = NATS_BUS_DEFAULTS;
    const maxDeliver = config.maxDeliver ?? d.maxDeliver;
    const what = `consumer ${config.stream}/${config.durable}`;
    const policy = config.ackPolicy ?? 'explicit';
    const cfg = {
      durable_name: config.durable,
      ack_policy: policy === 'none' ? AckPolicy.None : policy === 'all' ? AckPolicy.All : AckPolicy.Explicit,
      // A reader that owns its position (a checkpoint) asks for the sequence to resume from.
      ...(config.startSeq !== undefined
        ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Math.max(1, config.startSeq) }
        : { deliver_policy: DeliverPolicy.All }),
      replay_policy: ReplayPolicy.Instant,
      ...(policy !== 'none' && {
        ack_wait: nanos(config.ackWaitMs ?? d.ackWaitMs),
        max_ack_pending: config.maxAckPending ?? d.maxAckPending,
        max_deliver: maxDeliver,
      }),
      ...(config.filterSubject !== undefined && { filter_subject: config.filterSubject }),
      ...(config.inactiveThresholdMs !== undefined && {
        inactive_threshold: nanos(config.inactiveThresholdMs),
      }),
    };
    await this.api(what, async () => {
      if (config.startSeq !== undefined) {
        // The start position of a durable consumer cannot be changed: make it anew at the position.
        await this.deleteConsumer(config.stream, config.durable);
      }
      try {
        // nats-server 2.9 creates or updates; newer servers refuse to change an existing one here.
        await this.jsm.consumers.add(config.stream, cfg);
      } catch (err) {
        const code = apiErrorCode(err);
        if (code !== 10148 && code !== NOT_UPDATABLE) throw err;
        await this.reconcileConsumer(config.stream, config.durable, cfg);
      }
      if (config.replaces !== undefined) await this.deleteConsumer(config.stream, config.replaces);
    });
    const binding = new NatsConsumer(this, config.stream, config.durable, maxDeliver, {
      lingerMs: this.o.fetchLingerMs ?? 2,
      checkMs: this.o.consumerCheckMs ?? 30_000,
      requestTimeoutMs: this.o.requestTimeoutMs ?? 5_000,
      info: () => this.api(`info of ${what}`, () => this.jsm.consumers.info(config.stream, config.durable)),
      exists: async () => {
        try {
          await this.jsm.consumers.info(config.stream, config.durable);
          return true;
        } catch (err) {
          return apiErrorCode(err) !== CONSUMER_NOT_FOUND; // anything else: it may well exist
        }
      },
      ackPolicy: policy,
    });
    this.bindings.add(binding);
    try {
      await binding.start();
    } catch (err) {
      this.bindings.delete(binding);
      throw new PipelineError('BUS_UNAVAILABLE', `${what}: ${messageOf(err)}`, { cause: err });
    }
    return binding;
  }

  notify(subject: string, data: Uint8Array): void {
    if (this.closed) return;
    // While disconnected nats.js would buffer them without bound; they would be stale anyway.
    if (!this.connected) {
      this.counters.notifyDrops++;
      return;
    }
    try {
      this.nc.publish(subject, data);
    } catch {
      // Core notifications are at-most-once; a closed connection loses them like a full queue would.
    }
  }

  /** Works while disconnected too: nats.js subscribes again on every reconnect. */
  subscribe(subject: string): Subscription {
    if (this.closed) throw new PipelineError('BUS_UNAVAILABLE', 'the bus is closed');
    const sub = new NatsSubscription(
      this.nc,
      subject,
      this.o.subscriptionQueue ?? 10_000,
      () => this.counters.subscriptionDrops++,
      (s) => this.subscriptions.delete(s),
    );
    this.subscriptions.add(sub);
    return sub;
  }

  onDeliveryExhausted(handler: DeliveryExhaustedHandler): void {
    this.exhaustedHandlers.push(handler);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await Promise.all([...this.bindings].map((b) => b.stop()));
    this.closed = true;
    this.publisher.close();
    for (const s of [...this.subscriptions]) s.unsubscribe();
    // Drain flushes the acks and naks still buffered. It cannot finish while disconnected.
    await withTimeout(this.nc.drain(), this.o.requestTimeoutMs ?? 5_000).catch(() => undefined);
    if (!this.nc.isClosed()) await this.nc.close();
    this.stopStatus();
    await this.statusLoop;
  }

  // ---- NatsBusInternals: what consumer bindings use ----

  delivered(redelivery: boolean): void {
    this.counters.delivered++;
    if (redelivery) this.counters.redeliveries++;
  }

  unbound(binding: NatsConsumer): void {
    this.bindings.delete(binding);
  }

  /** Reports a message that will not be delivered again to the `onDeliveryExhausted` handlers. */
  exhausted(stream: string, consumer: string, msg: BusMessage): void {
    this.counters.exhausted++;
    const deliveries = msg.deliveryCount;
    this.emitter.emit('delivery.exhausted', { stream, consumer, seq: msg.seq, deliveries, found: true });
    for (const h of this.exhaustedHandlers) {
      try {
        h(consumer, msg);
      } catch (error) {
        this.o.logger?.error({ err: error, consumer, seq: msg.seq }, 'delivery-exhausted handler failed');
      }
    }
  }

  /** The MAX_DELIVERIES advisory for a message this process does not hold: read it from the stream. */
  async exhaustedElsewhere(a: MaxDeliveriesAdvisory): Promise<void> {
    let msg: BusMessage;
    try {
      const stored = await this.jsm.streams.getMessage(a.stream, { seq: a.stream_seq });
      const headers: Record<string, string> = {};
      if (stored.header) for (const k of stored.header.keys()) headers[k] = stored.header.get(k);
      msg = NatsBusMessage.detached(
        stored.subject,
        a.stream_seq,
        stored.data,
        headers,
        a.deliveries,
        stored.time.getTime(),
      );
    } catch (err) {
      this.o.logger?.error(
        { err, stream: a.stream, consumer: a.consumer, seq: a.stream_seq },
        'a message past max deliveries could not be read back from its stream; it is not dead-lettered',
      );
      const { stream, consumer, stream_seq: seq, deliveries } = a;
      this.emitter.emit('delivery.exhausted', { stream, consumer, seq, deliveries, found: false });
      return;
    }
    this.exhausted(a.stream, a.consumer, msg);
  }

  // ---- internals ----

  private async watchStatus(): Promise<void> {
    const status = this.nc.status();
    // nats.js does not end this iterator when the connection closes; close() stops it.
    this.stopStatus = () => (status as Partial<{ stop(): void }>).stop?.();
    for await (const s of status) {
      const server = typeof s.data === 'string' ? s.data : '';
      if (s.type === Events.Disconnect) {
        this.connected = false;
        this.counters.disconnects++;
        this.o.logger?.warn(
          { server },
          'NATS disconnected; publishes fail with BUS_UNAVAILABLE until it is back',
        );
        this.emitter.emit('disconnected', { server });
        // Their PubAcks may never come: fail them now. A retry with the same message id is safe.
        this.publisher.failAll('the connection to NATS was lost before the PubAck');
        for (const b of this.bindings) b.connectionChanged(false);
      } else if (s.type === Events.Reconnect) {
        this.connected = true;
        this.reconnectState.attempt = 0;
        this.counters.reconnects++;
        this.o.logger?.info({ server }, 'NATS reconnected');
        this.emitter.emit('reconnected', { server });
        for (const b of this.bindings) b.connectionChanged(true);
      } else if (s.type === Events.Error) {
        this.o.logger?.error({ err: s.data, server }, 'NATS connection error');
        this.emitter.emit('connection.error', { error: s.data });
      } else if (s.type === DebugEvents.Reconnecting) {
        this.connected = false;
      }
    }
  }

  private assertUsable(): void {
    if (this.closed) throw new PipelineError('BUS_UNAVAILABLE', 'the bus is closed');
    if (!this.connected) throw new PipelineError('BUS_UNAVAILABLE', 'NATS is disconnected');
  }

  /**
   * A JetStream API call: a refusal by the server is a configuration error (RangeError, a retry
   * does not help); a timeout or a lost connection is `BUS_UNAVAILABLE`.
   */
  /**
   * An existing durable whose settings `add` may not change. Its ack policy differs (made by an
   * earlier release): made anew after what it had acknowledged (what was delivered and not
   * acknowledged comes again). Otherwise the settings that may change are updated, and its start
   * position is left as it is. Several processes may do this at once: the first one's consumer
   * stands.
   */
  private async reconcileConsumer(
    stream: string,
    durable: string,
    cfg: Partial<JsConsumerConfig>,
  ): Promise<void> {
    const old = await this.jsm.consumers.info(stream, durable);
    if (old.config.ack_policy !== cfg.ack_policy) {
      await this.deleteConsumer(stream, durable);
      try {
        await this.jsm.consumers.add(stream, {
          ...cfg,
          deliver_policy: DeliverPolicy.StartSequence,
          opt_start_seq: old.ack_floor.stream_seq + 1,
        });
      } catch (err) {
        // another process made it meanwhile: fine if with this ack policy
        const now = await this.jsm.consumers.info(stream, durable).catch(() => undefined);
        if (now?.config.ack_policy !== cfg.ack_policy) throw err;
      }
      return;
    }
    const { ack_wait, max_ack_pending, max_deliver, filter_subject, inactive_threshold } = cfg;
    await this.jsm.consumers.update(stream, durable, {
      ...(ack_wait !== undefined && { ack_wait }),
      ...(max_ack_pending !== undefined && { max_ack_pending }),
      ...(max_deliver !== undefined && { max_deliver }),
      ...(filter_subject !== undefined && { filter_subject }),
      ...(inactive_threshold !== undefined && { inactive_threshold }),
    });
  }

  /** Deletes a consumer if it exists. */
  private async deleteConsumer(stream: string, durable: string): Promise<void> {
    try {
      await this.jsm.consumers.delete(stream, durable);
    } catch (err) {
      if (apiErrorCode(err) !== CONSUMER_NOT_FOUND) throw err;
    }
  }

  private async api<T>(what: string, call: () => Promise<T>): Promise<T> {
    this.assertUsable();
    try {
      return await call();
    } catch (err) {
      if (apiErrorCode(err) !== undefined) throw new RangeError(`${what}: ${messageOf(err)}`, { cause: err });
      throw new PipelineError('BUS_UNAVAILABLE', `${what}: ${messageOf(err)}`, { cause: err });
    }
  }
}

function apiErrorCode(err: unknown): number | undefined {
  return (err as { api_error?: { err_code?: number } } | undefined)?.api_error?.err_code;
}

function messageOf(err: unknown): string {
  const api = (err as { api_error?: { description?: string } } | undefined)?.api_error;
  if (api?.description) return api.description;
  return err instanceof Error ? err.message : String(err);
}
