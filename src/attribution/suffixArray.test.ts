import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildSuffixArray, isSuffixArrayOf } from './suffixArray.ts';

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
          expect(Array.from(buildSuffixArray(t, alphabet))).toEqual(Array.from(naiveSuffixArray(t)));
        }),
        { numRuns: 300 },
      );
    }
  });

  it('handles repetitive texts that force deep recursion', () => {
    const cases = [new Int32Array(500).fill(1), Int32Array.from({ length: 600 }, (_, i) => (i % 2) + 1), Int32Array.from({ length: 700 }, (_, i) => ((i * i) % 7 === 0 ? 2 : 1))];
    for (const t of cases) expect(Array.from(buildSuffixArray(t, 3))).toEqual(Array.from(naiveSuffixArray(t)));
  });

  it('refuses symbols outside the alphabet', () => {
    expect(() => buildSuffixArray(Int32Array.from([1, 0, 2]), 3)).toThrow(RangeError);
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
