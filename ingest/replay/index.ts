export {
  replayFile,
  type Clock,
  type ReplayOptions,
  type ReplayProgress,
  type ReplaySummary,
} from './replay.js';
export { ReplayError } from './errors.js';
export { FIELDS, parseMapFlags, type Field, type Mapping } from './mapping.js';
export { LocalRejectReasons, type LocalRejectReason } from './rejects.js';
export type { Encoding } from './rows.js';
export type { FileFormat } from './records.js';
