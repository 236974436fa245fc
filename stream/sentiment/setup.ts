import { RulesSentiment, type SentimentScorer } from '../../engines/sentiment/index.js';
import type { Instrumentation } from '../instrumentation.js';
import { TokenBucket } from './budget.js';
import { parseLabelMap } from './labels.js';
import { loadLinearSentiment } from './load.js';
import { TransformerPool } from './pool.js';
import { SelectionPolicy } from './selection.js';
import { SentimentTiers } from './tiers.js';

export interface SentimentSetup {
  /** `rules` or `linear`: that tier scores every event. `transformer`: linear for every event, and the transformer for the events `select` picks. */
  model: 'rules' | 'linear' | 'transformer';
  /** The linear tier's weights file. */
  linearWeights: string;
  languageCheck: boolean;
  transformer: {
    dir: string;
    quantized: boolean;
    select: string;
    budget: number;
    workers: number;
    threads: number;
    batchSize: number;
    waitMs: number;
    labels: string;
  };
  instrumentation: Instrumentation;
  /** Where the pool's worker messages and restarts are reported. */
  log: (level: 'info' | 'warn' | 'error', fields: Record<string, unknown>, message: string) => void;
}

export interface RunningSentiment {
  tiers: SentimentTiers;
  close(): Promise<void>;
}

/** Builds the configured tiers: loads the linear weights, and starts the transformer pool when asked. */
export async function startSentiment(s: SentimentSetup): Promise<RunningSentiment> {
  const fast: SentimentScorer =
    s.model === 'rules' ? new RulesSentiment() : await loadLinearSentiment(s.linearWeights);
  if (s.model !== 'transformer') {
    return {
      tiers: new SentimentTiers({ fast, languageCheck: s.languageCheck, instrumentation: s.instrumentation }),
      close: async () => {},
    };
  }
  const t = s.transformer;
  if (!t.dir) throw new RangeError('--sentiment-model transformer needs --sentiment-transformer-dir');
  const policy = SelectionPolicy.parse(t.select);
  const pool = await TransformerPool.start({
    modelDir: t.dir,
    quantized: t.quantized,
    workers: t.workers,
    threads: t.threads,
    batchSize: t.batchSize,
    maxQueue: Math.max(t.batchSize * t.workers * 4, Math.ceil((t.budget * t.waitMs) / 1000) * 2),
    labels: parseLabelMap(t.labels),
    onEvent: (e) => {
      switch (e.type) {
        case 'worker.ready':
          s.instrumentation.emit('sentiment.worker', { event: 'ready', pid: e.pid, ms: e.ms });
          s.log('info', { worker_pid: e.pid, ms: e.ms }, 'transformer worker ready');
          break;
        case 'worker.exit':
          if (e.expected) {
            s.log('info', { worker_pid: e.pid }, 'transformer worker stopped');
            break;
          }
          s.instrumentation.emit('sentiment.worker', { event: 'exit', pid: e.pid });
          s.log(
            'warn',
            { worker_pid: e.pid, code: e.code, signal: e.signal, lost: e.lost },
            'transformer worker exited; its batch keeps the fast scores; restarting',
          );
          break;
        case 'worker.log':
          s.log(
            e.level === 'error' || e.level === 'warn' ? 'warn' : 'info',
            { worker_pid: e.pid },
            e.message,
          );
          break;
        case 'batch':
          s.instrumentation.emit('sentiment.worker', { event: 'batch', size: e.size, ms: e.ms });
          break;
      }
    },
  });
  const tiers = new SentimentTiers({
    fast,
    languageCheck: s.languageCheck,
    instrumentation: s.instrumentation,
    transformer: { classifier: pool, policy, budget: new TokenBucket(t.budget), waitMs: t.waitMs },
  });
  return { tiers, close: () => pool.close() };
}
