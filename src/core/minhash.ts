/**
 * MinHash signatures for near-duplicate detection.
 *
 * A text becomes a set of shingles: overlapping runs of 5 words of `normalizeForHash(text)` (runs of 5
 * characters when the text has fewer than 5 words). For each of `numHashes` seeded 32-bit hash functions
 * the signature keeps the minimum hash over all shingles; the fraction of positions where two signatures
 * agree estimates the Jaccard similarity |A ∩ B| / |A ∪ B| of the two shingle sets (standard error about
 * sqrt(J(1-J)/numHashes), ≈ 0.035 at J = 0.8 with 128 hashes).
 *
 * Everything is deterministic (fixed seeds, no Math.random), so signatures computed in different browsers
 * or stored in packs stay comparable.
 */
import { normalizeForHash } from './normalize.ts';

/**
 * Estimated Jaccard similarity of 5-word shingles at or above which a new text counts as a near duplicate.
 * Why 0.8: changing one word replaces the (up to) 5 shingles that cover it, so with N shingles and k
 * scattered word changes J ≈ (N - 5k) / (N + 5k). J >= 0.8 therefore means at most about one word in 45
 * was changed (or a few lines added or dropped): a light edit of the same text. Two different texts, even
 * on the same topic, share almost no 5-word runs (J well under 0.1).
 */
export const NEAR_DUPLICATE_THRESHOLD = 0.8;

export const DEFAULT_NUM_HASHES = 128;

const SHINGLE_WORDS = 5;
const SHINGLE_CHARS = 5;

/** Murmur3's 32-bit finaliser: a bijective avalanche mix. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over UTF-16 code units, finalised with fmix32: the base hash of a shingle. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

/** Fixed per-function seeds from a splitmix32 stream (same on every machine, every run). */
function seeds(count: number): Uint32Array {
  const out = new Uint32Array(count);
  let state = 0x9e3779b9;
  for (let i = 0; i < count; i++) {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    out[i] = (z ^ (z >>> 15)) >>> 0;
  }
  return out;
}

const seedCache = new Map<number, Uint32Array>();

/**
 * The distinct base hashes of the text's shingles, ascending. A word shingle's hash combines the hashes of
 * its 5 words in order (no string building: a 5 MB text has about a million shingles).
 */
function shingleHashes(text: string): Uint32Array {
  const norm = normalizeForHash(text);
  if (norm === '') return new Uint32Array(0);
  const words = norm.split(' ');
  let hashes: Uint32Array;
  if (words.length >= SHINGLE_WORDS) {
    const wh = Uint32Array.from(words, hashString);
    hashes = new Uint32Array(words.length - SHINGLE_WORDS + 1);
    for (let i = 0; i < hashes.length; i++) {
      let h = 0x2545f491;
      for (let k = 0; k < SHINGLE_WORDS; k++) h = fmix32(Math.imul(h ^ wh[i + k]!, 0x9e3779b1) + k);
      hashes[i] = h;
    }
  } else {
    const chars = Array.from(norm); // code points, so emoji are not split
    if (chars.length <= SHINGLE_CHARS) return Uint32Array.of(hashString(norm));
    hashes = new Uint32Array(chars.length - SHINGLE_CHARS + 1);
    for (let i = 0; i < hashes.length; i++) hashes[i] = hashString(chars.slice(i, i + SHINGLE_CHARS).join(''));
  }
  hashes.sort();
  let u = 0;
  for (let i = 0; i < hashes.length; i++) if (i === 0 || hashes[i] !== hashes[i - 1]) hashes[u++] = hashes[i]!;
  return hashes.subarray(0, u);
}

/**
 * MinHash signature of `text`: `numHashes` unsigned 32-bit integers. An empty text gives all 0xffffffff
 * (it shares nothing with anything).
 */
export function minhashSignature(text: string, numHashes = DEFAULT_NUM_HASHES): number[] {
  if (!Number.isInteger(numHashes) || numHashes < 1 || numHashes > 4096) {
    throw new RangeError(`numHashes must be a whole number from 1 to 4096, not ${numHashes}`);
  }
  let s = seedCache.get(numHashes);
  if (!s) {
    s = seeds(numHashes);
    seedCache.set(numHashes, s);
  }
  const bases = shingleHashes(text);
  const mins = new Uint32Array(numHashes).fill(0xffffffff);
  for (let k = 0; k < numHashes; k++) {
    const seed = s[k]!;
    let min = 0xffffffff;
    for (let i = 0; i < bases.length; i++) {
      // fmix32(base ^ seed), inlined: this loop runs numHashes × shingles times
      let h = bases[i]! ^ seed;
      h ^= h >>> 16;
      h = Math.imul(h, 0x85ebca6b);
      h ^= h >>> 13;
      h = Math.imul(h, 0xc2b2ae35);
      h ^= h >>> 16;
      h >>>= 0;
      if (h < min) min = h;
    }
    mins[k] = min;
  }
  return Array.from(mins);
}

/**
 * Fraction of positions where the two signatures agree: an estimate of the Jaccard similarity of the two
 * texts' shingle sets, in [0, 1]. Two empty-text signatures count as 0 (nothing in common).
 */
export function estimateJaccard(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) {
    throw new RangeError(`MinHash signatures differ in length (${a.length} vs ${b.length}); compute both with the same numHashes`);
  }
  if (a.length === 0) return 0;
  let same = 0;
  let emptyA = true;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) same++;
    if (a[i] !== 0xffffffff) emptyA = false;
  }
  if (emptyA) return 0;
  return same / a.length;
}
