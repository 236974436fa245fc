/** FNV-1a 32-bit: a fast, stable hash, identical in every process and release. */
export function fnv1a(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The partition of a key among `partitions`. */
export function partitionOf(key: string, partitions: number): number {
  return fnv1a(key) % partitions;
}
