import { readFile } from 'node:fs/promises';
import { decodeLinearModel, LinearSentiment, ModelFormatError } from '../../engines/sentiment/index.js';
import { SentimentError } from './errors.js';

/** Reads a linear tier weights file (written by `npm run train:sentiment`) and builds the scorer. */
export async function loadLinearSentiment(file: string): Promise<LinearSentiment> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new SentimentError(
      'MODEL_NOT_FOUND',
      `linear sentiment weights ${file}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  try {
    return new LinearSentiment(
      decodeLinearModel(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)),
    );
  } catch (err) {
    const why = err instanceof ModelFormatError || err instanceof RangeError ? err.message : String(err);
    throw new SentimentError('MODEL_INVALID', `linear sentiment weights ${file}: ${why}`, { cause: err });
  }
}
