/**
 * The one catalogue of error codes. Every error a user can see (an HTTP reply, a WebSocket
 * message, a dead-letter record) carries one of these codes; each is listed in the README.
 */
export const ErrorCodes = {
  BAD_REQUEST: { status: 400, retryable: false, message: 'The request is malformed' },
  INVALID_QUERY: { status: 400, retryable: false, message: 'A query parameter is missing or invalid' },
  INVALID_WINDOW: { status: 400, retryable: false, message: 'Unknown window size' },
  INVALID_RANGE: { status: 400, retryable: false, message: 'The time range is invalid or too large' },
  UNKNOWN_BRAND: { status: 404, retryable: false, message: 'No such brand is configured' },
  NOT_FOUND: { status: 404, retryable: false, message: 'No such route' },
  BODY_TOO_LARGE: { status: 413, retryable: false, message: 'The request body is over the limit' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, retryable: false, message: 'Unsupported Content-Type' },
  UNAUTHORIZED: { status: 401, retryable: false, message: 'A valid API key is required' },
  FORBIDDEN: { status: 403, retryable: false, message: 'The API key lacks the scope this route needs' },
  CROSS_ORIGIN: {
    status: 403,
    retryable: false,
    message: 'A request from the web page of another origin (the API serves its own page only)',
  },
  UNSUPPORTED_CONTENT_ENCODING: {
    status: 415,
    retryable: false,
    message: 'Unsupported Content-Encoding; send identity, gzip or deflate',
  },
  BATCH_TOO_LARGE: { status: 413, retryable: false, message: 'The request has more events than the limit' },
  RATE_LIMITED: {
    status: 429,
    retryable: true,
    message: 'Over the ingest rate limit; retry after Retry-After',
  },
  BUS_UNAVAILABLE: { status: 503, retryable: true, message: 'The message bus is unavailable; retry later' },
  NOT_READY: { status: 503, retryable: true, message: 'The service is starting or stopping' },
  STREAM_FULL: { status: 503, retryable: true, message: 'The stream is full; retry later' },
  INVALID_MESSAGE: {
    status: 400,
    retryable: false,
    message: 'The WebSocket message is not valid JSON or lacks an op',
  },
  UNKNOWN_OP: { status: 400, retryable: false, message: 'Unknown WebSocket op' },
  UNKNOWN_CHANNEL: { status: 400, retryable: false, message: 'Unknown WebSocket channel' },
  INVALID_BRAND: { status: 400, retryable: false, message: 'A brand in the request is not configured' },
  INVALID_TARGET: {
    status: 400,
    retryable: false,
    message: 'The delivery target is invalid (webhook URL, secret or e-mail address)',
  },
  SUBSCRIPTION_LIMIT: {
    status: 409,
    retryable: false,
    message: 'As many alert subscriptions exist as --alert-max-subscriptions allows; delete one first',
  },
  UNKNOWN_SUBSCRIPTION: { status: 404, retryable: false, message: 'No such alert subscription' },
  UNKNOWN_ALERT: { status: 404, retryable: false, message: 'No such alert' },
  INVALID_CAMPAIGN: {
    status: 400,
    retryable: false,
    message: 'The campaign definition is invalid (arms, policy, options, rewards or costs)',
  },
  UNKNOWN_CAMPAIGN: { status: 404, retryable: false, message: 'No such campaign' },
  CAMPAIGN_EXISTS: {
    status: 409,
    retryable: false,
    message: 'A campaign with this id exists; PUT updates it',
  },
  INVALID_CONTEXT: {
    status: 400,
    retryable: false,
    message: 'The decision context must be an object of strings, numbers and booleans',
  },
  UNKNOWN_DECISION: { status: 404, retryable: false, message: 'No such decision in this campaign' },
  DECISION_EXPIRED: {
    status: 410,
    retryable: false,
    message: 'The decision no longer takes rewards (its default reward, if any, was applied)',
  },
  REWARD_OUT_OF_RANGE: {
    status: 400,
    retryable: false,
    message: 'The reward value is out of range (binary: 0 to 1; continuous: -1e15 to 1e15)',
  },
  INTERNAL: { status: 500, retryable: true, message: 'Internal error' },
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

/** Why a single event was refused; used in ingest replies, dead letters and metrics labels. */
export const RejectReasons = {
  invalid_json: 'The line is not valid JSON',
  invalid_utf8: 'The line is not valid UTF-8',
  schema: 'The event does not match the schema',
  text_too_long: 'The text is longer than the limit',
  line_too_long: 'The line is longer than the limit',
  future_timestamp: 'The event time is too far ahead of the server clock',
  late_event: 'The event arrived after its window was final',
  undecodable: 'A bus message could not be decoded',
  delivery_exhausted: 'The message failed processing too many times',
  delivery_failed: 'An alert notification could not be delivered (webhook or e-mail)',
} as const;

export type RejectReason = keyof typeof RejectReasons;

export class PipelineError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? ErrorCodes[code].message, options);
    this.name = 'PipelineError';
    this.code = code;
    this.status = ErrorCodes[code].status;
    this.retryable = ErrorCodes[code].retryable;
  }
}

/** The JSON body of every error reply. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; retryable: boolean };
}

export function errorBody(code: ErrorCode, message?: string): ErrorBody {
  const entry = ErrorCodes[code];
  return { error: { code, message: message ?? entry.message, retryable: entry.retryable } };
}
