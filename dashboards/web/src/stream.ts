// The WebSocket client: subscribes, and after a drop reconnects with exponential backoff and jitter,
// subscribes again and tells the page, which re-reads over REST what it missed.
import { API_KEY } from './api.js';
import type { StreamMessage } from './types.js';

export type Connection =
  | { state: 'connecting' }
  | { state: 'live' }
  | { state: 'reconnecting'; at: number } // the next attempt, ms since the epoch
  | { state: 'offline' };

export interface StreamOptions {
  /** Channels to subscribe to on every (re)connect. */
  channels: () => string[];
  onMessage: (msg: StreamMessage) => void;
  onConnection: (c: Connection) => void;
  /** After a reconnect, once subscribed again: read the gap. */
  onReconnect: () => void;
}

const BASE_MS = 500;
const CAP_MS = 30_000;
/**
 * A connection that stayed up this long was a success: the backoff starts over. One the server closes
 * sooner (too slow, overloaded) counts as a failure, so such a server is not asked twice a second.
 */
const STABLE_MS = 5_000;

/**
 * Delay before attempt `n` (0-based) after a drop: "equal jitter", half of min(cap, base·2ⁿ) fixed and
 * half random, so clients dropped together by a restart do not all come back in the same instant.
 */
export function backoffMs(n: number, random: () => number = Math.random): number {
  const ceiling = Math.min(CAP_MS, BASE_MS * 2 ** n);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export class StreamClient {
  private ws: WebSocket | undefined;
  private failures = 0;
  private opened = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly o: StreamOptions) {}

  start(): void {
    // the browser knows when the network comes back: try at once rather than wait out the backoff
    window.addEventListener('online', () => this.connectNow());
    window.addEventListener('offline', () => this.ws?.close());
    this.connect();
  }

  send(op: 'subscribe' | 'unsubscribe', channels: string[]): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ op, channels }));
  }

  private connectNow(): void {
    clearTimeout(this.timer);
    this.failures = 0;
    if (!this.ws) this.connect();
  }

  private connect(): void {
    this.timer = undefined;
    if (!navigator.onLine) return this.o.onConnection({ state: 'offline' });
    if (!this.opened) this.o.onConnection({ state: 'connecting' });
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const query = API_KEY ? `?api_key=${encodeURIComponent(API_KEY)}` : '';
    const ws = new WebSocket(`${proto}//${location.host}/v1/stream${query}`);
    this.ws = ws;
    let openedAt: number | undefined;
    ws.onopen = () => {
      openedAt = Date.now();
      this.send('subscribe', this.o.channels());
      this.o.onConnection({ state: 'live' });
      if (this.opened) this.o.onReconnect();
      this.opened = true;
    };
    ws.onmessage = (ev: MessageEvent<string>) => this.o.onMessage(JSON.parse(ev.data) as StreamMessage);
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      if (openedAt !== undefined && Date.now() - openedAt >= STABLE_MS) this.failures = 0;
      this.retryLater();
    };
  }

  private retryLater(): void {
    if (!navigator.onLine) return this.o.onConnection({ state: 'offline' });
    const delay = backoffMs(this.failures++);
    this.o.onConnection({ state: 'reconnecting', at: Date.now() + delay });
    this.timer = setTimeout(() => this.connect(), delay);
  }
}
