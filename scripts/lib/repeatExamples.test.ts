import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/engine/sampling/rng.ts';
import { repeatExamples } from './repeatExamples.ts';

describe('repeatExamples', () => {
  const opts = { ids: [5, 6, 7, 9, 11, 13], windowLength: 64, minLength: 3, maxLength: 9 };

  it('packs sequences said twice, the loss only on the second copies, within the window', () => {
    const exs = repeatExamples(40, createRng(1), opts);
    expect(exs).toHaveLength(40);
    for (const e of exs) {
      expect(e.tokens.length).toBeLessThanOrEqual(64);
      expect(e.tokens.length).toBeGreaterThan(64 - 2 * 9 - 1);
      expect(e.lossMask.length).toBe(e.tokens.length);
      for (const t of e.tokens) expect(opts.ids).toContain(t);
      // walk the runs: a block of 0s of length n followed by 1s of length n, the 1s equal to the 0s' tokens
      let i = 0;
      while (i < e.tokens.length) {
        let n = 0;
        while (e.lossMask[i + n] === 0) n++;
        expect(n).toBeGreaterThanOrEqual(3);
        expect(n).toBeLessThanOrEqual(9);
        for (let k = 0; k < n; k++) {
          expect(e.lossMask[i + n + k]).toBe(1);
          expect(e.tokens[i + n + k]).toBe(e.tokens[i + k]);
        }
        i += 2 * n;
      }
    }
  });

  it('is the same for the same seed and differs for another', () => {
    const a = repeatExamples(5, createRng(7), opts).map((e) => Array.from(e.tokens));
    expect(repeatExamples(5, createRng(7), opts).map((e) => Array.from(e.tokens))).toEqual(a);
    expect(repeatExamples(5, createRng(8), opts).map((e) => Array.from(e.tokens))).not.toEqual(a);
  });

  it('refuses options that cannot make an example', () => {
    expect(() => repeatExamples(1, createRng(1), { ...opts, maxLength: 40 })).toThrow(/bad options/);
    expect(() => repeatExamples(1, createRng(1), { ...opts, ids: [1] })).toThrow(/bad options/);
  });
});
