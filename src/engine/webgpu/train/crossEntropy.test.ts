import { describe, expect, it } from 'vitest';
import { lossRowWeights } from './crossEntropy.ts';

describe('lossRowWeights', () => {
  it('divides the mask by the rows that count (mask ≠ 0 and a target ≥ 0)', () => {
    const w = lossRowWeights([1, 0, 1, 1], Int32Array.of(3, 4, -1, 7));
    expect(Array.from(w)).toEqual([0.5, 0, 0, 0.5]);
  });

  it('all zero when no row counts', () => {
    expect(Array.from(lossRowWeights([0, 1], Int32Array.of(1, -100)))).toEqual([0, 0]);
  });
});
