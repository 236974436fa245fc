import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { SentimentLabel, SentimentResult } from '../../engines/sentiment/index.js';
import { backoffDelay } from '../retry.js';
import { SentimentError } from './errors.js';
import { mapModelLabels } from './labels.js';
import type { WorkerReply, WorkerRequest } from './protocol.js';

export interface TransformerPoolOptions {
  /** The model folder: config.json, tokenizer.json, tokenizer_config.json and onnx/model(_quantized).onnx. */
  modelDir: string;
  /** Use onnx/model_quantized.onnx (int8) rather than onnx/model.onnx. Default true. */
  quantized?: boolean;
  /** Worker processes. Default 1. */
  workers?: number;
  /** onnxruntime threads per worker; 0 for onnxruntime's default (one per core). Default 1. */
  threads?: number;
  /** Most texts per batch. Default 16. */
  batchSize?: number;
  /** How long the first text of a batch waits for more before a free worker takes it. Default 5 ms. */
  batchWaitMs?: number;
  /** Texts waiting for a worker beyond which new ones are refused (QUEUE_FULL). Default 1,000. */
  maxQueue?: number;
  /** A batch that takes longer than this kills its worker (WORKER_TIMEOUT). Default 30 s. */
  batchTimeoutMs?: number;
  /** Texts are cut to this many characters: the model reads at most a few hundred tokens anyway. Default 2,000. */
  maxTextChars?: number;
  /** Model label → our label, for models whose labels are not recognised (see mapModelLabels). */
  labels?: Record<string, SentimentLabel>;
  /** Back-off between restarts of a worker that keeps failing. Defaults 100 ms doubling to 30 s. */
  restartInitialMs?: number;
  restartMaxMs?: number;
  /** How long start() waits for the model to load. Default 120 s. */
  startTimeoutMs?: number;
  onEvent?: (event: PoolEvent) => void;
}

export type PoolEvent =
  | { type: 'worker.ready'; pid: number; ms: number }
  /** `expected`: the pool is closing; otherwise the worker crashed or was killed and is restarted. */
  | {
      type: 'worker.exit';
      pid: number;
      code: number | null;
      signal: string | null;
      lost: number;
      expected: boolean;
    }
  | { type: 'worker.log'; pid: number; level: string; message: string }
  | { type: 'batch'; size: number; ms: number };

/** Something that scores texts with the transformer tier; the pool, or a stand-in in tests. */
export interface TransformerClassifier {
  readonly model: string;
  /** Rejects with a SentimentError when the text cannot be scored by `deadline` (ms since the epoch) or at all. */
  classify(text: string, deadline?: number): Promise<SentimentResult>;
}

interface Pending {
  text: string;
  at: number;
  deadline: number;
  resolve: (r: SentimentResult) => void;
  reject: (err: SentimentError) => void;
}

interface Slot {
  child: ChildProcess | undefined;
  ready: boolean;
  batch: { id: number; items: Pending[]; started: number; timer: NodeJS.Timeout } | undefined;
  failures: number;
  restartTimer: NodeJS.Timeout | undefined;
}

const WORKER_FILE = import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js';
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * A pool of worker processes that run a transformer text classifier from a local folder, off the
 * event loop that scores every event. Texts queue (bounded), go out in batches, and come back as
 * results in our three labels. A worker that crashes or hangs fails only its own batch and is
 * started again with back-off; the pool keeps serving with the workers it has.
 */
export class TransformerPool implements TransformerClassifier {
  readonly model: string;
  private readonly o: Required<Omit<TransformerPoolOptions, 'labels' | 'onEvent'>> &
    Pick<TransformerPoolOptions, 'labels' | 'onEvent'>;
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private labelMap: SentimentLabel[] = [];
  private nextId = 1;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private restarts = 0;

  private constructor(options: TransformerPoolOptions) {
    this.o = {
      quantized: true,
      workers: 1,
      threads: 1,
      batchSize: 16,
      batchWaitMs: 5,
      maxQueue: 1000,
      batchTimeoutMs: 30_000,
      maxTextChars: 2000,
      restartInitialMs: 100,
      restartMaxMs: 30_000,
      startTimeoutMs: 120_000,
      ...options,
      modelDir: resolve(options.modelDir),
    };
    this.model = `${basename(this.o.modelDir)}/${this.o.quantized ? 'int8' : 'fp32'}`;
  }

  /** Starts the workers and resolves once every one has loaded the model. */
  static async start(options: TransformerPoolOptions): Promise<TransformerPool> {
    const pool = new TransformerPool(options);
    const dir = pool.o.modelDir;
    const onnx = join(dir, 'onnx', pool.o.quantized ? 'model_quantized.onnx' : 'model.onnx');
    for (const file of [join(dir, 'config.json'), join(dir, 'tokenizer.json'), onnx]) {
      if (!existsSync(file))
        throw new SentimentError('MODEL_NOT_FOUND', `transformer model: ${file} does not exist`);
    }
    try {
      await Promise.all(
        Array.from({ length: Math.max(1, pool.o.workers) }, () => pool.spawn(pool.addSlot())),
      );
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  classify(text: string, deadline = Number.POSITIVE_INFINITY): Promise<SentimentResult> {
    if (this.closed) return Promise.reject(new SentimentError('POOL_CLOSED'));
    if (this.queue.length >= this.o.maxQueue) return Promise.reject(new SentimentError('QUEUE_FULL'));
    return new Promise((resolve, reject) => {
      this.queue.push({ text: this.prepare(text), at: Date.now(), deadline, resolve, reject });
      this.dispatch();
    });
  }

  /** Texts waiting, texts being scored, workers ready, and restarts so far. */
  stats(): { queued: number; inFlight: number; ready: number; restarts: number } {
    return {
      queued: this.queue.length,
      inFlight: this.slots.reduce((n, s) => n + (s.batch?.items.length ?? 0), 0),
      ready: this.slots.filter((s) => s.ready).length,
      restarts: this.restarts,
    };
  }

  /** The process ids of the live workers (for operators and tests). */
  pids(): number[] {
    return this.slots.flatMap((s) =>
      s.child?.pid !== undefined && s.child.exitCode === null ? [s.child.pid] : [],
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const p of this.queue.splice(0)) p.reject(new SentimentError('POOL_CLOSED'));
    await Promise.all(
      this.slots.map(async (slot) => {
        if (slot.restartTimer) clearTimeout(slot.restartTimer);
        this.failBatch(slot, 'POOL_CLOSED');
        const child = slot.child;
        if (!child || child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        // A worker exits when its IPC channel closes; a stuck one is killed.
        if (child.connected) child.disconnect();
        const killer = setTimeout(() => child.kill('SIGKILL'), 2000);
        await exited;
        clearTimeout(killer);
      }),
    );
  }

  private addSlot(): Slot {
    const slot: Slot = {
      child: undefined,
      ready: false,
      batch: undefined,
      failures: 0,
      restartTimer: undefined,
    };
    this.slots.push(slot);
    return slot;
  }

  /** Starts a worker in `slot`; resolves when its model is loaded, rejects if it fails to load. */
  private spawn(slot: Slot): Promise<void> {
    const started = Date.now();
    const child = fork(new URL(WORKER_FILE, import.meta.url), [], {
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    slot.child = child;
    slot.ready = false;
    return new Promise<void>((resolveStart, rejectStart) => {
      let settled = false;
      const settle = (err?: SentimentError) => {
        if (settled) return;
        settled = true;
        clearTimeout(startTimer);
        if (err) rejectStart(err);
        else resolveStart();
      };
      const startTimer = setTimeout(() => {
        settle(
          new SentimentError('MODEL_INVALID', `the model did not load within ${this.o.startTimeoutMs} ms`),
        );
        child.kill('SIGKILL');
      }, this.o.startTimeoutMs);

      child.on('message', (m: WorkerReply) => {
        if (m.type === 'ready') {
          try {
            this.labelMap = mapModelLabels(m.labels, this.o.labels);
          } catch (err) {
            settle(err as SentimentError);
            child.kill('SIGKILL');
            return;
          }
          slot.ready = true;
          this.o.onEvent?.({ type: 'worker.ready', pid: child.pid ?? 0, ms: Date.now() - started });
          settle();
          this.dispatch();
        } else if (m.type === 'failed') {
          settle(new SentimentError(m.notFound ? 'MODEL_NOT_FOUND' : 'MODEL_INVALID', m.message));
        } else if (m.type === 'result') {
          this.finishBatch(slot, m);
        } else if (m.type === 'log') {
          this.o.onEvent?.({ type: 'worker.log', pid: child.pid ?? 0, level: m.level, message: m.message });
        }
      });
      child.on('error', (err) => {
        settle(new SentimentError('MODEL_INVALID', `worker: ${err.message}`, { cause: err }));
      });
      child.once('exit', (code, signal) => {
        const lost = slot.batch?.items.length ?? 0;
        this.failBatch(slot, 'WORKER_CRASHED');
        slot.ready = false;
        slot.child = undefined;
        this.o.onEvent?.({
          type: 'worker.exit',
          pid: child.pid ?? 0,
          code,
          signal,
          lost,
          expected: this.closed,
        });
        settle(
          new SentimentError(
            'MODEL_INVALID',
            `the worker exited (code ${code}, signal ${signal}) while loading`,
          ),
        );
        if (!this.closed) this.scheduleRestart(slot);
      });
      child.send({
        type: 'init',
        modelDir: this.o.modelDir,
        quantized: this.o.quantized,
        threads: this.o.threads,
      } satisfies WorkerRequest);
    });
  }

  private scheduleRestart(slot: Slot): void {
    const delay = backoffDelay(slot.failures, this.o.restartInitialMs, this.o.restartMaxMs, Math.random);
    slot.failures++;
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined;
      if (this.closed) return;
      this.restarts++;
      // A worker that fails to load exits, and its exit schedules the next try.
      this.spawn(slot).then(
        () => {
          slot.failures = 0;
        },
        () => undefined,
      );
    }, delay);
    slot.restartTimer.unref();
  }

  private prepare(text: string): string {
    let s = typeof text === 'string' ? text : '';
    if (s.length > this.o.maxTextChars) {
      const cut = this.o.maxTextChars;
      const high = s.charCodeAt(cut - 1);
      s = s.slice(0, high >= 0xd800 && high <= 0xdbff ? cut - 1 : cut);
    }
    return s.replace(LONE_SURROGATE, '\uFFFD');
  }

  private dispatch(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const now = Date.now();
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const p = this.queue[i]!;
      if (p.deadline <= now) {
        this.queue.splice(i, 1);
        p.reject(new SentimentError('EXPIRED'));
      }
    }
    while (this.queue.length > 0) {
      const slot = this.slots.find((s) => s.ready && !s.batch && s.child?.connected);
      if (!slot) return;
      const oldest = now - this.queue[0]!.at;
      if (this.queue.length < this.o.batchSize && oldest < this.o.batchWaitMs) {
        this.timer = setTimeout(() => this.dispatch(), this.o.batchWaitMs - oldest);
        return;
      }
      const items = this.queue.splice(0, this.o.batchSize);
      const id = this.nextId++;
      const timer = setTimeout(() => {
        this.failBatch(slot, 'WORKER_TIMEOUT');
        slot.child?.kill('SIGKILL');
      }, this.o.batchTimeoutMs);
      slot.batch = { id, items, started: Date.now(), timer };
      slot.child!.send({ type: 'classify', id, texts: items.map((p) => p.text) } satisfies WorkerRequest);
    }
  }

  private finishBatch(slot: Slot, m: Extract<WorkerReply, { type: 'result' }>): void {
    const batch = slot.batch;
    if (!batch || batch.id !== m.id) return;
    clearTimeout(batch.timer);
    slot.batch = undefined;
    if ('error' in m) {
      for (const p of batch.items) p.reject(new SentimentError('WORKER_ERROR', m.error));
    } else {
      batch.items.forEach((p, i) => p.resolve(this.toResult(m.probs[i] ?? [])));
      this.o.onEvent?.({ type: 'batch', size: batch.items.length, ms: Date.now() - batch.started });
    }
    this.dispatch();
  }

  private failBatch(slot: Slot, code: 'WORKER_CRASHED' | 'WORKER_TIMEOUT' | 'POOL_CLOSED'): void {
    const batch = slot.batch;
    if (!batch) return;
    clearTimeout(batch.timer);
    slot.batch = undefined;
    for (const p of batch.items) p.reject(new SentimentError(code));
  }

  /** Model probabilities → our labels: probabilities of labels that map to the same one add up. */
  private toResult(probs: number[]): SentimentResult {
    const p = [0, 0, 0];
    probs.forEach((value, k) => {
      const label = this.labelMap[k];
      if (label) p[label === 'negative' ? 0 : label === 'neutral' ? 1 : 2]! += value;
    });
    const [neg, neu, pos] = p as [number, number, number];
    const label: SentimentLabel =
      neg > neu && neg >= pos ? 'negative' : pos > neu && pos > neg ? 'positive' : 'neutral';
    return { label, score: round4(pos - neg), confidence: round4(Math.max(neg, neu, pos)) };
  }
}

function round4(x: number): number {
  const r = Math.round(x * 10_000) / 10_000;
  return r === 0 ? 0 : r;
}
