import type { FastifyInstance } from 'fastify';
import { ndjson } from './app.js';

const MIN = 60_000;

/**
 * Two hours of quiet posts about Bluebird Roasters (20 a minute, one in ten negative), then three
 * minutes in which the negative posts jump tenfold with words of their own, then `quietAfter`
 * quiet minutes (10: the alert resolves; 1: it is still open): a spike the detector must find, in
 * event time ending about now.
 */
export function spikeTraffic(now = Date.now(), quietAfter = 10): { lines: unknown[]; spikeAt: number } {
  const start = Math.floor(now / MIN) * MIN - (125 + quietAfter) * MIN;
  const spikeAt = start + 120 * MIN;
  let n = 0;
  const lines: unknown[] = [];
  for (let m = 0; m < 123 + quietAfter; m++) {
    const t0 = start + m * MIN;
    const spiking = t0 >= spikeAt && t0 < spikeAt + 3 * MIN;
    const posts = spiking ? 60 : 20;
    for (let i = 0; i < posts; i++) {
      const negative = spiking ? i < 50 : i % 10 === 0;
      lines.push({
        id: `spike-${now}-${n++}`,
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
  return { lines, spikeAt };
}

/**
 * Posts the lines through HTTP ingest in requests of 1,000, with `key` (scope ingest) when the app
 * has API keys; throws unless each is accepted.
 */
export async function postLines(app: FastifyInstance, lines: unknown[], key?: string): Promise<void> {
  for (let i = 0; i < lines.length; i += 1000) {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { 'content-type': 'application/x-ndjson', ...(key && { authorization: `Bearer ${key}` }) },
      body: ndjson(lines.slice(i, i + 1000)),
    });
    if (res.statusCode !== 202) throw new Error(`ingest answered ${res.statusCode}: ${res.body}`);
  }
}
