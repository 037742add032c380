import { describe, expect, it } from 'vitest';
import { simdRuntime } from './simdRuntime.ts';
import { sleb, uleb } from './wasmEmit.ts';
import { quantizeQ4 } from '../../quant.ts';

describe('wasmEmit LEB128', () => {
  it('encodes unsigned and signed values', () => {
    expect(uleb(0)).toEqual([0]);
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(sleb(-1)).toEqual([0x7f]);
    expect(sleb(63)).toEqual([0x3f]);
    expect(sleb(64)).toEqual([0xc0, 0x00]);
    expect(sleb(-123456)).toEqual([0xc0, 0xbb, 0x78]);
  });
});

const rt = simdRuntime();

describe.runIf(rt !== null)('simdRuntime heap', () => {
  it('copies matrices onto the heap, frees and reuses the space', () => {
    const before = rt!.bytesInUse();
    const src = new Float32Array(64).fill(2);
    const a = rt!.toHeap({ kind: 'f32', rows: 2, cols: 32, data: src });
    src[0] = 7;
    expect(a.kind === 'f32' && a.data[0]).toBe(2);
    expect(rt!.owns(a)).toBe(true);
    expect(rt!.owns({ kind: 'f32', rows: 2, cols: 32, data: src })).toBe(false);
    const q = rt!.toHeap(quantizeQ4(new Float32Array(64).fill(1), 2, 32));
    expect(q.kind === 'q4' && Array.from(q.scales)).toEqual([1 / 7, 1 / 7].map(Math.fround));
    rt!.release(a);
    rt!.release(q);
    rt!.release(q);
    expect(rt!.bytesInUse()).toBe(before);
    const b = rt!.toHeap({ kind: 'f32', rows: 1, cols: 32, data: new Float32Array(32) });
    expect(rt!.bytesInUse()).toBe(before + 128);
    rt!.release(b);
  });
});
