import { Random } from '../../engines/stats/index.js';
import { HASH_START, hashFinish, hashMix } from '../../engines/text/index.js';

/**
 * Event time is generated in slots, each from a random stream of its own derived from (seed, slot,
 * stream), so any range can be generated alone, in any order, with the same result. Each concern
 * draws from its own stream, so turning one on (faults, a campaign) changes nothing in the others.
 */

/** Events are generated per slot of this many milliseconds of event time. */
export const SLOT_MS = 100;

/** Streams: social posts, the author pool (slot 0 only), injected faults; campaigns use `streamOf(id)`. */
export const STREAM_SOCIAL = 0x50c1a1;
export const STREAM_AUTHORS = 0xa07405;
export const STREAM_FAULTS = 0xfa017;

/** The random source of one stream in one slot. */
export function slotRandom(seed: number, slot: number, stream: number): Random {
  return new Random(slotSeed(seed, slot, stream));
}

/** The stream of a name (a campaign id): FNV-1a, as in engines/text. */
export function streamOf(name: string): number {
  let h = HASH_START;
  for (let i = 0; i < name.length; i++) h = hashMix(h, name.charCodeAt(i));
  // not the engine's hashString: its final avalanche would move every campaign to another stream
  return h >>> 0;
}

/** Seed of the random stream for one slot; slots exceed 32 bits, so both halves are mixed in. */
function slotSeed(seed: number, slot: number, stream: number): number {
  let h = mix32(seed >>> 0, 0x5eed);
  h = mix32(h, slot >>> 0);
  h = mix32(h, Math.floor(slot / 0x1_0000_0000) >>> 0);
  return mix32(h, stream);
}

function mix32(h: number, v: number): number {
  // the golden-ratio multiplier, not hashMix's FNV prime: hashMix would change every slot's stream
  return hashFinish(Math.imul(h ^ v, 0x9e3779b1));
}
