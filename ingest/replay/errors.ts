/**
 * A replay that cannot start or go on because of what the user gave it (flags, the file, the state
 * file). The message says what is wrong and what to do; the CLI prints it without a stack trace.
 */
export class ReplayError extends Error {
  override name = 'ReplayError';
}
