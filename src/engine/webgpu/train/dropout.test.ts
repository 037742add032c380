import { describe, expect, it } from 'vitest';
import { dropoutKeep } from '../../train/trainOps.ts';
import { dropoutKeepFrom } from './dropout.ts';

/** dropoutKeep's hash, as the WGSL computes it (u32 products wrap). */
function hash24(seed: number, i: number): number {
  let h = (Math.imul(i >>> 0, 0x9e3779b1) ^ Math.imul(seed >>> 0, 0x85ebca77)) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
  h = Math.imul(h ^ (h >>> 12), 0x297a2d39) >>> 0;
  return ((h ^ (h >>> 15)) >>> 0) >>> 8;
}

describe('dropoutKeepFrom', () => {
  it('the integer threshold keeps exactly what dropoutKeep keeps, for awkward p too', () => {
    for (const p of [0, 0.1, 1 / 3, 0.5, 0.9, 1 - 2 ** -24, 2 ** -25]) {
      const from = dropoutKeepFrom(p);
      let differ = 0;
      for (let i = 0; i < 5000; i++) if (hash24(42, i) >= from !== dropoutKeep(42, i, p)) differ++;
      expect(differ, `p=${p}`).toBe(0);
    }
  });

  it('keeps about 1 − p of the elements', () => {
    let kept = 0;
    for (let i = 0; i < 20000; i++) kept += dropoutKeep(7, i, 0.25) ? 1 : 0;
    expect(kept / 20000).toBeGreaterThan(0.73);
    expect(kept / 20000).toBeLessThan(0.77);
  });
});
