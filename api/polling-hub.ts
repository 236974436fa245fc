export type PushListener<P> = (channel: string, push: P) => void;

export interface PollingHubOptions<P> {
  /** Time between two polls, ms. The timer runs only while some channel is watched. */
  intervalMs: number;
  /**
   * What a push is compared by to tell "changed since last sent": two pushes with the same text are
   * the same. Default their JSON.
   */
  fingerprint?: (push: P) => string;
  /** Called with a channel's read error; that channel waits for the next poll, the others go on. */
  onError?: (err: unknown) => void;
}

/**
 * Live channels whose values live in a store that changes under us (other replicas, the stream
 * workers), so they are read again every `intervalMs` instead of being pushed to us: one read per
 * watched channel and poll, whatever the number of listeners, and a push only when the value
 * changed since the last one sent. A subclass says how a channel is read (`snapshot`).
 */
export abstract class PollingHub<P> {
  private readonly watchers = new Map<string, Set<PushListener<P>>>();
  /** Per watched channel, the fingerprint of the last value its listeners were sent. */
  private readonly last = new Map<string, string>();
  private readonly fingerprint: (push: P) => string;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;

  constructor(private readonly options: PollingHubOptions<P>) {
    this.fingerprint = options.fingerprint ?? ((push) => JSON.stringify(push));
  }

  /** The channel's current value, read now. */
  abstract snapshot(channel: string): Promise<P>;

  /** Pushes the channel's changes to `listener` until the returned function is called. */
  watch(channel: string, listener: PushListener<P>): () => void {
    let set = this.watchers.get(channel);
    if (!set) this.watchers.set(channel, (set = new Set()));
    set.add(listener);
    this.timer ??= setInterval(() => void this.poll(), this.options.intervalMs);
    return () => {
      const s = this.watchers.get(channel);
      s?.delete(listener);
      if (s && s.size === 0) {
        this.watchers.delete(channel);
        this.last.delete(channel);
      }
      if (this.watchers.size === 0) this.stop();
    };
  }

  /** Remembers what a listener was sent first, so the next poll pushes only a change. */
  sent(channel: string, push: P): void {
    if (this.watchers.has(channel) && !this.last.has(channel)) this.last.set(channel, this.fingerprint(push));
  }

  /** Reads every watched channel once and pushes what changed (the timer calls it every interval). */
  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      for (const channel of [...this.watchers.keys()]) {
        let push: P;
        try {
          push = await this.snapshot(channel);
        } catch (err) {
          this.options.onError?.(err);
          continue;
        }
        // the listeners as they are now: the last of them may have left during the read
        const listeners = this.watchers.get(channel);
        const text = this.fingerprint(push);
        if (!listeners || this.last.get(channel) === text) continue;
        this.last.set(channel, text);
        for (const l of listeners) l(channel, push);
      }
    } finally {
      this.polling = false;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
