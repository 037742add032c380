import { describe, expect, it } from 'vitest';
import { embeddingGather } from './embeddingGather.ts';
import { dequantize, quantizeQ4, quantizeQ8 } from '../../quant.ts';
import { createRng } from '../../sampling/rng.ts';

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

  it('refuses ids outside the vocabulary', () => {
    expect(() => embeddingGather(Int32Array.of(10), { kind: 'f32', rows: V, cols: d, data: table }, new Float32Array(d))).toThrow(/outside the vocabulary/);
    expect(() => embeddingGather(Int32Array.of(-1), { kind: 'f32', rows: V, cols: d, data: table }, new Float32Array(d))).toThrow(/outside/);
  });
});
