import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import {
  generateKey,
  isScope,
  KEY_NAME,
  KEY_NAME_RULE,
  keyDigest,
  SCOPES,
  type KeyRecord,
  type Scope,
} from './keys.js';

/**
 * The key file: JSON holding each key's name, scopes and SHA-256 digest, never the key itself.
 * `pulsewatch keys add` writes it (and prints the new key once); the server reads it at start.
 *
 *   {"version":1,"keys":[{"name":"crm","scopes":["ingest"],"sha256":"<64 hex>","created":"<ISO>"}]}
 *
 * A digest of a 256-bit random key is as good as a salted slow hash (there is nothing to guess),
 * and it makes the lookup one hash per request.
 */
export interface KeyFile {
  version: 1;
  keys: KeyFileEntry[];
}

export interface KeyFileEntry extends KeyRecord {
  /** When it was added (ISO 8601), to tell old keys from new ones. */
  created: string;
}

export class KeyFileError extends Error {
  override name = 'KeyFileError';
}

const DIGEST = /^[0-9a-f]{64}$/;

/** Reads and checks a key file; a missing file is an error (a typo must not open the API). */
export async function readKeyFile(path: string): Promise<KeyFile> {
  const file = await readIfAny(path);
  if (file === undefined) throw new KeyFileError(`cannot read ${path}: there is no such file`);
  return file;
}

/** The key file, or undefined when there is none yet. */
async function readIfAny(path: string): Promise<KeyFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new KeyFileError(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  return parseKeyFile(text, path);
}

export function parseKeyFile(text: string, path: string): KeyFile {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new KeyFileError(`${path} is not JSON: ${(err as Error).message}`, { cause: err });
  }
  const file = doc as Partial<KeyFile> | null;
  if (typeof file !== 'object' || file === null || file.version !== 1 || !Array.isArray(file.keys))
    throw new KeyFileError(`${path}: expected {"version":1,"keys":[…]} as written by "pulsewatch keys add"`);
  const names = new Set<string>();
  const keys = file.keys.map((entry, i) => {
    const e = entry as Partial<KeyFileEntry> | null;
    const where = `${path}: key ${i + 1}${typeof e?.name === 'string' ? ` ("${e.name}")` : ''}`;
    if (typeof e !== 'object' || e === null) throw new KeyFileError(`${where}: not an object`);
    if (typeof e.name !== 'string' || !KEY_NAME.test(e.name))
      throw new KeyFileError(`${where}: ${KEY_NAME_RULE}`);
    if (names.has(e.name)) throw new KeyFileError(`${where}: the name is listed twice`);
    names.add(e.name);
    if (!Array.isArray(e.scopes) || e.scopes.length === 0 || !e.scopes.every((s) => isScope(String(s))))
      throw new KeyFileError(`${where}: "scopes" must be a non-empty list of ${SCOPES.join(', ')}`);
    if (typeof e.sha256 !== 'string' || !DIGEST.test(e.sha256))
      throw new KeyFileError(
        `${where}: "sha256" must be 64 lowercase hex digits (the digest, never the key)`,
      );
    return { name: e.name, scopes: e.scopes, sha256: e.sha256, created: String(e.created ?? '') };
  });
  return { version: 1, keys };
}

/**
 * Adds a key named `name` with `scopes` and returns it: the only time the key exists outside its
 * holder. Creates the file when it is missing; refuses a name that is already there.
 */
export async function addKey(
  path: string,
  name: string,
  scopes: Scope[],
  now: Date = new Date(),
): Promise<string> {
  if (!KEY_NAME.test(name)) throw new KeyFileError(KEY_NAME_RULE);
  if (scopes.length === 0) throw new KeyFileError(`at least one scope is needed: ${SCOPES.join(', ')}`);
  const file: KeyFile = (await readIfAny(path)) ?? { version: 1, keys: [] };
  if (file.keys.some((k) => k.name === name))
    throw new KeyFileError(
      `${path} already has a key named "${name}"; remove it first, or pick another name`,
    );
  const key = generateKey();
  file.keys.push({ name, scopes: [...new Set(scopes)], sha256: keyDigest(key), created: now.toISOString() });
  await writeKeyFile(path, file);
  return key;
}

/**
 * Removes the key named `name`; an unknown name is an error, so a typo is noticed. Returns how many
 * keys are left (none: a server reading the file refuses to start).
 */
export async function removeKey(path: string, name: string): Promise<number> {
  const file = await readKeyFile(path);
  const keys = file.keys.filter((k) => k.name !== name);
  if (keys.length === file.keys.length) throw new KeyFileError(`${path} has no key named "${name}"`);
  await writeKeyFile(path, { ...file, keys });
  return keys.length;
}

/** Writes a temporary file and renames it over the old one, so a reader never sees half a file. */
async function writeKeyFile(path: string, file: KeyFile): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    // one key a line: readable, and a change shows as one line in a diff
    const keys = file.keys.map((k) => `    ${JSON.stringify(k)}`).join(',\n');
    const text = `{\n  "version": 1,\n  "keys": [${keys === '' ? '' : `\n${keys}\n  `}]\n}\n`;
    await writeFile(tmp, text, { mode: 0o600 });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new KeyFileError(`cannot write ${path}: ${(err as Error).message}`, { cause: err });
  }
}
