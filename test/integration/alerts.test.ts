import t from 'tap';
import WebSocket from 'ws';
import { eventually, ndjson, startTestApp } from '../helpers/app.js';

const MIN = 60_000;

/**
 * A spike end to end in the embedded default: posts over HTTP → stage 2's spike windows → the
 * alerts stage → the alerts table (GET /v1/alerts) and the WebSocket channel `alerts`.
 */
t.test(
  'a negative spike in posted traffic opens an alert, stored and pushed live, with its context',
  async (t) => {
    const running = await startTestApp(['--partitions', '2']);
    t.teardown(() => running.stop());
    const { app } = running;

    const ws = new WebSocket(running.url.replace(/^http/, 'ws') + '/v1/stream');
    const pushed: { type: string; channel?: string; alert?: { id: string; brand: string; kind: string } }[] =
      [];
    ws.on('message', (data) => pushed.push(JSON.parse(String(data)) as (typeof pushed)[number]));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    t.teardown(() => ws.close());
    ws.send(JSON.stringify({ op: 'subscribe', channels: ['alerts:bluebird-roasters'] }));
    await eventually(async () => (pushed.some((m) => m.type === 'snapshot') ? true : undefined));

    // Two hours of quiet history, then three minutes in which negative posts jump tenfold, then quiet.
    const start = Math.floor(Date.now() / MIN) * MIN - 3 * 60 * MIN;
    const spikeAt = start + 120 * MIN;
    let n = 0;
    const lines: unknown[] = [];
    for (let m = 0; m < 130; m++) {
      const t0 = start + m * MIN;
      const spiking = t0 >= spikeAt && t0 < spikeAt + 3 * MIN;
      const posts = spiking ? 60 : 20;
      for (let i = 0; i < posts; i++) {
        const negative = spiking ? i < 50 : i % 10 === 0;
        lines.push({
          id: `a-${n++}`,
          source: 'test',
          ts: t0 + Math.floor((i * MIN) / posts),
          author: { id: `u${n % 50}`, followers: 10 },
          text: negative
            ? spiking
              ? 'Bluebird Roasters app outage, my order vanished, terrible #bluebirddown'
              : 'Bluebird Roasters coffee was awful today'
            : 'Bluebird Roasters latte is great, lovely morning',
          engagement: { likes: 1, shares: 0, replies: 0 },
        });
      }
    }
    for (let i = 0; i < lines.length; i += 1000) {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/events',
        headers: { 'content-type': 'application/x-ndjson' },
        body: ndjson(lines.slice(i, i + 1000)),
      });
      t.equal(res.statusCode, 202);
    }

    const alerts = await eventually(
      async () => {
        const body = (await app.inject({ url: '/v1/alerts?brand=bluebird-roasters' })).json() as {
          alerts: { id: string; kind: string; opened_at: number; top_terms: string[]; samples: unknown[] }[];
        };
        return body.alerts.some((a) => a.kind !== 'volume' || a.opened_at >= spikeAt)
          ? body.alerts
          : undefined;
      },
      30_000,
      'an alert for the spike',
    );
    const negative = alerts.find((a) => a.kind === 'negative_count' || a.kind === 'negative_share')!;
    t.ok(negative, 'a negative alert');
    t.ok(
      negative.opened_at >= spikeAt - MIN && negative.opened_at <= spikeAt + 2 * MIN,
      'opened at the spike',
    );
    t.ok(negative.id.includes(String(negative.opened_at)), 'the id names the opening window');
    t.ok(
      negative.top_terms.includes('outage') || negative.top_terms.includes('#bluebirddown'),
      'the spike’s words',
    );
    t.ok(negative.samples.length > 0, 'sample posts');
    await eventually(async () =>
      pushed.some((m) => m.type === 'alert' && m.alert?.id === negative.id) ? true : undefined,
    );
    t.ok(
      pushed.filter((m) => m.type === 'alert').every((m) => m.channel === 'alerts:bluebird-roasters'),
      'pushed on the subscribed channel',
    );
    const filtered = (await app.inject({ url: '/v1/alerts?brand=northwind-coffee' })).json() as {
      alerts: unknown[];
    };
    t.same(filtered.alerts, [], 'another brand: none');
    const bad = await app.inject({ url: '/v1/alerts?brand=nobody' });
    t.equal(bad.statusCode, 404);
  },
);
