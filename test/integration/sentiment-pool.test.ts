import t from 'tap';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RulesSentiment } from '../../engines/sentiment/index.js';
import { BrandMatcher } from '../../engines/text/index.js';
import {
  SelectionPolicy,
  SentimentTiers,
  startEnrich,
  TokenBucket,
  TransformerPool,
  type PoolEvent,
  type SocialEvent,
} from '../../stream/index.js';
import { eventually } from '../helpers/app.js';
import { TINY_TRANSFORMER } from '../helpers/shared-data.js';

/**
 * The transformer tier's worker pool with the real @xenova/transformers and onnxruntime-node, on
 * the tiny random-weight fixture: loading from a local folder, batching, label mapping, and
 * recovery from workers that crash or hang. The fixture's labels mean nothing; what it tests is
 * the machinery.
 */
const MODEL = TINY_TRANSFORMER.path;
const skip = TINY_TRANSFORMER.skip;
const LABELS = ['negative', 'neutral', 'positive'];
const TEXTS = Array.from(
  { length: 120 },
  (_, i) => `post number ${i}: the coffee ${['is great', 'was cold', 'opens at 9'][i % 3]}`,
);

function event(i: number, text = TEXTS[i % TEXTS.length]!): SocialEvent {
  return {
    id: `p${i}`,
    source: 'test',
    ts: 1_700_000_000_000 + i,
    received_ts: 1_700_000_000_000 + i,
    author: { id: `a${i}`, followers: 10 },
    text,
    tags: { hashtags: [], mentions: [], urls: [] },
    engagement: { likes: 0, shares: 0, replies: 0 },
  };
}

t.test('the pool', { skip }, async (t) => {
  t.test('loads the model from its folder and maps its labels', async (t) => {
    const events: PoolEvent[] = [];
    const pool = await TransformerPool.start({ modelDir: MODEL, workers: 2, onEvent: (e) => events.push(e) });
    t.teardown(() => pool.close());
    t.equal(pool.model, 'tiny-random-roberta-sentiment/int8');
    t.equal(pool.pids().length, 2);
    const results = await Promise.all(TEXTS.map((text) => pool.classify(text)));
    for (const r of results) {
      t.ok(LABELS.includes(r.label));
      t.ok(r.score >= -1 && r.score <= 1);
      t.ok(r.confidence! >= 1 / 3 && r.confidence! <= 1);
    }
    t.same(new Set(results.map((r) => r.label)).size, 3, 'all three labels occur');
    const logs = events.filter((e) => e.type === 'worker.log');
    t.same(logs, [], 'no warnings (a wasm fall-back would show here)');
    const batches = events.flatMap((e) => (e.type === 'batch' ? [e.size] : []));
    t.ok(Math.max(...batches) > 1, `texts go out in batches: ${batches.join(',')}`);
    t.ok(Math.max(...batches) <= 16, 'no batch above the batch size');
  });

  t.test('a text scores the same alone as inside a padded batch (fp32)', async (t) => {
    const pool = await TransformerPool.start({ modelDir: MODEL, quantized: false });
    t.teardown(() => pool.close());
    t.equal(pool.model, 'tiny-random-roberta-sentiment/fp32');
    const alone = await pool.classify(TEXTS[5]!);
    const batch = await Promise.all(
      [TEXTS[5]!, 'a much longer text '.repeat(20), 'short', ...TEXTS.slice(0, 10)].map((x) =>
        pool.classify(x),
      ),
    );
    t.same(batch[0], alone);
  });

  t.test('bad input gets a defined result', async (t) => {
    const pool = await TransformerPool.start({ modelDir: MODEL });
    t.teardown(() => pool.close());
    for (const text of [
      '',
      '😀😀😀',
      'https://a.example/x',
      'x'.repeat(50_000),
      '\uD800 lone \uDC00',
      '\u0000\u0007\u001B[31m',
    ]) {
      const r = await pool.classify(text);
      t.ok(LABELS.includes(r.label), JSON.stringify(text).slice(0, 20));
    }
  });

  t.test('a missing model is refused clearly, and nothing is fetched', async (t) => {
    await t.rejects(TransformerPool.start({ modelDir: '/nonexistent/some-model' }), {
      code: 'MODEL_NOT_FOUND',
    });
    // A folder the pool accepts, but without the tokenizer config transformers.js asks for: with
    // remote models off, the worker reports the missing file instead of trying a hub.
    const dir = mkdtempSync(join(tmpdir(), 'pw-model-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const copy = join(dir, 'incomplete-model');
    cpSync(MODEL, copy, { recursive: true });
    rmSync(join(copy, 'tokenizer_config.json'));
    const err = await TransformerPool.start({ modelDir: copy }).catch((e: unknown) => e);
    t.match(err, { code: 'MODEL_NOT_FOUND', message: /allowRemoteModels=false|tokenizer_config\.json/ });
  });

  t.test(
    'a killed worker fails only its batch; the pool restarts it; events keep their fast score',
    async (t) => {
      const exits: PoolEvent[] = [];
      const pool = await TransformerPool.start({
        modelDir: MODEL,
        workers: 1,
        restartInitialMs: 50,
        onEvent: (e) => e.type === 'worker.exit' && exits.push(e),
      });
      t.teardown(() => pool.close());
      const tiers = new SentimentTiers({
        fast: new RulesSentiment(),
        languageCheck: false,
        transformer: {
          classifier: pool,
          policy: SelectionPolicy.parse('all'),
          budget: new TokenBucket(1e6),
          waitMs: 20_000,
        },
      });
      const matcher = new BrandMatcher([{ name: 'Acme' }]);
      const [firstPid] = pool.pids();
      const started = Array.from({ length: 100 }, (_, i) => startEnrich(event(i), matcher, tiers));
      t.ok(pool.stats().inFlight > 0, 'a batch is with the worker');
      process.kill(firstPid!, 'SIGKILL');

      const finals = await Promise.all(started.map(async (s) => (await s.refined) ?? s.event.sentiment));
      const kept = finals.filter((s) => s.tier === 'rules');
      const upgraded = finals.filter((s) => s.tier === 'transformer');
      t.ok(kept.length >= 1, `${kept.length} events lost their transformer answer in the crash`);
      kept.forEach((s, i) =>
        t.same(s, started[finals.indexOf(s)]!.event.sentiment, `kept its fast score ${i}`),
      );
      t.ok(upgraded.length >= 1, `${upgraded.length} events were scored by the restarted worker`);
      t.equal(kept.length + upgraded.length, 100, 'every event has a sentiment');
      t.match(exits[0], { type: 'worker.exit', pid: firstPid, signal: 'SIGKILL' });
      t.not(pool.pids()[0], firstPid, 'a new worker process');
      t.equal(pool.stats().restarts, 1);
      const after = tiers.scoreEvent(event(500), []);
      t.equal((await after.refined)?.tier, 'transformer', 'scoring goes on');
    },
  );

  t.test('a hung worker is killed after the batch timeout and replaced', async (t) => {
    const pool = await TransformerPool.start({
      modelDir: MODEL,
      workers: 1,
      batchTimeoutMs: 500,
      restartInitialMs: 50,
    });
    t.teardown(() => pool.close());
    const [pid] = pool.pids();
    process.kill(pid!, 'SIGSTOP');
    await t.rejects(pool.classify('are you there?'), { code: 'WORKER_TIMEOUT' });
    await eventually(
      async () => (pool.stats().ready === 1 && pool.pids()[0] !== pid ? true : undefined),
      30_000,
      'a new worker',
    );
    t.ok(LABELS.includes((await pool.classify('and now?')).label));
  });

  t.test('limits: a full queue, an expired deadline, a closed pool', async (t) => {
    const pool = await TransformerPool.start({ modelDir: MODEL, workers: 1, maxQueue: 5 });
    const all = TEXTS.slice(0, 40).map((x) =>
      pool.classify(x).then(
        () => 'ok',
        (e: { code: string }) => e.code,
      ),
    );
    const codes = await Promise.all(all);
    t.ok(codes.includes('QUEUE_FULL'), 'beyond the queue bound texts are refused at once');
    t.ok(codes.includes('ok'));
    await t.rejects(pool.classify('too late', Date.now() - 1), { code: 'EXPIRED' });
    const pending = pool.classify('never sent', Date.now() + 60_000).catch((e: unknown) => e);
    await pool.close();
    t.match(await pending, { code: 'POOL_CLOSED' }, 'what waited is refused');
    await t.rejects(pool.classify('after close'), { code: 'POOL_CLOSED' });
    t.same(pool.pids(), [], 'no worker left behind');
  });
});
