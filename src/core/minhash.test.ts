import { describe, expect, it } from 'vitest';
import { NEAR_DUPLICATE_THRESHOLD, estimateJaccard, minhashSignature } from './minhash.ts';

/** Deterministic pseudo-random words from a large vocabulary. */
function randomText(nWords: number, seed: number): string {
  let x = seed >>> 0 || 1;
  const out: string[] = [];
  for (let i = 0; i < nWords; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    const len = 2 + (x % 8);
    let w = '';
    let y = x;
    for (let k = 0; k < len; k++) {
      w += String.fromCharCode(97 + (y % 26));
      y = Math.floor(y / 26) + k * 7919;
    }
    out.push(w);
  }
  return out.join(' ');
}

describe('minhashSignature', () => {
  it('has numHashes unsigned 32-bit integers', () => {
    const sig = minhashSignature(randomText(50, 1));
    expect(sig).toHaveLength(128);
    for (const v of sig) expect(Number.isInteger(v) && v >= 0 && v <= 0xffffffff).toBe(true);
    expect(minhashSignature('a b c d e f', 16)).toHaveLength(16);
  });

  it('is deterministic and stable across releases', () => {
    const t = randomText(300, 42);
    expect(minhashSignature(t)).toEqual(minhashSignature(t));
    // pinned values: changing the shingling or hash functions breaks stored signatures
    expect(minhashSignature('the quick brown fox jumps over the lazy dog', 4)).toMatchInlineSnapshot(`
      [
        354912523,
        481763876,
        296973616,
        343860799,
      ]
    `);
  });

  it('ignores case and whitespace layout', () => {
    const t = randomText(100, 3);
    expect(minhashSignature(t.toUpperCase().replace(/ /g, '\n\n'))).toEqual(minhashSignature(t));
  });

  it('gives 1 for identical texts', () => {
    const t = randomText(300, 7);
    expect(estimateJaccard(minhashSignature(t), minhashSignature(t))).toBe(1);
  });

  it('stays at or above the threshold when one word of 300 changes', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const t = randomText(300, seed);
      const ws = t.split(' ');
      ws[(seed * 37) % 300] = 'changedword';
      const j = estimateJaccard(minhashSignature(t), minhashSignature(ws.join(' ')));
      expect(j).toBeGreaterThanOrEqual(NEAR_DUPLICATE_THRESHOLD);
    }
  });

  it('stays below 0.3 for unrelated texts', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const j = estimateJaccard(minhashSignature(randomText(300, seed)), minhashSignature(randomText(300, seed + 1000)));
      expect(j).toBeLessThan(0.3);
    }
  });

  it('falls below the threshold for heavy rewrites', () => {
    const t = randomText(300, 99);
    const ws = t.split(' ').map((w, i) => (i % 10 === 0 ? `${w}x` : w));
    expect(estimateJaccard(minhashSignature(t), minhashSignature(ws.join(' ')))).toBeLessThan(NEAR_DUPLICATE_THRESHOLD);
  });

  it('uses character shingles for texts under five words', () => {
    const a = minhashSignature('photosynthesis explained');
    const b = minhashSignature('photosynthesis explained!');
    expect(estimateJaccard(a, b)).toBeGreaterThan(0.6);
    expect(estimateJaccard(minhashSignature('hi'), minhashSignature('hi'))).toBe(1);
  });

  it('treats the empty text as sharing nothing', () => {
    const e = minhashSignature('');
    expect(e.every((v) => v === 0xffffffff)).toBe(true);
    expect(estimateJaccard(e, e)).toBe(0);
    expect(estimateJaccard(e, minhashSignature('something else entirely here now'))).toBe(0);
  });

  it('rejects bad arguments', () => {
    expect(() => minhashSignature('x', 0)).toThrow(RangeError);
    expect(() => estimateJaccard([1, 2], [1])).toThrow(RangeError);
    expect(estimateJaccard([], [])).toBe(0);
  });
});
