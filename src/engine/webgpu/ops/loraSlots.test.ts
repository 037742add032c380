import { describe, expect, it } from 'vitest';
import { loraBlocks, loraSegments, packLoraSlots } from './loraSlots.ts';

describe('loraSegments', () => {
  it('cuts rows into runs of one adapter and leaves -1 rows out', () => {
    const seg = loraSegments(Int32Array.of(-1, 0, 0, 3, 3, 3, -1, 0));
    expect(seg.count).toBe(3);
    expect(seg.maxLen).toBe(3);
    expect([...seg.data]).toEqual([1, 2, 0, 0, 3, 3, 3, 0, 7, 1, 0, 0]);
    expect(loraSegments(Int32Array.of(-1, -1)).count).toBe(0);
  });
});

describe('loraBlocks', () => {
  it('cuts each run of one adapter into pieces of at most maxRows rows', () => {
    const b = loraBlocks(Int32Array.of(2, 2, 2, 2, 2, -1, 1, 0, 0), 9, 2);
    expect(b.count).toBe(5);
    expect(b.maxLen).toBe(2);
    expect([...b.data]).toEqual([0, 2, 2, 0, 2, 2, 2, 0, 4, 1, 2, 0, 6, 1, 1, 0, 7, 2, 0, 0]);
    expect(loraBlocks(Int32Array.of(0, 0, -1), 2).count).toBe(1);
  });
});

describe('packLoraSlots', () => {
  it('packs offsets, rank and scale little-endian, empty slots as rank 0', () => {
    const bytes = packLoraSlots([{ aOffset: 4, bOffset: 36, rank: 4, scale: 0.5 }, null], 100, 8, 8);
    const v = new DataView(bytes.buffer);
    expect([v.getUint32(0, true), v.getUint32(4, true), v.getUint32(8, true), v.getFloat32(12, true)]).toEqual([4, 36, 4, 0.5]);
    expect([...bytes.subarray(16)]).toEqual(new Array(16).fill(0));
  });

  it('refuses matrices outside the pool', () => {
    expect(() => packLoraSlots([{ aOffset: 0, bOffset: 100, rank: 4, scale: 1 }], 120, 8, 8)).toThrow(/does not fit the pool/);
  });
});
