import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { ErrorCodes, errorBody, PipelineError, type ErrorCode } from '../stream/index.js';

export function sendError(reply: FastifyReply, code: ErrorCode, message?: string): FastifyReply {
  return reply.code(ErrorCodes[code].status).send(errorBody(code, message));
}

/** Maps Fastify's own errors to the catalogue, so every error reply has a stable code. */
export function codeOf(err: FastifyError | PipelineError | Error): ErrorCode {
  if (err instanceof PipelineError) return err.code;
  const e = err as FastifyError;
  if (e.validation) return e.validationContext === 'body' ? 'BAD_REQUEST' : 'INVALID_QUERY';
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'BODY_TOO_LARGE';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'UNSUPPORTED_MEDIA_TYPE';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return 'BAD_REQUEST';
  }
  if (e.statusCode === 400) return 'BAD_REQUEST';
  return 'INTERNAL';
}

export function installErrorHandlers(app: FastifyInstance, onError: (code: ErrorCode) => void): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const code = codeOf(err);
    onError(code);
    if (code === 'INTERNAL') req.log.error({ err }, 'request failed');
    if (ErrorCodes[code].retryable && ErrorCodes[code].status === 503) reply.header('retry-after', '1');
    const message = code === 'INTERNAL' ? undefined : err.message;
    return sendError(reply, code, message);
  });
  app.setNotFoundHandler((req, reply) => {
    onError('NOT_FOUND');
    return sendError(reply, 'NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`);
  });
}
