import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../app/paths.js';

/**
 * The dev data and model fixtures kept beside the repository (`../shared`: `data/` with the
 * sentiment dev sets, `models/` with a tiny transformer). CI has them; a fresh clone does not, so
 * the tests that need them skip and say what is missing, and everything else runs on data the
 * tests make themselves.
 */
export const SHARED_DIR = join(PROJECT_ROOT, '..', 'shared');

export interface SharedFile {
  /** Where the file or folder is expected. */
  path: string;
  /** For tap's `{ skip }`: false when present, else what is missing and where it was looked for. */
  skip: string | false;
}

/** A file or folder under `../shared`, e.g. `sharedFile('data/sentiment140-test.jsonl')`. */
export function sharedFile(relative: string): SharedFile {
  const path = join(SHARED_DIR, relative);
  return {
    path,
    skip:
      !existsSync(path) &&
      `needs ../shared/${relative} (dev data beside the repository, not part of a clone): not found at ${path}`,
  };
}

/** The random-weight transformer fixture of the tests that run the transformer tier. */
export const TINY_TRANSFORMER = sharedFile('models/tiny-random-roberta-sentiment');
