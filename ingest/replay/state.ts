import { StateFile } from '../state-file.js';
import { ReplayError } from './errors.js';
import type { Mapping } from './mapping.js';
import type { FileFormat } from './records.js';
import type { RejectExample } from './rejects.js';
import type { Encoding } from './rows.js';

/**
 * What the events of a replay depend on. A resume with a different fingerprint would send other
 * events (or the same ones at other positions), so it is refused.
 */
export interface Fingerprint {
  /** The file name: generated ids contain it. */
  name: string;
  size: number;
  mtime_ms: number;
  format: FileFormat;
  encoding: Encoding;
  source: string;
  time_shift: 'now' | 'none';
  mapping: Mapping;
}

/** The resume point of a replay, saved after every batch the server acknowledged. */
export interface ReplayState {
  version: 1;
  fingerprint: Fingerprint;
  /** Events of the time order acknowledged so far: a resume starts with the next one. */
  position: number;
  /** Events in the file (rows that mapped). */
  total: number;
  /** Added to every event time (`--time-shift now`), fixed by the first run so a resume keeps it. */
  shift_ms: number;
  sent: number;
  accepted: number;
  duplicates: number;
  server_rejects: { counts: Record<string, number>; examples: RejectExample[] };
  updated_at: string;
}

/** The default state file: next to the input. */
export function defaultStatePath(file: string): string {
  return `${file}.replay-state.json`;
}

/** Loads a saved state, checking it belongs to this file and these options; undefined when there is none. */
export async function loadState(
  file: StateFile<ReplayState>,
  fingerprint: Fingerprint,
): Promise<ReplayState | undefined> {
  let saved: ReplayState | undefined;
  try {
    saved = await file.load();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ReplayError(
      code !== undefined
        ? `cannot read the replay state ${file.path} (${code}); choose another place with --state FILE`
        : `${(err as Error).message}, or use --restart`,
      { cause: err },
    );
  }
  if (saved === undefined) return undefined;
  if (saved.version !== 1 || typeof saved.position !== 'number' || saved.fingerprint === undefined)
    throw new ReplayError(
      `${file.path} is not a replay state file of this version; use --restart to start over or --state to choose another file`,
    );
  const change = fingerprintChange(saved.fingerprint, fingerprint);
  if (change !== undefined)
    throw new ReplayError(
      `${change} since the replay state in ${file.path} was saved (at event ${saved.position} of ${saved.total}). ` +
        'Resuming would send other events: use --restart to replay from the start, or --state to keep both.',
    );
  return saved;
}

/** What differs between two fingerprints, in words; undefined when they are the same. */
export function fingerprintChange(saved: Fingerprint, now: Fingerprint): string | undefined {
  if (saved.size !== now.size || saved.mtime_ms !== now.mtime_ms)
    return (
      `the input file changed (size ${saved.size} → ${now.size} bytes, modified ` +
      `${new Date(saved.mtime_ms).toISOString()} → ${new Date(now.mtime_ms).toISOString()})`
    );
  const options: (keyof Fingerprint)[] = ['name', 'format', 'encoding', 'source', 'time_shift'];
  for (const key of options) {
    const was = JSON.stringify(saved[key]);
    const is = JSON.stringify(now[key]);
    if (was !== is) return `the ${key.replace('_', ' ')} changed (was ${was}, now ${is})`;
  }
  for (const [field, paths] of Object.entries(now.mapping.paths)) {
    const was = JSON.stringify(saved.mapping?.paths?.[field as keyof Mapping['paths']] ?? []);
    const is = JSON.stringify(paths);
    if (was !== is) return `the mapping of ${field} changed (was ${was}, now ${is})`;
  }
  return undefined;
}
