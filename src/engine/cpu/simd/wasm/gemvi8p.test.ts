import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { haveRelaxed, kernelInstance } from './kernels.testkit.ts';
import { quantizeActivation } from '../../kernels/quantDot.ts';
import { dequantizePackedQ8Row, packedQ8Bytes, packQ8, unpackQ8 } from '../../kernels/packQ8.ts';
import { dequantizeRow, quantizeQ8 } from '../../../quant.ts';
import { createRng } from '../../../sampling/rng.ts';
import { Q8P_GROUP_BYTES } from './gemvi8p.ts';

/** x with a zero group, a spike and a wide range of magnitudes */
function activation(r: ReturnType<typeof createRng>, K: number): Float32Array {
  const x = Float32Array.from({ length: K }, () => r.normal() * Math.exp(r.normal()));
  if (K >= 64) x.fill(0, 32, 64);
  if (K >= 96) x[70] = -3;
  return x;
}

/** a bump allocator over the test memory (16-byte aligned, a gap between regions) */
function arena(start = 1024): (bytes: number) => number {
  let p = start;
  return (bytes) => {
    const o = p;
    p += Math.ceil(bytes / 16) * 16 + 16;
    return o;
  };
}

describe('PackedQ8 (packQ8 / unpackQ8, the JS twins)', () => {
  it('round-trips every byte and scale; a packed row dequantises as the stored row does (groups 1–9, 18)', () => {
    const r = createRng(3);
    for (const G of [1, 2, 3, 4, 5, 6, 7, 8, 9, 18]) {
      const [N, K] = [8, 32 * G];
      const w = quantizeQ8(Float32Array.from({ length: N * K }, () => r.normal()), N, K);
      const p = { kind: 'q8p' as const, rows: N, cols: K, groupSize: 32 as const, data: new Uint8Array(packedQ8Bytes(N, K)) };
      packQ8(w, p.data);
      const back = unpackQ8(p);
      expect(Array.from(back.q)).toEqual(Array.from(w.q));
      expect(Array.from(back.scales)).toEqual(Array.from(w.scales));
      const [a, b] = [new Float32Array(K), new Float32Array(K)];
      for (const n of [0, 3, 5, 7]) {
        dequantizeRow(w, n, a);
        dequantizePackedQ8Row(p, n, b);
        expect(b).toEqual(a);
      }
    }
  });
});

describe('packed int8 decode: qxNat16p + gemvi8p, unq8p', () => {
  it('qxNat16p: the int8 values (as i16) and scales of quantizeActivation in the panels’ order', () => {
    const r = createRng(43);
    const { mem, k } = kernelInstance(false);
    for (const K of [32, 96, 128, 160, 576, 1536]) {
      const x = activation(r, K);
      const at = arena();
      const [xO, xq, xs, xc] = [at(K * 4), at(K * 2), at(K / 8), at(K / 8)];
      new Float32Array(mem.buffer, xO, K).set(x);
      k['qxNat16p']!(xO, xq, xs, xc, K / 32);
      const want = quantizeActivation(x, K);
      const G = K / 32;
      const B = G >> 2;
      const h = new Int16Array(mem.buffer, xq, K);
      for (let c = 0; c < K; c++) {
        const g = c >> 5;
        const j = c & 31; // in a block: i16 vector j >> 1, lane 2·(g & 3) + (j & 1)
        const at2 = g < 4 * B ? 128 * (g >> 2) + 8 * (j >> 1) + 2 * (g & 3) + (j & 1) : 32 * g + j;
        expect(h[at2]).toBe(want.q[c]);
      }
      expect(Array.from(new Float32Array(mem.buffer, xs, G))).toEqual(Array.from(want.s));
    }
  });

  for (const fma of [false, true]) {
    it.runIf(!fma || haveRelaxed)(`gemvi8p${fma ? ' (relaxed build)' : ''}: the same bits as gemvi8 on the rows as stored (panels 1–7; groups 1–9, 18, 48); any panel split`, () => {
      const { mem, k } = kernelInstance(fma);
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 7 }), fc.constantFrom(1, 2, 3, 4, 5, 6, 7, 8, 9, 18, 48), fc.nat(), (panels, G, seed) => {
          const r = createRng(seed);
          const N = 4 * panels;
          const K = 32 * G;
          const w = quantizeQ8(Float32Array.from({ length: N * K }, () => r.normal() * 0.05), N, K);
          const x = activation(r, K);
          const at = arena();
          const [xO, xq, xs, xc, xq2, qO, sO, pO, o1, o2, o3] = [at(K * 4), at(K * 2), at(K / 8), at(K / 8), at(K * 2), at(w.q.byteLength), at(w.scales.byteLength), at(packedQ8Bytes(N, K)), at(N * 4), at(N * 4), at(N * 4)];
          new Float32Array(mem.buffer, xO, K).set(x);
          new Int8Array(mem.buffer, qO, w.q.length).set(w.q);
          new Float32Array(mem.buffer, sO, w.scales.length).set(w.scales);
          packQ8(w, new Uint8Array(mem.buffer, pO, packedQ8Bytes(N, K)));
          k['qxNat16']!(xO, xq, xs, xc, G);
          k['gemvi8']!(xq, xs, xc, qO, sO, o1, N, K);
          k['qxNat16p']!(xO, xq2, xs, xc, G);
          k['gemvi8p']!(xq2, xs, xc, pO, o2, panels, K);
          const want = Array.from(new Float32Array(mem.buffer, o1, N));
          expect(Array.from(new Float32Array(mem.buffer, o2, N))).toEqual(want);
          for (let p = 0; p < panels; p++) k['gemvi8p']!(xq2, xs, xc, pO + p * Q8P_GROUP_BYTES * G, o3 + 16 * p, 1, K);
          expect(Array.from(new Float32Array(mem.buffer, o3, N))).toEqual(want);
        }),
        { numRuns: 30 },
      );
    });
  }

  it('gemvi8p reads nothing past its panels (weights ending at the last byte of memory)', () => {
    const r = createRng(9);
    const { mem, k } = kernelInstance(false);
    for (const [N, K] of [[4, 32], [8, 160], [12, 576]] as const) {
      const w = quantizeQ8(Float32Array.from({ length: N * K }, () => r.normal() * 0.05), N, K);
      const bytes = packedQ8Bytes(N, K);
      const at = arena();
      const [xO, xq, xs, xc, mid, o1, o2] = [at(K * 4), at(K * 2), at(K / 8), at(K / 8), at(bytes), at(N * 4), at(N * 4)];
      const end = mem.buffer.byteLength - bytes;
      packQ8(w, new Uint8Array(mem.buffer, end, bytes));
      packQ8(w, new Uint8Array(mem.buffer, mid, bytes));
      new Float32Array(mem.buffer, xO, K).set(activation(r, K));
      k['qxNat16p']!(xO, xq, xs, xc, K / 32);
      k['gemvi8p']!(xq, xs, xc, end, o1, N / 4, K);
      k['gemvi8p']!(xq, xs, xc, mid, o2, N / 4, K);
      expect(Array.from(new Float32Array(mem.buffer, o1, N))).toEqual(Array.from(new Float32Array(mem.buffer, o2, N)));
    }
  });

  it('unq8p gives back the stored bytes and scales exactly (groups 1–9, 18, 48; several panels)', () => {
    const r = createRng(15);
    const { mem, k } = kernelInstance(false);
    for (const G of [1, 2, 3, 4, 5, 6, 7, 8, 9, 18, 48]) {
      for (const panels of [1, 3, 4]) {
        const N = 4 * panels;
        const K = 32 * G;
        const w = quantizeQ8(Float32Array.from({ length: N * K }, () => r.normal()), N, K);
        const at = arena();
        const [pO, qO, sO] = [at(packedQ8Bytes(N, K)), at(w.q.length), at(w.scales.byteLength)];
        packQ8(w, new Uint8Array(mem.buffer, pO, packedQ8Bytes(N, K)));
        k['unq8p']!(pO, qO, sO, panels, K);
        expect(Array.from(new Int8Array(mem.buffer, qO, w.q.length))).toEqual(Array.from(w.q));
        expect(Array.from(new Float32Array(mem.buffer, sO, w.scales.length))).toEqual(Array.from(w.scales));
      }
    }
  });
});
