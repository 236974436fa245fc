import { createHash, randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * What a key may do. `ingest`: post events and feedback. `read`: brands, history, live windows and
 * the WebSocket. `decide`: campaign definitions, decide and reward. `admin`: all of these,
 * and `/metrics`.
 */
export const SCOPES = ['ingest', 'read', 'decide', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** Shortest key accepted: a guessable key is no protection. */
export const MIN_KEY_LENGTH = 16;

export const KEY_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
export const KEY_NAME_RULE = 'a key name must be 1 to 64 of A-Z a-z 0-9 _ . -';

/** A key as the server knows it: never the key itself, only its SHA-256 digest (hex). */
export interface KeyRecord {
  /** Shown in logs and metrics in place of the key. */
  name: string;
  scopes: Scope[];
  sha256: string;
}

/** Who a request is, once its key is found. */
export interface ApiKeyIdentity {
  name: string;
  scopes: readonly Scope[];
}

export function isScope(s: string): s is Scope {
  return (SCOPES as readonly string[]).includes(s);
}

/** Scopes from `ingest,read`; throws on an unknown or missing one. */
export function parseScopes(text: string): Scope[] {
  const scopes = [
    ...new Set(
      text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
  if (scopes.length === 0) throw new Error(`at least one scope is needed: ${SCOPES.join(', ')}`);
  const unknown = scopes.filter((s) => !isScope(s));
  if (unknown.length > 0)
    throw new Error(`unknown scope ${unknown.map((s) => `"${s}"`).join(', ')}; use ${SCOPES.join(', ')}`);
  return scopes as Scope[];
}

/** `admin` implies every scope. */
export function grants(scopes: readonly Scope[], needed: Scope): boolean {
  return scopes.includes('admin') || scopes.includes(needed);
}

/** A new key: 256 random bits, with a prefix that secret scanners and people can recognise. */
export function generateKey(): string {
  return `pw_${randomBytes(32).toString('base64url')}`;
}

export function keyDigest(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/**
 * The API keys, looked up by the SHA-256 digest of the presented key: the lookup's timing depends
 * on the digest, which tells a guesser nothing about any real key. With no key, the API is open.
 */
export class ApiKeys {
  private readonly byDigest = new Map<string, ApiKeyIdentity>();

  constructor(records: readonly KeyRecord[] = []) {
    const names = new Set<string>();
    for (const { name, scopes, sha256 } of records) {
      if (names.has(name)) throw new Error(`API key name "${name}" is listed twice`);
      const other = this.byDigest.get(sha256);
      if (other !== undefined) throw new Error(`API keys "${other.name}" and "${name}" are the same key`);
      names.add(name);
      this.byDigest.set(sha256, { name, scopes: [...scopes] });
    }
  }

  /** How many keys there are; with none, every route is open. */
  get size(): number {
    return this.byDigest.size;
  }

  get names(): string[] {
    return [...this.byDigest.values()].map((k) => k.name);
  }

  /** The key's name and scopes, or undefined when it is not one of ours. */
  find(key: string): ApiKeyIdentity | undefined {
    return this.byDigest.get(keyDigest(key));
  }
}

/** A plain `name:key` entry of the ingest-only key settings kept from before scoped keys. */
export interface PlainKeyEntry {
  name: string;
  key: string;
}

/**
 * Parses `name:key` entries, separated by commas or newlines; blank entries and `#` comment lines
 * are skipped. Errors name the line (of a file) but never echo what might be a key.
 */
export function parsePlainKeys(text: string): PlainKeyEntry[] {
  const entries: PlainKeyEntry[] = [];
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
      if (!KEY_NAME.test(name)) throw new Error(`${where}${KEY_NAME_RULE}`);
      if (key.length < MIN_KEY_LENGTH || /\s/.test(key))
        throw new Error(
          `${where}the key of "${name}" must be at least ${MIN_KEY_LENGTH} characters without spaces`,
        );
      entries.push({ name, key });
    }
  });
  return entries;
}

/** Plain entries as key records with the given scopes (the old settings give `ingest`). */
export function plainKeyRecords(entries: readonly PlainKeyEntry[], scopes: Scope[]): KeyRecord[] {
  return entries.map(({ name, key }) => ({ name, scopes, sha256: keyDigest(key) }));
}

/** The key a request presents: `Authorization: Bearer <key>`, else `X-API-Key: <key>`. */
export function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const bearer = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(headers.authorization ?? '')?.[1];
  if (bearer !== undefined) return bearer;
  const header = headers['x-api-key'];
  const key = (Array.isArray(header) ? header[0] : header)?.trim();
  return key ? key : undefined;
}
