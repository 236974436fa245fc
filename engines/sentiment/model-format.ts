import { hashMix, HASH_START, hashFinish } from '../text/index.js';
import type { FeatureSpec } from './features.js';
import { CLASSES, type LinearModel } from './linear.js';

/**
 * The weights file of the linear tier: one binary file, so a model is always read whole.
 *
 *   bytes 0..7    "PWLSENT1" (magic and format version)
 *   bytes 8..11   header length H (uint32, little endian)
 *   bytes 12..    header: UTF-8 JSON (id, features, encoding, scales, bias, checksum, training)
 *   then          zero padding to a multiple of 4, and the weights: int8 or float32 (little endian),
 *                 bucket-major, 3 per bucket
 */
const MAGIC = 'PWLSENT1';

export class ModelFormatError extends Error {
  override name = 'ModelFormatError';
}

interface Header {
  id: string;
  features: FeatureSpec;
  encoding: 'int8' | 'float32';
  scales: number[];
  bias: number[];
  /** Hash of the weight bytes, so a truncated or altered file is refused instead of scoring nonsense. */
  checksum: number;
  training: Record<string, unknown>;
}

export function encodeLinearModel(model: LinearModel): Uint8Array {
  const weightBytes =
    model.weights instanceof Int8Array
      ? new Uint8Array(model.weights.buffer, model.weights.byteOffset, model.weights.byteLength)
      : float32Bytes(model.weights);
  const header: Header = {
    id: model.id,
    features: model.features,
    encoding: model.weights instanceof Int8Array ? 'int8' : 'float32',
    scales: [...model.scales],
    bias: [...model.bias],
    checksum: checksum(weightBytes),
    training: model.training,
  };
  const json = new TextEncoder().encode(JSON.stringify(header, null, 1));
  const start = align4(12 + json.length);
  const out = new Uint8Array(start + weightBytes.length);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, 12);
  out.set(weightBytes, start);
  return out;
}

export function decodeLinearModel(bytes: Uint8Array): LinearModel {
  if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC)
    throw new ModelFormatError(`not a linear sentiment model (expected the magic "${MAGIC}")`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(8, true);
  if (12 + length > bytes.length) throw new ModelFormatError('the header runs past the end of the file');
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + length))) as Header;
  } catch (err) {
    throw new ModelFormatError(`the header is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof header.id !== 'string' || !header.features || !Array.isArray(header.scales))
    throw new ModelFormatError('the header lacks id, features or scales');
  const start = align4(12 + length);
  const count = 2 ** header.features.dimsLog2 * CLASSES;
  const width = header.encoding === 'int8' ? 1 : header.encoding === 'float32' ? 4 : 0;
  if (width === 0) throw new ModelFormatError(`unknown weight encoding "${String(header.encoding)}"`);
  if (bytes.length !== start + count * width)
    throw new ModelFormatError(
      `expected ${count * width} bytes of weights, found ${bytes.length - start} (truncated or wrong file)`,
    );
  const raw = bytes.subarray(start);
  if (checksum(raw) !== header.checksum)
    throw new ModelFormatError('the weights do not match their checksum (the file is damaged)');
  const weights = width === 1 ? new Int8Array(raw.slice().buffer) : readFloat32(raw, count);
  return {
    id: header.id,
    features: header.features,
    weights,
    scales: header.scales,
    bias: header.bias,
    training: header.training ?? {},
  };
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

function float32Bytes(weights: Float32Array): Uint8Array {
  const out = new Uint8Array(weights.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < weights.length; i++) view.setFloat32(i * 4, weights[i]!, true);
  return out;
}

function readFloat32(raw: Uint8Array, count: number): Float32Array {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

function checksum(bytes: Uint8Array): number {
  let h = HASH_START;
  for (let i = 0; i < bytes.length; i++) h = hashMix(h, bytes[i]!);
  return hashFinish(h);
}
