import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildSuffixArray, isSuffixArrayOf, type ReducedSort } from './suffixArray.ts';

const MODES: ReducedSort[] = ['auto', 'recursion', 'doubling'];

/** The oracle: sort all suffixes by direct comparison. */
function naiveSuffixArray(text: Int32Array): Int32Array {
  const n = text.length;
  const idx = Array.from({ length: n }, (_, i) => i);
  idx.sort((a, b) => {
    for (;;) {
      if (a === n) return b === n ? 0 : -1;
      if (b === n) return 1;
      if (text[a] !== text[b]) return text[a]! - text[b]!;
      a++;
      b++;
    }
  });
  return Int32Array.from(idx);
}

const texts = (alphabet: number) => fc.array(fc.integer({ min: 1, max: alphabet - 1 }), { minLength: 0, maxLength: 300 }).map((a) => Int32Array.from(a));

describe('buildSuffixArray (SA-IS)', () => {
  it('equals the sorted suffixes on random texts over small and large alphabets (property)', () => {
    for (const alphabet of [2, 3, 5, 40, 5000]) {
      fc.assert(
        fc.property(texts(alphabet), (t) => {
          const want = Array.from(naiveSuffixArray(t));
          for (const mode of MODES) expect(Array.from(buildSuffixArray(t, alphabet, mode))).toEqual(want);
        }),
        { numRuns: 300 },
      );
    }
  });

  it('handles repetitive texts that force deep recursion', () => {
    const cases = [new Int32Array(500).fill(1), Int32Array.from({ length: 600 }, (_, i) => (i % 2) + 1), Int32Array.from({ length: 700 }, (_, i) => ((i * i) % 7 === 0 ? 2 : 1))];
    for (const t of cases) for (const mode of MODES) expect(Array.from(buildSuffixArray(t, 3, mode))).toEqual(Array.from(naiveSuffixArray(t)));
  });

  it('length 0 and 1, and a text of one repeated symbol at every length up to 64', () => {
    expect(Array.from(buildSuffixArray(new Int32Array(0), 2))).toEqual([]);
    expect(Array.from(buildSuffixArray(Int32Array.of(1), 2))).toEqual([0]);
    expect(Array.from(buildSuffixArray(Int32Array.of(4), 5))).toEqual([0]);
    for (let n = 0; n <= 64; n++) {
      const t = new Int32Array(n).fill(1);
      // all suffixes are prefixes of each other: the shortest (last position) first
      for (const mode of MODES) expect(Array.from(buildSuffixArray(t, 2, mode))).toEqual(Array.from({ length: n }, (_, i) => n - 1 - i));
    }
  });

  it('equals the sorted suffixes on repeated blocks with a few mutations (long common prefixes, recursion several levels deep; property)', () => {
    const repeated = fc
      .record({
        block: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 12 }),
        times: fc.integer({ min: 1, max: 60 }),
        mutations: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 3 })), { maxLength: 4 }),
      })
      .map(({ block, times, mutations }) => {
        const t = Int32Array.from({ length: block.length * times }, (_, i) => block[i % block.length]!);
        for (const [at, c] of mutations) t[at % t.length] = c;
        return t;
      });
    fc.assert(
      fc.property(repeated, (t) => {
        const want = Array.from(naiveSuffixArray(t));
        for (const mode of MODES) expect(Array.from(buildSuffixArray(t, 4, mode))).toEqual(want);
      }),
      { numRuns: 300 },
    );
  });

  it('builds a checked suffix array of a 300k-word Zipf text over a 50k vocabulary (the span index shape)', () => {
    let s = 12345;
    const rand = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const t = Int32Array.from({ length: 300_000 }, (_, i) => (i % 200 === 199 ? 1 : 2 + Math.floor(rand() ** 3 * 50_000)));
    // a duplicated stretch (a passage contributed twice) gives long common prefixes
    t.copyWithin(150_000, 10_000, 30_000);
    // 'auto' takes the doubling path here (few repeated names), 'recursion' the other: both checked
    for (const mode of ['auto', 'recursion'] as const) expect(isSuffixArrayOf(buildSuffixArray(t, 50_002, mode), t)).toBe(true);
  });

  it('refuses symbols outside the alphabet', () => {
    expect(() => buildSuffixArray(Int32Array.from([1, 0, 2]), 3)).toThrow(RangeError);
    expect(() => buildSuffixArray(Int32Array.from([1, 3]), 3)).toThrow(RangeError);
  });
});

describe('isSuffixArrayOf', () => {
  it('accepts the right array and refuses any swap, duplicate or wrong length (property)', () => {
    fc.assert(
      fc.property(texts(6).filter((t) => t.length >= 2), fc.nat(), fc.nat(), (t, x, y) => {
        const sa = buildSuffixArray(t, 6);
        expect(isSuffixArrayOf(sa, t)).toBe(true);
        const i = x % t.length;
        const j = y % t.length;
        const swapped = sa.slice();
        swapped[i] = sa[j]!;
        swapped[j] = sa[i]!;
        expect(isSuffixArrayOf(swapped, t)).toBe(i === j);
        const dup = sa.slice();
        dup[i] = sa[(i + 1) % t.length]!;
        expect(isSuffixArrayOf(dup, t)).toBe(false);
        expect(isSuffixArrayOf(sa.subarray(1), t)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});
