/** Messages between the transformer pool and its worker processes (Node IPC, structured clone). */

export interface WorkerInit {
  type: 'init';
  /** Absolute path of the model folder (config.json, tokenizer.json, onnx/model*.onnx). */
  modelDir: string;
  quantized: boolean;
  /** onnxruntime intra-op threads; 0 keeps onnxruntime's default (one per core). */
  threads: number;
}

export interface WorkerClassify {
  type: 'classify';
  id: number;
  texts: string[];
}

export type WorkerRequest = WorkerInit | WorkerClassify;

export type WorkerReply =
  | { type: 'ready'; labels: string[] }
  | { type: 'failed'; message: string; notFound: boolean }
  /** probs[i][k]: probability of the model's label k for text i. */
  | { type: 'result'; id: number; probs: number[][] }
  | { type: 'result'; id: number; error: string }
  | { type: 'log'; level: 'log' | 'info' | 'warn' | 'error'; message: string };
