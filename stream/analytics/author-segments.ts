import type { Store } from '../store/store.js';
import { AUTHOR_SEGMENTS_TABLE } from './tables.js';

export interface AuthorSegmentsOptions {
  store: Store;
  /** Authors remembered at most (the least recently looked up go first). Default 100,000. */
  maxEntries?: number;
  /** How long a looked-up segment is trusted before it is read again (ms). Default 60 s. */
  ttlMs?: number;
  /** Reads of the store in flight at most; lookups beyond wait for the next miss. Default 8. */
  maxInFlight?: number;
  now?: () => number;
  onError?: (err: unknown) => void;
}

interface Entry {
  /** `undefined`: the author has no segment (yet). */
  segment: string | undefined;
  readAt: number;
}

/**
 * An author's audience segment (the `segments` operator's `author_segments` table) for campaign
 * decisions, which must answer in about a millisecond: `lookup` answers from memory at once and,
 * for an author it has not read lately, reads the store in the background, so the author's next
 * decision has it. The segment is the id as text ("0", "1", …), the same in every partition.
 */
export class AuthorSegments {
  private readonly entries = new Map<string, Entry>();
  private readonly pending = new Set<string>();
  private readonly maxEntries: number;
  private readonly ttlMs: number;
  private readonly maxInFlight: number;
  private readonly now: () => number;

  constructor(private readonly o: AuthorSegmentsOptions) {
    this.maxEntries = o.maxEntries ?? 100_000;
    this.ttlMs = o.ttlMs ?? 60_000;
    this.maxInFlight = o.maxInFlight ?? 8;
    this.now = o.now ?? Date.now;
  }

  /** The author's segment as last read (undefined: unknown so far); starts a read when it is stale. */
  lookup(author: string): string | undefined {
    const e = this.entries.get(author);
    if (e) {
      // Most recently used last, so the oldest go first when the map is full.
      this.entries.delete(author);
      this.entries.set(author, e);
    }
    if ((!e || this.now() - e.readAt >= this.ttlMs) && !this.pending.has(author))
      if (this.pending.size < this.maxInFlight) void this.read(author);
    return e?.segment;
  }

  /** Reads the author's segment now (tests, and the background read). */
  async read(author: string): Promise<string | undefined> {
    this.pending.add(author);
    try {
      const rows = await this.o.store.read(AUTHOR_SEGMENTS_TABLE, { author });
      const segment = rows.length > 0 ? String(rows[0]!.segment) : undefined;
      this.entries.delete(author);
      this.entries.set(author, { segment, readAt: this.now() });
      while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
      return segment;
    } catch (err) {
      this.o.onError?.(err);
      return undefined;
    } finally {
      this.pending.delete(author);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
