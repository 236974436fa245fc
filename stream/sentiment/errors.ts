/** Codes of the sentiment runtime's errors. None reaches a user: each ends in a fast-tier score and a metric. */
export const SentimentErrorCodes = {
  MODEL_NOT_FOUND: { retryable: false, message: 'The model file or folder does not exist' },
  MODEL_INVALID: { retryable: false, message: 'The model could not be read or loaded' },
  MODEL_LABELS: { retryable: false, message: 'The model has labels that map to no sentiment label' },
  WORKER_CRASHED: { retryable: true, message: 'A transformer worker exited while scoring' },
  WORKER_TIMEOUT: { retryable: true, message: 'A transformer worker took too long and was restarted' },
  WORKER_ERROR: { retryable: true, message: 'A transformer worker failed to score a batch' },
  QUEUE_FULL: { retryable: true, message: 'The transformer queue is full' },
  EXPIRED: { retryable: true, message: 'The text waited past its deadline before a worker was free' },
  POOL_CLOSED: { retryable: false, message: 'The transformer pool is closed' },
} as const;

export type SentimentErrorCode = keyof typeof SentimentErrorCodes;

export class SentimentError extends Error {
  readonly code: SentimentErrorCode;
  readonly retryable: boolean;

  constructor(code: SentimentErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? SentimentErrorCodes[code].message, options);
    this.name = 'SentimentError';
    this.code = code;
    this.retryable = SentimentErrorCodes[code].retryable;
  }
}
