import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { haveRelaxed, kernelInstance } from './kernels.testkit.ts';
import { quantizeActivation } from '../../kernels/quantDot.ts';
import { packedQ4Bytes, packQ4 } from '../../kernels/packQ4.ts';
import { quantizeQ4 } from '../../../quant.ts';
import { createRng } from '../../../sampling/rng.ts';

const instance = (fma = true): ReturnType<typeof kernelInstance> => kernelInstance(fma);

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

/**
 * A panel kernel against the row-layout kernel it must equal bit for bit (panels 1–7; groups 1–9, 18, 48), whole and
 * one panel per call (a thread split). `xqBytes`: bytes of quantised activation per column (1 relaxed, 2 plain).
 */
function panelsEqualRows(fma: boolean, kern: { quant: string; gemv: string; quantP: string; gemvP: string; xqBytes: number }, numRuns: number): void {
  const { mem, k } = instance(fma);
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 7 }), fc.constantFrom(1, 2, 3, 4, 5, 6, 7, 8, 9, 18, 48), fc.nat(), (panels, G, seed) => {
      const r = createRng(seed);
      const N = 4 * panels;
      const K = 32 * G;
      const w = quantizeQ4(Float32Array.from({ length: N * K }, () => r.normal() * 0.05), N, K);
      const x = activation(r, K);
      const at = arena();
      const [xO, xq, xs, xc, xq2, qO, sO, pO, o1, o2, o3] = [at(K * 4), at(K * kern.xqBytes), at(K / 8), at(K / 8), at(K * kern.xqBytes), at(w.q.byteLength), at(w.scales.byteLength), at(packedQ4Bytes(N, K)), at(N * 4), at(N * 4), at(N * 4)];
      new Float32Array(mem.buffer, xO, K).set(x);
      new Uint8Array(mem.buffer, qO, w.q.length).set(w.q);
      new Float32Array(mem.buffer, sO, w.scales.length).set(w.scales);
      packQ4(w, new Uint8Array(mem.buffer, pO, packedQ4Bytes(N, K)));
      k[kern.quant]!(xO, xq, xs, xc, G);
      k[kern.gemv]!(xq, xs, xc, qO, sO, o1, N, K);
      k[kern.quantP]!(xO, xq2, xs, xc, G);
      k[kern.gemvP]!(xq2, xs, xc, pO, o2, panels, K);
      const want = Array.from(new Float32Array(mem.buffer, o1, N));
      expect(Array.from(new Float32Array(mem.buffer, o2, N))).toEqual(want);
      for (let p = 0; p < panels; p++) k[kern.gemvP]!(xq2, xs, xc, pO + p * 80 * G, o3 + 16 * p, 1, K);
      expect(Array.from(new Float32Array(mem.buffer, o3, N))).toEqual(want);
    }),
    { numRuns },
  );
}

describe.runIf(haveRelaxed)('packed int4 decode (PackedQ4): qxIlv8 + gemvi4p, unq4p', () => {
  it('qxIlv8: the int8 values and scales of quantizeActivation in the panels’ column order; corr = −8·Σq per group', () => {
    const r = createRng(41);
    const { mem, k } = instance();
    for (const K of [32, 96, 128, 160, 576, 1536]) {
      const x = activation(r, K);
      const at = arena();
      const [xO, xq, xs, xc] = [at(K * 4), at(K), at(K / 8), at(K / 8)];
      new Float32Array(mem.buffer, xO, K).set(x);
      k['qxIlv8']!(xO, xq, xs, xc, K / 32);
      const want = quantizeActivation(x, K);
      const G = K / 32;
      const B = G >> 2;
      const b = new Int8Array(mem.buffer, xq, K);
      for (let c = 0; c < K; c++) {
        const g = c >> 5;
        const j = c & 31; // column in the group: chunk v = j >> 3 of 8 columns, even/odd, position (j >> 1) & 3
        const at2 = g < 4 * B ? 128 * (g >> 2) + 32 * (j >> 3) + 16 * (j & 1) + 4 * (g & 3) + ((j >> 1) & 3) : 32 * g + 16 * (j & 1) + (j >> 1);
        expect(b[at2]).toBe(want.q[c]);
      }
      expect(Array.from(new Float32Array(mem.buffer, xs, G))).toEqual(Array.from(want.s));
      const corr = new Int32Array(mem.buffer, xc, G);
      for (let g = 0; g < G; g++) expect(corr[g]).toBe(-8 * want.q.subarray(32 * g, 32 * g + 32).reduce((a, v) => a + v, 0) + 0);
    }
  });

  it('gemvi4p on the packed panels: the same bits as gemvi4r on the rows as stored (panels 1–7; groups 1–9, 18, 48); any panel split', () => {
    panelsEqualRows(true, { quant: 'qxEo8', gemv: 'gemvi4r', quantP: 'qxIlv8', gemvP: 'gemvi4p', xqBytes: 1 }, 40);
  });

  it('gemvi4p reads nothing past its panels (weights ending at the last byte of memory)', () => {
    const r = createRng(8);
    const { mem, k } = instance();
    for (const [N, K] of [[4, 32], [8, 160], [12, 576]] as const) {
      const w = quantizeQ4(Float32Array.from({ length: N * K }, () => r.normal() * 0.05), N, K);
      const bytes = packedQ4Bytes(N, K);
      const at = arena();
      const [xO, xq, xs, xc, mid, o1, o2] = [at(K * 4), at(K), at(K / 8), at(K / 8), at(bytes), at(N * 4), at(N * 4)];
      const end = mem.buffer.byteLength - bytes;
      packQ4(w, new Uint8Array(mem.buffer, end, bytes));
      packQ4(w, new Uint8Array(mem.buffer, mid, bytes));
      new Float32Array(mem.buffer, xO, K).set(activation(r, K));
      k['qxIlv8']!(xO, xq, xs, xc, K / 32);
      k['gemvi4p']!(xq, xs, xc, end, o1, N / 4, K);
      k['gemvi4p']!(xq, xs, xc, mid, o2, N / 4, K);
      expect(Array.from(new Float32Array(mem.buffer, o1, N))).toEqual(Array.from(new Float32Array(mem.buffer, o2, N)));
    }
  });

  it('unq4p gives back the stored bytes and scales exactly (groups 1–9, 18, 48; several panels)', () => {
    const r = createRng(13);
    const { mem, k } = instance();
    for (const G of [1, 2, 3, 4, 5, 6, 7, 8, 9, 18, 48]) {
      for (const panels of [1, 3, 4]) {
        const N = 4 * panels;
        const K = 32 * G;
        const w = quantizeQ4(Float32Array.from({ length: N * K }, () => r.normal()), N, K);
        const at = arena();
        const [pO, qO, sO] = [at(packedQ4Bytes(N, K)), at(w.q.length), at(w.scales.byteLength)];
        packQ4(w, new Uint8Array(mem.buffer, pO, packedQ4Bytes(N, K)));
        k['unq4p']!(pO, qO, sO, panels, K);
        expect(Array.from(new Uint8Array(mem.buffer, qO, w.q.length))).toEqual(Array.from(w.q));
        expect(Array.from(new Float32Array(mem.buffer, sO, w.scales.length))).toEqual(Array.from(w.scales));
      }
    }
  });
});

describe('packed int4 decode, plain SIMD: qxMod16p + gemvi4pm', () => {
  it('qxMod16p: the int8 values (as i16) and scales of quantizeActivation in the panels’ order; corr = −8·Σq', () => {
    const r = createRng(42);
    const { mem, k } = instance(false);
    for (const K of [32, 96, 128, 160, 576, 1536]) {
      const x = activation(r, K);
      const at = arena();
      const [xO, xq, xs, xc] = [at(K * 4), at(K * 2), at(K / 8), at(K / 8)];
      new Float32Array(mem.buffer, xO, K).set(x);
      k['qxMod16p']!(xO, xq, xs, xc, K / 32);
      const want = quantizeActivation(x, K);
      const G = K / 32;
      const B = G >> 2;
      const h = new Int16Array(mem.buffer, xq, K);
      for (let c = 0; c < K; c++) {
        const g = c >> 5;
        const j = c & 31; // mod16: vector j & 3, lane j >> 2; in a block lane (j >> 2) = 2v + h goes to vector (v, j & 3), lane 2·(g & 3) + h
        const v = j >> 3;
        const at2 = g < 4 * B ? 128 * (g >> 2) + 32 * v + 8 * (j & 3) + 2 * (g & 3) + ((j >> 2) & 1) : 32 * g + 8 * (j & 3) + (j >> 2);
        expect(h[at2]).toBe(want.q[c]);
      }
      expect(Array.from(new Float32Array(mem.buffer, xs, G))).toEqual(Array.from(want.s));
      const corr = new Int32Array(mem.buffer, xc, G);
      for (let g = 0; g < G; g++) expect(corr[g]).toBe(-8 * want.q.subarray(32 * g, 32 * g + 32).reduce((a, v) => a + v, 0) + 0);
    }
  });

  for (const fma of [false, true]) {
    it.runIf(!fma || haveRelaxed)(`gemvi4pm${fma ? ' (relaxed build)' : ''}: the same bits as gemvi4 on the rows as stored (panels 1–7; groups 1–9, 18, 48); any panel split`, () => {
      panelsEqualRows(fma, { quant: 'qxMod16', gemv: 'gemvi4', quantP: 'qxMod16p', gemvP: 'gemvi4pm', xqBytes: 2 }, 30);
    });
  }

  it('unq4p in the plain build gives back the stored bytes and scales', () => {
    const r = createRng(14);
    const { mem, k } = instance(false);
    for (const G of [1, 3, 4, 5, 18]) {
      const N = 8;
      const K = 32 * G;
      const w = quantizeQ4(Float32Array.from({ length: N * K }, () => r.normal()), N, K);
      const at = arena();
      const [pO, qO, sO] = [at(packedQ4Bytes(N, K)), at(w.q.length), at(w.scales.byteLength)];
      packQ4(w, new Uint8Array(mem.buffer, pO, packedQ4Bytes(N, K)));
      k['unq4p']!(pO, qO, sO, 2, K);
      expect(Array.from(new Uint8Array(mem.buffer, qO, w.q.length))).toEqual(Array.from(w.q));
      expect(Array.from(new Float32Array(mem.buffer, sO, w.scales.length))).toEqual(Array.from(w.scales));
    }
  });
});
