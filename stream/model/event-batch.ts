/**
 * The format of event messages on the bus: one or more events as JSON lines (NDJSON), so a bus
 * message carries many events and the per-message costs of the bus (publish, store, deliver) are
 * paid once per batch. Stage 2 de-duplicates events by key (see dedup.ts); the bus's message ids
 * only guard whole batches.
 */
const NEWLINE = 0x0a;

/** Joins encoded events into one message body. No event may contain a raw newline (JSON never does). */
export function joinLines(lines: readonly Uint8Array[]): Uint8Array {
  if (lines.length === 1) return lines[0]!;
  let size = lines.length - 1;
  for (const l of lines) size += l.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (let i = 0; i < lines.length; i++) {
    if (i > 0) out[at++] = NEWLINE;
    out.set(lines[i]!, at);
    at += lines[i]!.length;
  }
  return out;
}

/** The events of a message body, as views into it (no copies); empty lines are skipped. */
export function splitLines(data: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  while (start < data.length) {
    let end = data.indexOf(NEWLINE, start);
    if (end === -1) end = data.length;
    if (end > start) out.push(data.subarray(start, end));
    start = end + 1;
  }
  return out;
}

/**
 * Cuts encoded events into message bodies of at most `maxEvents` events and about `maxBytes`
 * bytes (a single larger event gets a message of its own).
 */
export function* chunkLines(
  lines: readonly Uint8Array[],
  maxEvents: number,
  maxBytes: number,
): Generator<Uint8Array[]> {
  let chunk: Uint8Array[] = [];
  let bytes = 0;
  for (const line of lines) {
    if (chunk.length > 0 && (chunk.length >= maxEvents || bytes + line.length + 1 > maxBytes)) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(line);
    bytes += line.length + 1;
  }
  if (chunk.length > 0) yield chunk;
}
