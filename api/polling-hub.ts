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
 * changed since the last one sent. A new listener starts from the value the others were last sent
 * (`current`); only a channel nobody watched yet is read for it, and such a read in flight is
 * shared, so a client that subscribes over and over costs one read per channel at a time (beside
 * the poll's own). A subclass says how a channel is read (`snapshot`).
 */
export abstract class PollingHub<P> {
  private readonly watchers = new Map<string, Set<PushListener<P>>>();
  /** Per watched channel, the last value its listeners were sent (or start from), and its fingerprint. */
  private readonly last = new Map<string, { text: string; value: P }>();
  /** Reads in flight, by channel: whoever asks meanwhile waits for the same one. */
  private readonly inFlight = new Map<string, Promise<P>>();
  private readonly fingerprint: (push: P) => string;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;

  constructor(private readonly options: PollingHubOptions<P>) {
    this.fingerprint = options.fingerprint ?? ((push) => JSON.stringify(push));
  }

  /** The channel's current value, read now from the store. */
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

  /**
   * The value a new listener of a watched channel starts from: what the channel's listeners were
   * last sent, so that the next poll sends every one of them the same change once. A channel not
   * read since it was first watched is read (the read shared with whoever asks meanwhile).
   */
  async current(channel: string): Promise<P> {
    const known = this.last.get(channel);
    if (known) return known.value;
    const value = await this.read(channel);
    if (this.watchers.has(channel) && !this.last.has(channel))
      this.last.set(channel, { text: this.fingerprint(value), value });
    return this.last.get(channel)?.value ?? value;
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
        if (!listeners || this.last.get(channel)?.text === text) continue;
        this.last.set(channel, { text, value: push });
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

  /** One first read of the channel at a time: a second caller joins the read in flight. */
  private read(channel: string): Promise<P> {
    let pending = this.inFlight.get(channel);
    if (!pending) {
      pending = this.snapshot(channel).finally(() => this.inFlight.delete(channel));
      this.inFlight.set(channel, pending);
    }
    return pending;
  }
}
