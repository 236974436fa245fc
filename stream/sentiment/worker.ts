/**
 * A transformer worker process: loads one text-classification model from a local folder with
 * @xenova/transformers and scores batches sent by the pool over IPC. It never reaches the network:
 * remote models are off, and the model is looked up under its parent folder only.
 *
 * A child process, not a worker thread: onnxruntime-node 1.14 cannot be loaded again in a new
 * thread once a thread that loaded it has exited (`Module did not self-register`, or heap
 * corruption when the main thread holds it), so a crashed thread could never be replaced.
 */
import { createRequire } from 'node:module';
import { basename, dirname } from 'node:path';
import type { WorkerInit, WorkerReply, WorkerRequest } from './protocol.js';

type Classifier = (
  texts: string[],
  options: { topk: number },
) => Promise<{ label: string; score: number }[][]>;

function send(message: WorkerReply): void {
  if (process.connected) process.send?.(message);
}

// transformers.js reports problems on the console (for example a fall-back to the wasm backend);
// they go to the pool, which logs them with the worker's pid.
for (const level of ['log', 'info', 'warn', 'error'] as const) {
  console[level] = (...args: unknown[]) => send({ type: 'log', level, message: args.map(String).join(' ') });
}

let classify: Classifier | undefined;
let labels: string[] = [];

async function load(init: WorkerInit): Promise<void> {
  const transformers = await import('@xenova/transformers');
  const { env, pipeline } = transformers;
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.useBrowserCache = false;
  env.localModelPath = dirname(init.modelDir) + '/';
  if (init.threads > 0) limitThreads(init.threads);
  const pipe = await pipeline('text-classification', basename(init.modelDir), { quantized: init.quantized });
  const id2label = (pipe.model.config as { id2label?: Record<string, string> }).id2label ?? {};
  labels = Object.keys(id2label)
    .map(Number)
    .sort((a, b) => a - b)
    .map((k) => id2label[k] ?? String(k));
  classify = pipe as unknown as Classifier;
}

/**
 * transformers.js 2.x passes no session options, so onnxruntime would use a thread per core in
 * every worker; the pool's size is what should decide how many cores the transformer tier uses.
 */
function limitThreads(threads: number): void {
  const require = createRequire(createRequire(import.meta.url).resolve('@xenova/transformers'));
  const ort = require('onnxruntime-node') as {
    InferenceSession: { create: (...args: unknown[]) => Promise<unknown> };
  };
  const create = ort.InferenceSession.create.bind(ort.InferenceSession);
  ort.InferenceSession.create = (model: unknown, options?: unknown) =>
    create(model, { ...(options as object), intraOpNumThreads: threads, interOpNumThreads: 1 });
}

process.on('message', (message: WorkerRequest) => {
  if (message.type === 'init') {
    load(message).then(
      () => send({ type: 'ready', labels }),
      (err: unknown) => {
        const text = err instanceof Error ? err.message : String(err);
        send({ type: 'failed', message: text, notFound: /not found|ENOENT|no such file/i.test(text) });
        setImmediate(() => process.exit(1));
      },
    );
    return;
  }
  const { id, texts } = message;
  if (!classify) {
    send({ type: 'result', id, error: 'the model is not loaded' });
    return;
  }
  classify(texts, { topk: labels.length }).then(
    (out) => {
      const probs = out.map((scores) => labels.map((l) => scores.find((s) => s.label === l)?.score ?? 0));
      send({ type: 'result', id, probs });
    },
    (err: unknown) => send({ type: 'result', id, error: err instanceof Error ? err.message : String(err) }),
  );
});

// The pool is gone (it closed, or its process died): nothing left to do.
process.on('disconnect', () => process.exit(0));
