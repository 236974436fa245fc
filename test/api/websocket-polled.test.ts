import t from 'tap';
import WebSocket from 'ws';
import { BrandDirectory } from '../../api/brands.js';
import type { CampaignHub } from '../../api/campaign-hub.js';
import { LiveHub } from '../../api/live-hub.js';
import { Metrics } from '../../api/plugins/metrics.js';
import { PollingHub } from '../../api/polling-hub.js';
import { MemoryBus } from '../../stream/index.js';
import { websocketServer } from '../helpers/ws-server.js';

/**
 * A polled channel's push (campaigns, analytics) is encoded once for all of its watchers: the
 * value's `stats` is a getter that counts how often it is read, and the hub's fingerprint does not
 * read it, so every read is one encoding.
 */

interface Push {
  version: number;
  stats: number;
}

class CountingHub extends PollingHub<Push> {
  version = 1;
  reads = 0;

  constructor() {
    super({ intervalMs: 10, fingerprint: (p) => String(p.version) });
  }

  async snapshot(): Promise<Push> {
    const version = this.version;
    const count = () => this.reads++;
    return Object.defineProperty({ version } as Push, 'stats', {
      enumerable: true,
      get() {
        count();
        return version * 10;
      },
    });
  }
}

t.test('one encoding of a polled push for all of its watchers', async (t) => {
  const hub = new CountingHub();
  t.teardown(() => hub.stop());
  const { url } = await websocketServer(t, {
    hub: new LiveHub({ bus: new MemoryBus(), brands: new BrandDirectory([{ name: 'Acme' }]) }),
    campaigns: hub as unknown as CampaignHub,
    metrics: new Metrics({ defaultMetrics: false }),
    flushIntervalMs: 10,
    maxBufferedBytes: 1024 * 1024,
  });

  const CLIENTS = 5;
  const clients = await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      const ws = new WebSocket(url);
      t.teardown(() => ws.terminate());
      const got: Record<string, unknown>[] = [];
      const waiters: (() => void)[] = [];
      ws.on('message', (d) => {
        got.push(JSON.parse(String(d)) as Record<string, unknown>);
        for (const w of waiters.splice(0)) w();
      });
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      const until = async (stats: number) => {
        while (!got.some((m) => m.type === 'campaign' && m.stats === stats))
          await new Promise<void>((r) => waiters.push(r));
      };
      ws.send(JSON.stringify({ op: 'subscribe', channels: ['campaign:spring'] }));
      return { until };
    }),
  );
  // A subscriber's first value is its own read (or the first poll's push, if that came first).
  await Promise.all(clients.map((c) => c.until(10)));
  hub.reads = 0;
  hub.version = 2;
  await Promise.all(clients.map((c) => c.until(20)));
  t.equal(hub.reads, 1, `the change reached ${CLIENTS} watchers through one encoding`);
});
