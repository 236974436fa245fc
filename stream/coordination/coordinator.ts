/**
 * Shared state between workers: partition leases with a time to live, and checkpoints fenced by
 * those leases (a worker that lost its lease cannot overwrite the new owner's checkpoint).
 * Redis implements it in services mode; the in-memory one serves the embedded default and tests.
 */
export interface Coordinator {
  readonly kind: string;
  /** Takes the lease if nobody holds it (or `owner` already does). */
  tryAcquire(lease: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Extends a lease `owner` holds; false when it was lost. */
  renew(lease: string, owner: string, ttlMs: number): Promise<boolean>;
  release(lease: string, owner: string): Promise<void>;
  /** Records that `owner` is alive in `group`; returns the live members, sorted. */
  heartbeat(group: string, owner: string, ttlMs: number): Promise<string[]>;
  leave(group: string, owner: string): Promise<void>;
  /** Saves the checkpoint only while `owner` holds `lease`; false otherwise. Atomic. */
  saveCheckpoint(key: string, value: string, lease: string, owner: string): Promise<boolean>;
  loadCheckpoint(key: string): Promise<string | undefined>;
  close(): Promise<void>;
}

export class MemoryCoordinator implements Coordinator {
  readonly kind = 'memory';
  private readonly leases = new Map<string, { owner: string; expires: number }>();
  private readonly members = new Map<string, Map<string, number>>();
  private readonly checkpoints = new Map<string, string>();

  constructor(private readonly now: () => number = Date.now) {}

  private holder(lease: string): string | undefined {
    const l = this.leases.get(lease);
    if (!l || l.expires <= this.now()) return undefined;
    return l.owner;
  }

  async tryAcquire(lease: string, owner: string, ttlMs: number): Promise<boolean> {
    const h = this.holder(lease);
    if (h !== undefined && h !== owner) return false;
    this.leases.set(lease, { owner, expires: this.now() + ttlMs });
    return true;
  }

  async renew(lease: string, owner: string, ttlMs: number): Promise<boolean> {
    if (this.holder(lease) !== owner) return false;
    this.leases.set(lease, { owner, expires: this.now() + ttlMs });
    return true;
  }

  async release(lease: string, owner: string): Promise<void> {
    if (this.holder(lease) === owner) this.leases.delete(lease);
  }

  async heartbeat(group: string, owner: string, ttlMs: number): Promise<string[]> {
    let g = this.members.get(group);
    if (!g) this.members.set(group, (g = new Map()));
    const now = this.now();
    g.set(owner, now + ttlMs);
    for (const [m, expires] of g) if (expires <= now) g.delete(m);
    return [...g.keys()].sort();
  }

  async leave(group: string, owner: string): Promise<void> {
    this.members.get(group)?.delete(owner);
  }

  async saveCheckpoint(key: string, value: string, lease: string, owner: string): Promise<boolean> {
    if (this.holder(lease) !== owner) return false;
    this.checkpoints.set(key, value);
    return true;
  }

  async loadCheckpoint(key: string): Promise<string | undefined> {
    return this.checkpoints.get(key);
  }

  async close(): Promise<void> {}
}
