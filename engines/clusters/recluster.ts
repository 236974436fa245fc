/**
 * Re-clustering the DMM's reservoir on drift, with stable ids: the clusters that come out of it
 * are matched to the clusters it emptied by the documents they share, largest overlap first (ties:
 * the older id, then the lower slot), each at most once. A matched cluster takes the emptied one's
 * id; the rest are new.
 */
import type { ClusterCounts } from './counts.js';
import type { Retained } from './reservoir.js';

/** An emptied cluster: its id and when it was created. */
export interface Vacated {
  id: number;
  createdAt: number;
}

/**
 * `pairs` lists, per document, its new slot and its old slot (both only for documents that moved
 * from an emptied cluster to a pending one). Returns new slot -> old slot for the matches.
 */
export function matchByOverlap(
  pairs: readonly (readonly [newSlot: number, oldSlot: number])[],
  vacated: ReadonlyMap<number, Vacated>,
): Map<number, number> {
  const overlap = new Map<string, { slot: number; old: number; n: number }>();
  for (const [slot, old] of pairs) {
    const key = `${slot}:${old}`;
    const pair = overlap.get(key);
    if (pair) pair.n++;
    else overlap.set(key, { slot, old, n: 1 });
  }
  const ranked = [...overlap.values()].sort(
    (a, b) => b.n - a.n || vacated.get(a.old)!.id - vacated.get(b.old)!.id || a.slot - b.slot,
  );
  const matched = new Map<number, number>();
  const taken = new Set<number>();
  for (const { slot, old } of ranked) {
    if (matched.has(slot) || taken.has(old)) continue;
    matched.set(slot, old);
    taken.add(old);
  }
  return matched;
}

/** The id of a cluster opened while re-clustering, until it is matched or numbered. */
export const PENDING_ID = 0;

/** What re-clustering needs of the model. */
export interface ReclusterHost {
  readonly counts: ClusterCounts;
  readonly maxClusters: number;
  /** Gibbs passes after the first assignment. */
  readonly passes: number;
  /** Scores a document: the most likely slot, or -1 for a new cluster. */
  best(d: Retained): number;
  /** One Gibbs step for a document (a new cluster it starts has PENDING_ID). */
  reassign(d: Retained): void;
  newId(): number;
}

/**
 * Re-clusters the reservoir's documents (`docs`, each in a cluster): they leave their clusters
 * (clusters that also hold older documents stay, with those), are assigned again one by one and
 * get `passes` Gibbs passes. A cluster made of retained documents only is thereby emptied; the
 * clusters that come out take the ids of emptied ones by matchByOverlap, the rest get new ids, and
 * emptied clusters left unmatched are removed. Returns the ids kept, created and removed.
 */
export function reclusterReservoir(
  docs: readonly Retained[],
  host: ReclusterHost,
): { kept: number[]; created: number[]; removed: number[] } {
  const { counts } = host;
  const before: number[] = [];
  for (let s = 0; s < counts.span; s++) if (counts.ids[s]! >= 0) before.push(counts.ids[s]!);
  const oldSlot = docs.map((d) => d.slot);
  for (const d of docs) counts.remove(d, d.slot, d.weight);
  // Emptied clusters are out of the scoring (no members) but keep their slots until matched.
  const vacated = new Map<number, Vacated>();
  for (const s of oldSlot)
    if (counts.members[s] === 0 && !vacated.has(s))
      vacated.set(s, { id: counts.ids[s]!, createdAt: counts.createdAt[s]! });
  const removed: number[] = [];
  const room = (): boolean => {
    if (counts.live < host.maxClusters) return true;
    // Full: an emptied cluster gives up its slot (and its id) for the new ones.
    for (const [slot, v] of vacated) {
      counts.close(slot);
      vacated.delete(slot);
      removed.push(v.id);
      return true;
    }
    return false;
  };
  for (const d of docs) {
    let to = host.best(d);
    if (to < 0) to = room() ? counts.open(PENDING_ID, d.ts) : largest(counts);
    if (to < 0) to = counts.open(PENDING_ID, d.ts);
    counts.add(d, to, d.weight);
    counts.lastSeenAt[to] = Math.max(counts.lastSeenAt[to]!, d.ts);
    d.slot = to;
  }
  for (let p = 0; p < host.passes; p++) for (const d of docs) host.reassign(d);

  const moves: [number, number][] = [];
  docs.forEach((d, i) => {
    if (counts.ids[d.slot] === PENDING_ID && vacated.has(oldSlot[i]!)) moves.push([d.slot, oldSlot[i]!]);
  });
  const matched = new Set<number>();
  for (const [slot, old] of matchByOverlap(moves, vacated)) {
    const v = vacated.get(old)!;
    matched.add(old);
    counts.ids[slot] = v.id;
    counts.createdAt[slot] = v.createdAt;
  }
  const created: number[] = [];
  for (let s = 0; s < counts.span; s++) {
    if (counts.ids[s] !== PENDING_ID) continue;
    if (counts.members[s]! > 0) {
      counts.ids[s] = host.newId();
      created.push(counts.ids[s]!);
    } else counts.close(s);
  }
  for (const [slot, v] of vacated) {
    if (!matched.has(slot)) removed.push(v.id);
    // A matched cluster lives on in its new slot; the emptied slot goes either way.
    if (counts.ids[slot] === v.id && counts.members[slot] === 0) counts.close(slot);
  }
  const gone = new Set(removed);
  return {
    kept: before.filter((id) => !gone.has(id)).sort((a, b) => a - b),
    created,
    removed: removed.sort((a, b) => a - b),
  };
}

/** The live slot with the most mass (where a document goes when no cluster can be opened). */
function largest(counts: ClusterCounts): number {
  let best = -1;
  for (let s = 0; s < counts.span; s++)
    if (counts.ids[s]! >= 0 && counts.members[s]! > 0 && (best < 0 || counts.mass[s]! > counts.mass[best]!))
      best = s;
  return best;
}
