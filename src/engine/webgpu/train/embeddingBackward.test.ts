import { describe, expect, it } from 'vitest';
import { groupRowsByToken } from './embeddingBackward.ts';

describe('groupRowsByToken', () => {
  it('lists each distinct id once, ascending, with its rows in order', () => {
    const g = groupRowsByToken(Int32Array.from([4, 1, 4, 4, 0, 1]), 5);
    expect(g.U).toBe(3);
    expect(Array.from(g.groups)).toEqual([0, 1, 4]);
    expect(Array.from(g.starts)).toEqual([0, 1, 3, 6]);
    expect(Array.from(g.rows)).toEqual([4, 1, 5, 0, 2, 3]);
  });

  it('refuses ids outside the vocabulary, and handles no rows', () => {
    expect(() => groupRowsByToken(Int32Array.of(0, 5), 5)).toThrow(/outside the vocabulary/);
    expect(() => groupRowsByToken(Int32Array.of(-1), 5)).toThrow(/outside the vocabulary/);
    expect(groupRowsByToken(new Int32Array(0), 5)).toMatchObject({ U: 0, starts: Int32Array.of(0) });
  });
});
