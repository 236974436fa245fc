/**
 * The message bus the pipeline runs on. Shaped after NATS JetStream (streams over subjects,
 * durable pull consumers with explicit acks, message ids for de-duplication) so that JetStream
 * and the in-process bus implement the same contract.
 */

export interface StreamConfig {
  name: string;
  /** Subjects the stream captures; `*` matches one token, `>` the rest. */
  subjects: string[];
  /** `limits` keeps messages until a limit removes them; `interest` drops what every consumer acked. */
  retention?: 'limits' | 'interest';
  maxMsgs?: number;
  maxBytes?: number;
  maxAgeMs?: number;
  /** When a limit is hit: drop the oldest message, or refuse the new one. */
  discard?: 'old' | 'new';
  /** How long a message id is remembered for de-duplication. */
  duplicateWindowMs?: number;
}

export interface PublishOptions {
  /** De-duplication id (JetStream `Nats-Msg-Id`): a repeat inside the duplicate window is not stored again. */
  msgId?: string;
  headers?: Record<string, string>;
}

export interface PubAck {
  stream: string;
  seq: number;
  duplicate: boolean;
}

export interface ConsumerConfig {
  stream: string;
  /** Durable name: the consumer's position survives restarts of the process that reads it. */
  durable: string;
  /**
   * `explicit`: each message is acked on its own. `all`: acking a message acks every earlier one
   * (one ack per batch). `none`: delivery is enough; the reader keeps its own position (checkpoints)
   * and rebinds with `startSeq`.
   */
  ackPolicy?: 'explicit' | 'all' | 'none';
  /**
   * Deliver from this stream sequence on: the consumer is reset to it, forgetting its old position.
   * For readers that own their positions (restored from a checkpoint).
   */
  startSeq?: number;
  filterSubject?: string;
  /** Most messages delivered and not yet acked. */
  maxAckPending?: number;
  /** A delivered message not acked within this time is delivered again. */
  ackWaitMs?: number;
  /** Deliveries after which a message is given up (terminated) and reported. */
  maxDeliver?: number;
  /**
   * The server removes the consumer once nobody has pulled from it this long (NATS
   * `inactive_threshold`): for consumers named after one process, which leave none behind when it
   * goes. The in-memory bus keeps its consumers (they go with the process).
   */
  inactiveThresholdMs?: number;
  /** A consumer this one replaces (its name in an earlier release): deleted once this one is made. */
  replaces?: string;
}

export interface BusMessage {
  subject: string;
  /** Stream sequence: the input position used by checkpoints. */
  seq: number;
  data: Uint8Array;
  headers: Record<string, string>;
  /** 1 on first delivery. */
  deliveryCount: number;
  /** When the stream stored the message, ms epoch: the same on every delivery and replay. */
  timestamp: number;
  ack(): void;
  /** Ask for redelivery, optionally after a delay. */
  nak(delayMs?: number): void;
  /** Still working on it: restart the ack-wait timer. */
  working(): void;
  /** Never deliver again. */
  term(): void;
}

export interface ConsumerInfo {
  name: string;
  /** Highest stream sequence delivered. */
  delivered: number;
  /** Every message at or below this sequence is acked. */
  ackFloor: number;
  /** Messages matching the filter not yet delivered. */
  numPending: number;
  numAckPending: number;
  redelivered: number;
}

export interface Consumer {
  /**
   * Up to `max` messages. Resolves as soon as at least one is available, or with an empty list
   * after `expiresMs`, or when the consumer stops.
   */
  fetch(max: number, expiresMs: number): Promise<BusMessage[]>;
  info(): Promise<ConsumerInfo>;
  stop(): Promise<void>;
}

/** A core (not persisted) subscription, for live fan-out. */
export interface Subscription extends AsyncIterable<{ subject: string; data: Uint8Array }> {
  unsubscribe(): void;
}

/** Called when a message is given up after `maxDeliver` deliveries. */
export type DeliveryExhaustedHandler = (consumer: string, msg: BusMessage) => void;

export interface Bus {
  readonly kind: string;
  /** Creates the stream, or updates its settings; idempotent. */
  ensureStream(config: StreamConfig): Promise<void>;
  publish(subject: string, data: Uint8Array, options?: PublishOptions): Promise<PubAck>;
  /** Creates the durable consumer if it does not exist, and binds to it. */
  consumer(config: ConsumerConfig): Promise<Consumer>;
  /** Fire-and-forget publish on a core subject (no stream, no ack). */
  notify(subject: string, data: Uint8Array): void;
  subscribe(subject: string): Subscription;
  onDeliveryExhausted(handler: DeliveryExhaustedHandler): void;
  close(): Promise<void>;
}

/** NATS subject matching: `*` is one token, `>` one or more trailing tokens. */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    const token = p[i];
    if (token === '>') return s.length > i;
    if (i >= s.length) return false;
    if (token !== '*' && token !== s[i]) return false;
  }
  return p.length === s.length;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

export function decodeJson<T = unknown>(data: Uint8Array): T {
  return JSON.parse(decoder.decode(data)) as T;
}
