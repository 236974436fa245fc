import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';

/** Shortest key accepted: a guessable key is no protection. */
export const MIN_KEY_LENGTH = 16;

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

export interface ApiKeyEntry {
  /** Shown in logs and metrics in place of the key. */
  name: string;
  key: string;
}

/**
 * Parses `name:key` entries, separated by commas or newlines; blank entries and `#` comment lines
 * are skipped. Errors name the line (of a file) but never echo what might be a key.
 */
export function parseApiKeys(text: string): ApiKeyEntry[] {
  const entries: ApiKeyEntry[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const where = lines.length > 1 ? `line ${i + 1}: ` : '';
    for (const item of trimmed.split(',')) {
      const entry = item.trim();
      if (entry === '') continue;
      const colon = entry.indexOf(':');
      if (colon === -1) throw new Error(`${where}expected name:key, got an entry without ":"`);
      const name = entry.slice(0, colon).trim();
      const key = entry.slice(colon + 1).trim();
      if (!NAME.test(name)) throw new Error(`${where}a key name must be 1 to 64 of A-Z a-z 0-9 _ . -`);
      if (key.length < MIN_KEY_LENGTH || /\s/.test(key))
        throw new Error(
          `${where}the key of "${name}" must be at least ${MIN_KEY_LENGTH} characters without spaces`,
        );
      entries.push({ name, key });
    }
  });
  return entries;
}

/**
 * The ingest API keys, looked up by the SHA-256 digest of the presented key: the lookup's timing
 * depends on the digest, which tells a guesser nothing about any real key.
 */
export class ApiKeys {
  private readonly byDigest = new Map<string, string>();

  constructor(entries: readonly ApiKeyEntry[]) {
    const names = new Set<string>();
    for (const { name, key } of entries) {
      if (names.has(name)) throw new Error(`API key name "${name}" is listed twice`);
      const d = digest(key);
      const other = this.byDigest.get(d);
      if (other !== undefined) throw new Error(`API keys "${other}" and "${name}" are the same key`);
      names.add(name);
      this.byDigest.set(d, name);
    }
  }

  /** How many keys there are; with none, ingest is open. */
  get size(): number {
    return this.byDigest.size;
  }

  get names(): string[] {
    return [...this.byDigest.values()];
  }

  /** The name of the key, or undefined when it is not one of ours. */
  nameOf(key: string): string | undefined {
    return this.byDigest.get(digest(key));
  }
}

/** Keys from `--ingest-api-keys` and the lines of `--ingest-api-keys-file` (when set), together. */
export async function loadApiKeys(inline: string, file: string): Promise<ApiKeys> {
  const entries = parsed(inline, '--ingest-api-keys');
  if (file !== '') {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new Error(`--ingest-api-keys-file: cannot read ${file}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    entries.push(...parsed(text, `--ingest-api-keys-file ${file}`));
  }
  return new ApiKeys(entries);
}

function parsed(text: string, origin: string): ApiKeyEntry[] {
  try {
    return parseApiKeys(text);
  } catch (err) {
    throw new Error(`${origin}: ${(err as Error).message}`, { cause: err });
  }
}

/** The key a request presents: `Authorization: Bearer <key>`, else `X-API-Key: <key>`. */
export function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const bearer = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(headers.authorization ?? '')?.[1];
  if (bearer !== undefined) return bearer;
  const header = headers['x-api-key'];
  const key = (Array.isArray(header) ? header[0] : header)?.trim();
  return key ? key : undefined;
}

function digest(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}
