import { describe, expect, it } from 'vitest';
import { dispatch1d, MAX_GROUPS } from './program.ts';
import { bucketSize } from './bufferPool.ts';

describe('dispatch1d', () => {
  it('uses one row of workgroups while it fits, then folds into y with enough threads', () => {
    expect(dispatch1d(1)).toEqual([1, 1, 1]);
    expect(dispatch1d(256 * MAX_GROUPS)).toEqual([MAX_GROUPS, 1, 1]);
    for (const n of [256 * MAX_GROUPS + 1, 256 * MAX_GROUPS * 3 + 17, 1e9]) {
      const [x, y] = dispatch1d(n);
      expect(x).toBeLessThanOrEqual(MAX_GROUPS);
      expect(x * y * 256).toBeGreaterThanOrEqual(n);
    }
  });
});

describe('bucketSize', () => {
  it('rounds to powers of two up to 1 MiB, then to whole MiB', () => {
    expect(bucketSize(1)).toBe(16);
    expect(bucketSize(100)).toBe(128);
    expect(bucketSize(1 << 20)).toBe(1 << 20);
    expect(bucketSize((1 << 20) + 1)).toBe(2 << 20);
    expect(bucketSize(5.5 * (1 << 20))).toBe(6 << 20);
  });
});
