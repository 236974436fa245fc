import t from 'tap';
import { eventually, metricValue, ndjson, post, startTestApp } from '../helpers/app.js';
import { TINY_TRANSFORMER } from '../helpers/shared-data.js';

/**
 * Each sentiment tier in the running pipeline, chosen by configuration: events are scored, the
 * tier and model show in /metrics, and posts in other languages are counted as unsupported.
 */
const MODEL = TINY_TRANSFORMER.path;
const ENRICHED = 'pulsewatch_events_enriched_total';

async function send(url: string, lines: unknown[]): Promise<void> {
  const res = await fetch(`${url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body: ndjson(lines),
  });
  if (res.status !== 202) throw new Error(`ingest answered ${res.status}`);
}

for (const [tier, model] of [
  ['rules', 'rules-v2'],
  ['linear', 'linear-v1'],
] as const) {
  t.test(`--sentiment-model ${tier}`, async (t) => {
    const running = await startTestApp(['--sentiment-model', tier]);
    t.teardown(() => running.stop());
    await send(running.url, [
      post({ text: 'I love @northwindcoffee, best latte ever' }),
      post({ text: 'Northwind Coffee is the worst, cold and late again' }),
      post({ text: 'Northwind Coffee: el café está muy bueno y la tienda es bonita' }),
    ]);
    await eventually(
      async () => ((await metricValue(running, ENRICHED)) >= 3 ? true : undefined),
      20_000,
      'three enriched events',
    );
    t.equal(await metricValue(running, ENRICHED, { tier, model }), 2, `two events scored by ${model}`);
    t.equal(await metricValue(running, ENRICHED, { tier, label: 'positive' }), 1);
    t.equal(await metricValue(running, ENRICHED, { tier, label: 'negative' }), 1);
    t.equal(await metricValue(running, ENRICHED, { tier: 'none', label: 'unsupported' }), 1);
    t.equal(await metricValue(running, 'pulsewatch_sentiment_unsupported_total', { language: 'es' }), 1);
  });
}

t.test('--sentiment-model transformer', { skip: TINY_TRANSFORMER.skip }, async (t) => {
  const running = await startTestApp([
    '--sentiment-model',
    'transformer',
    '--sentiment-transformer-dir',
    MODEL,
    '--sentiment-transformer-select',
    'reach:1000',
  ]);
  t.teardown(() => running.stop());
  await send(running.url, [
    post({ text: 'Loving the new Northwind Coffee cold brew', author: { id: 'big', followers: 50_000 } }),
    post({ text: 'Northwind Coffee opens a new store', author: { id: 'small', followers: 10 } }),
  ]);
  await eventually(
    async () => ((await metricValue(running, ENRICHED)) >= 2 ? true : undefined),
    30_000,
    'two enriched events',
  );
  t.equal(
    await metricValue(running, ENRICHED, {
      tier: 'transformer',
      model: 'tiny-random-roberta-sentiment/int8',
    }),
    1,
    'the author with large reach got the transformer',
  );
  t.equal(await metricValue(running, ENRICHED, { tier: 'linear' }), 1, 'the other kept the fast tier');
  t.equal(
    await metricValue(running, 'pulsewatch_sentiment_transformer_total', {
      reason: 'reach',
      outcome: 'scored',
    }),
    1,
  );
  const text = await (await fetch(`${running.url}/metrics`)).text();
  t.match(text, /pulsewatch_events_enriched_total\{tier="transformer"/);
});
