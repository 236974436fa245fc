import t from 'tap';
import WebSocket from 'ws';
import { eventually, startTestApp } from '../helpers/app.js';
import { postLines, spikeTraffic } from '../helpers/spike-traffic.js';

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

    const { lines, spikeAt } = spikeTraffic();
    await postLines(app, lines);

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
