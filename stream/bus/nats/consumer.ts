import {
  createInbox,
  nanos,
  type ConsumerInfo as JsConsumerInfo,
  type Msg,
  type NatsConnection,
  type NatsError,
  type Subscription as NatsSub,
} from 'nats';
import type { BusMessage, Consumer, ConsumerInfo } from '../bus.js';
import { PipelineError } from '../../model/errors.js';

/** What the `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.<stream>.<consumer>` advisory carries. */
export interface MaxDeliveriesAdvisory {
  stream: string;
  consumer: string;
  stream_seq: number;
  deliveries: number;
}

/** The part of `NatsBus` a consumer binding uses. */
export interface NatsBusInternals {
  readonly nc: NatsConnection;
  readonly isConnected: boolean;
  delivered(redelivery: boolean): void;
  exhausted(stream: string, consumer: string, msg: BusMessage): void;
  exhaustedElsewhere(advisory: MaxDeliveriesAdvisory): Promise<void>;
  unbound(binding: NatsConsumer): void;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const ACK = encoder.encode('+ACK');
const NAK = encoder.encode('-NAK');
const WORKING = encoder.encode('+WPI');
const TERM = encoder.encode('+TERM');

/** Shorter pull requests are not worth a round trip. */
const MIN_EXPIRES_MS = 10;
/** A pull request whose end (408) never arrives, e.g. across a reconnect, is forgotten this much later. */
const REQUEST_GRACE_MS = 1_000;
/**
 * Messages handed out and never settled (a handler that gave up on a batch, a redelivery that went
 * to another process) are forgotten beyond this many, oldest first.
 */
const MAX_UNSETTLED = 100_000;
/**
 * Bytes one pull request brings at most (or the server's max payload and some, if that is more, so
 * a request always brings at least one message). A message carries many events, so a fetch of a
 * thousand messages from a backlog could be hundreds of megabytes and seconds of work in one go:
 * a client that does not read its socket for the server's write deadline (2 s) is cut off as a
 * slow consumer. 2 MiB is about 6,000 events, a fraction of a second of stage 2's work.
 */
export const PULL_MAX_BYTES = 2 * 1024 * 1024;
/** All the processes bound to one durable consumer share its advisories: one of them reports each. */
const ADVISORY_QUEUE = 'pulsewatch-exhausted';

interface PullRequest {
  remaining: number;
  timer: NodeJS.Timeout;
}

/**
 * One binding of a durable pull consumer. Each `fetch` sends a JetStream pull request for what it
 * lacks (`$JS.API.CONSUMER.MSG.NEXT`, batch and expiry) with a reply subject under this binding's
 * inbox, and returns once messages arrive: at once when the batch is full or the server has sent
 * all it had, otherwise after `lingerMs` more for the rest of a burst. A pull request that is
 * still open when a fetch returns stays open until it expires; what it brings is kept for the next
 * fetch, so no delivered message is lost between fetches.
 *
 * A message nacked on its last allowed delivery (`maxDeliver`) is terminated instead and reported
 * to the bus's exhausted handlers at once. A message that runs out of deliveries by expired ack
 * waits is reported when the server's MAX_DELIVERIES advisory arrives.
 */
export class NatsConsumer implements Consumer {
  private readonly inbox = createInbox();
  private sub: NatsSub | undefined;
  private advisories: NatsSub | undefined;
  private stash: NatsBusMessage[] = [];
  private readonly requests = new Map<number, PullRequest>();
  /** Messages asked for by open pull requests and not yet received. */
  private requested = 0;
  private nextRequest = 0;
  /** Received and not yet settled, by stream sequence: what a MAX_DELIVERIES advisory may be about. */
  private readonly unsettled = new Map<number, NatsBusMessage>();
  private readonly waiters = new Set<() => void>();
  private failure: Error | undefined;
  private stopped = false;
  /** Settlements sent since the last `info()`, and the reply subject of the latest ack or term. */
  private settledSinceInfo = false;
  private lastAckReply: string | undefined;
  /** When a pull last brought something, or the consumer was last found to exist. */
  private aliveAt = Date.now();

  constructor(
    private readonly bus: NatsBusInternals,
    readonly stream: string,
    readonly durable: string,
    readonly maxDeliver: number,
    private readonly o: {
      lingerMs: number;
      requestTimeoutMs: number;
      info: () => Promise<JsConsumerInfo>;
      /** False only once the server says the consumer does not exist. */
      exists: () => Promise<boolean>;
      /**
       * While pulls bring nothing, whether the consumer still exists is asked this often (ms):
       * JetStream does not answer a pull for a consumer it removed (idle past its inactive
       * threshold, or by hand), so a fetch would come back empty for ever.
       */
      checkMs: number;
      /**
       * `none`: nothing is ever settled, so nothing is kept for it. `all`: an ack settles every
       * earlier message too.
       */
      ackPolicy: 'explicit' | 'all' | 'none';
    },
  ) {}

  async start(): Promise<void> {
    const nc = this.bus.nc;
    this.sub = nc.subscribe(`${this.inbox}.*`, { callback: (err, msg) => this.onMessage(err, msg) });
    this.advisories = nc.subscribe(
      `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${this.stream}.${this.durable}`,
      { queue: ADVISORY_QUEUE, callback: (err, msg) => err || this.onAdvisory(msg) },
    );
    // The server knows both subscriptions before the first pull request or advisory.
    await nc.flush();
  }

  async fetch(max: number, expiresMs: number): Promise<BusMessage[]> {
    const deadline = Date.now() + Math.max(expiresMs, MIN_EXPIRES_MS);
    let lingerUntil = 0;
    for (;;) {
      if (this.stopped) return [];
      if (this.failure) {
        const failure = this.failure;
        this.failure = undefined;
        throw failure;
      }
      const now = Date.now();
      const have = this.stash.length;
      if (have >= max) return this.take(max);
      if (have > 0) {
        if (this.requested === 0 || (lingerUntil > 0 && now >= lingerUntil)) return this.take(max);
        if (lingerUntil === 0) lingerUntil = now + this.o.lingerMs;
        await this.changed(lingerUntil - now);
        continue;
      }
      if (now >= deadline) {
        await this.checkExists();
        return [];
      }
      if (this.requested < max && this.bus.isConnected) this.pull(max - this.requested, deadline - now);
      await this.changed(deadline - now);
    }
  }

  /** The durable consumer's state, including every ack this binding sent before the call. */
  async info(): Promise<ConsumerInfo> {
    await this.syncAcks();
    const ci = await this.o.info();
    return {
      name: ci.name,
      delivered: ci.delivered.stream_seq,
      ackFloor: ci.ack_floor.stream_seq,
      numPending: ci.num_pending,
      numAckPending: ci.num_ack_pending,
      // JetStream counts the redelivered messages that are still unacked, not all redeliveries.
      redelivered: ci.num_redelivered,
    };
  }

  /**
   * Stops this binding; the durable consumer keeps its position. Messages received but not yet
   * handed out go back at once; the ones handed out can still be acked (until the bus closes).
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const id of [...this.requests.keys()]) this.endRequest(id);
    this.wake();
    const stash = this.stash;
    this.stash = [];
    for (const m of stash) m.nak();
    this.advisories?.unsubscribe();
    // Without a subscriber on their reply subject, the server drops the pull requests still open.
    // Draining first lets what is already on its way arrive here, to be sent back.
    const sub = this.sub;
    if (sub && this.bus.isConnected) await withTimeout(sub.drain(), 2_000).catch(() => sub.unsubscribe());
    else sub?.unsubscribe();
    this.bus.unbound(this);
  }

  /** Called by the bus when the connection drops or comes back. */
  connectionChanged(up: boolean): void {
    // Pull requests sent before a disconnect may be gone with the server: ask again once back.
    if (!up) for (const id of [...this.requests.keys()]) this.endRequest(id);
    this.wake();
  }

  /** Throws if pulls have brought nothing for a while and the consumer is gone (see `checkMs`). */
  private async checkExists(): Promise<void> {
    if (Date.now() - this.aliveAt < this.o.checkMs || !this.bus.isConnected) return;
    if (!(await this.o.exists()))
      throw this.error('the consumer is gone (removed by the server when idle, or by hand)');
    this.aliveAt = Date.now();
  }

  // ---- used by NatsBusMessage ----

  send(reply: string, payload: Uint8Array): void {
    try {
      this.bus.nc.publish(reply, payload);
    } catch {
      // The connection is closed: the message comes back after its ack wait, wherever it is bound.
    }
  }

  settle(m: NatsBusMessage, reply: string, payload: Uint8Array): void {
    if (this.unsettled.get(m.seq) === m) this.unsettled.delete(m.seq);
    if (this.o.ackPolicy === 'all' && payload === ACK) {
      // Map order is arrival order, which for first deliveries is sequence order.
      for (const seq of this.unsettled.keys()) if (seq < m.seq) this.unsettled.delete(seq);
    }
    this.settledSinceInfo = true;
    if (payload === ACK || payload === TERM) this.lastAckReply = reply;
    this.send(reply, payload);
  }

  reportExhausted(m: NatsBusMessage): void {
    this.bus.exhausted(this.stream, this.durable, m);
  }

  // ---- internals ----

  /**
   * JetStream applies acks asynchronously, in the order they arrive. Acking the latest acked
   * message again, this time with a reply ("ack ack"), returns once the server has applied every
   * ack sent before it; acking an acked message changes nothing.
   */
  private async syncAcks(): Promise<void> {
    if (!this.settledSinceInfo || !this.bus.isConnected) return;
    this.settledSinceInfo = false;
    const timeout = this.o.requestTimeoutMs;
    try {
      if (this.lastAckReply) await this.bus.nc.request(this.lastAckReply, ACK, { timeout });
      else await withTimeout(this.bus.nc.flush(), timeout);
    } catch {
      // The info is then only as fresh as the server's state.
    }
  }

  private pull(batch: number, expiresMs: number): void {
    const id = ++this.nextRequest;
    const timer = setTimeout(() => {
      this.endRequest(id);
      this.wake();
    }, expiresMs + REQUEST_GRACE_MS);
    this.requests.set(id, { remaining: batch, timer });
    this.requested += batch;
    try {
      this.bus.nc.publish(
        `$JS.API.CONSUMER.MSG.NEXT.${this.stream}.${this.durable}`,
        encoder.encode(JSON.stringify({ batch, expires: nanos(expiresMs), max_bytes: this.pullMaxBytes() })),
        { reply: `${this.inbox}.${id}` },
      );
    } catch (err) {
      this.endRequest(id);
      this.failure = this.error('cannot send a pull request', err);
    }
  }

  private pullMaxBytes(): number {
    return Math.max(PULL_MAX_BYTES, (this.bus.nc.info?.max_payload ?? 0) + 64 * 1024);
  }

  private endRequest(id: number): void {
    const r = this.requests.get(id);
    if (!r) return;
    clearTimeout(r.timer);
    this.requested -= r.remaining;
    this.requests.delete(id);
  }

  private onMessage(err: NatsError | null, msg: Msg): void {
    if (err) {
      this.failure = this.error('subscription failed', err);
      this.wake();
      return;
    }
    if (!msg.reply) {
      // Status messages come on the reply subject of their pull request; messages on their own.
      this.onStatus(Number(msg.subject.slice(this.inbox.length + 1)), msg);
      return;
    }
    const m = NatsBusMessage.received(this, msg);
    if (!m) return;
    this.aliveAt = Date.now();
    this.bus.delivered(m.deliveryCount > 1);
    // The server fills waiting pull requests in the order they came.
    const oldest = this.requests.entries().next();
    if (!oldest.done) {
      const [id, r] = oldest.value;
      r.remaining--;
      this.requested--;
      if (r.remaining <= 0) this.endRequest(id);
    }
    if (this.o.ackPolicy !== 'none') {
      this.unsettled.delete(m.seq); // a redelivery: keep insertion order = arrival order
      this.unsettled.set(m.seq, m);
      if (this.unsettled.size > MAX_UNSETTLED) {
        const oldest = this.unsettled.keys().next();
        if (!oldest.done) this.unsettled.delete(oldest.value);
      }
    }
    if (this.stopped) {
      m.nak();
      return;
    }
    this.stash.push(m);
    this.wake();
  }

  /** Status messages end a pull request: 404 no messages, 408 expired, 409 refused. */
  private onStatus(id: number, msg: Msg): void {
    const code = msg.headers?.code ?? 0;
    if (code === 100) return; // idle heartbeat
    this.endRequest(id);
    const description = msg.headers?.description ?? '';
    if (code === 503) this.failure = this.error('the stream or the consumer does not exist');
    else if (
      code === 400 ||
      (code === 409 && !/leadership change|server shutdown|exceeds maxbytes/i.test(description))
    )
      this.failure = this.error(`the server refused a pull request: ${code} ${description}`);
    this.wake();
  }

  private onAdvisory(msg: Msg): void {
    let a: MaxDeliveriesAdvisory;
    try {
      a = JSON.parse(decoder.decode(msg.data)) as MaxDeliveriesAdvisory;
    } catch {
      return;
    }
    if (a.stream !== this.stream || a.consumer !== this.durable) return;
    const held = this.unsettled.get(a.stream_seq);
    // Terminated too, so that a late ack or nak of the copy still held here changes nothing.
    if (held) held.exhaust();
    else void this.bus.exhaustedElsewhere(a);
  }

  private take(max: number): BusMessage[] {
    if (this.stash.length <= max) {
      const all = this.stash;
      this.stash = [];
      return all;
    }
    return this.stash.splice(0, max);
  }

  private changed(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.waiters.add(done);
    });
  }

  private wake(): void {
    if (this.waiters.size === 0) return;
    for (const w of [...this.waiters]) w();
  }

  private error(what: string, cause?: unknown): PipelineError {
    return new PipelineError('BUS_UNAVAILABLE', `consumer ${this.stream}/${this.durable}: ${what}`, {
      cause,
    });
  }
}

/** A JetStream message as a `BusMessage`. Acks are sent without waiting for a reply. */
export class NatsBusMessage implements BusMessage {
  private done = false;
  private cachedHeaders: Record<string, string> | undefined;

  private constructor(
    private readonly owner: NatsConsumer | undefined,
    private readonly msg: Msg | undefined,
    readonly subject: string,
    readonly seq: number,
    readonly data: Uint8Array,
    readonly deliveryCount: number,
    readonly timestamp: number,
    headers?: Record<string, string>,
  ) {
    this.cachedHeaders = headers;
    this.done = owner === undefined;
  }

  /** Undefined when `msg` is not a JetStream delivery (its reply subject is not an ack subject). */
  static received(owner: NatsConsumer, msg: Msg): NatsBusMessage | undefined {
    // $JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time>.<pending>, or the
    // newer form with <domain>.<account hash> after ACK and a random token at the end.
    const t = msg.reply!.split('.');
    if (t[0] !== '$JS' || t[1] !== 'ACK') return undefined;
    const base = t.length === 9 ? 2 : t.length >= 11 ? 4 : -1;
    if (base < 0) return undefined;
    const nanos = t[base + 5]!;
    const timestamp = Number(nanos.length > 6 ? nanos.slice(0, -6) : 0);
    return new NatsBusMessage(
      owner,
      msg,
      msg.subject,
      Number(t[base + 3]),
      msg.data,
      Number(t[base + 2]),
      timestamp,
    );
  }

  /** A message read back from the stream, not delivered to a consumer: settling it does nothing. */
  static detached(
    subject: string,
    seq: number,
    data: Uint8Array,
    headers: Record<string, string>,
    deliveryCount: number,
    timestamp: number,
  ): NatsBusMessage {
    return new NatsBusMessage(undefined, undefined, subject, seq, data, deliveryCount, timestamp, headers);
  }

  get headers(): Record<string, string> {
    if (!this.cachedHeaders) {
      const h: Record<string, string> = {};
      const src = this.msg?.headers;
      if (src) for (const k of src.keys()) h[k] = src.get(k);
      this.cachedHeaders = h;
    }
    return this.cachedHeaders;
  }

  ack(): void {
    this.settle(ACK);
  }

  term(): void {
    this.settle(TERM);
  }

  nak(delayMs?: number): void {
    if (this.done || !this.owner) return;
    // The server would give up on it at once, but nats-server 2.9 then keeps it pending for
    // ever: it holds the ack floor back and a place under max_ack_pending. Terminate it instead,
    // and report it from here.
    if (this.owner.maxDeliver > 0 && this.deliveryCount >= this.owner.maxDeliver) {
      this.exhaust();
      return;
    }
    this.settle(
      delayMs !== undefined && delayMs > 0 ? encoder.encode(`-NAK {"delay":${nanos(delayMs)}}`) : NAK,
    );
  }

  working(): void {
    if (!this.done && this.owner && this.msg?.reply) this.owner.send(this.msg.reply, WORKING);
  }

  /** Terminates it and reports it to the exhausted handlers. */
  exhaust(): void {
    if (this.done || !this.owner) return;
    this.settle(TERM);
    this.owner.reportExhausted(this);
  }

  private settle(payload: Uint8Array): void {
    if (this.done || !this.owner || !this.msg?.reply) return;
    this.done = true;
    this.owner.settle(this, this.msg.reply, payload);
  }
}

export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
