import pino from 'pino';
import type { Config } from './config.js';

export type LogFormat = Config['logFormat'];

/** Whether logs are for a person: `pretty`, or `auto` when stdout is a terminal. */
export function prettyLogs(format: LogFormat, isTTY = process.stdout.isTTY === true): boolean {
  return format === 'pretty' || (format === 'auto' && isTTY);
}

/**
 * The process's logger: JSON lines on stdout, which log shippers read, or pino-pretty's one line per
 * record (time, level, message, then the fields) for a person at a terminal. pino-pretty is loaded only then,
 * and it writes in this thread (no transport worker), so nothing logged just before an exit is lost.
 */
export async function createLogger(level: Config['logLevel'], format: LogFormat): Promise<pino.Logger> {
  if (!prettyLogs(format)) return pino({ level });
  const { default: pretty } = await import('pino-pretty');
  return pino(
    { level },
    pretty({
      colorize: process.stdout.isTTY === true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname',
      singleLine: true,
      sync: true,
    }),
  );
}
