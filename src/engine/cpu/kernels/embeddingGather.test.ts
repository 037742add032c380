import { describe, expect, it } from 'vitest';
import { embeddingGather } from './embeddingGather.ts';
import { dequantize, quantizeQ4, quantizeQ8 } from '../../quant.ts';
import { createRng } from '../../sampling/rng.ts';
import { packF32 } from '../simd/simdRuntime.ts';

describe('embeddingGather', () => {
  const r = createRng(2);
  const [V, d] = [10, 64];
  const table = Float32Array.from({ length: V * d }, () => r.normal());
  const tokens = Int32Array.of(3, 0, 9, 3);

  it('copies f32 rows and dequantises int8/int4 rows', () => {
    for (const m of [{ kind: 'f32' as const, rows: V, cols: d, data: table }, quantizeQ8(table, V, d), quantizeQ4(table, V, d)]) {
      const dense = dequantize(m);
      const out = new Float32Array(tokens.length * d);
      embeddingGather(tokens, m, out);
      tokens.forEach((id, t) => expect(Array.from(out.subarray(t * d, t * d + d))).toEqual(Array.from(dense.subarray(id * d, id * d + d))));
    }
  });

  it('reads the packed f32 layout (panels of 16 rows)', () => {
    const [V2, d2] = [32, 8];
    const t2 = Float32Array.from({ length: V2 * d2 }, () => r.normal());
    const packed = new Float32Array(V2 * d2);
    packF32(t2, V2, d2, packed);
    const ids = Int32Array.of(0, 17, 31, 5);
    const out = new Float32Array(ids.length * d2);
    embeddingGather(ids, { kind: 'f32p', rows: V2, cols: d2, data: packed }, out);
    ids.forEach((id, t) => expect(Array.from(out.subarray(t * d2, t * d2 + d2))).toEqual(Array.from(t2.subarray(id * d2, id * d2 + d2))));
  });

  it('refuses ids outside the vocabulary', () => {
    expect(() => embeddingGather(Int32Array.of(10), { kind: 'f32', rows: V, cols: d, data: table }, new Float32Array(d))).toThrow(/outside the vocabulary/);
    expect(() => embeddingGather(Int32Array.of(-1), { kind: 'f32', rows: V, cols: d, data: table }, new Float32Array(d))).toThrow(/outside/);
  });
});
