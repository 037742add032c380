/**
 * Causal GQA attention forward and backward on the CPU, per (sequence, head) as small matrix products on the SIMD
 * gemm (`gemm.ts`): `S = Q Kᵀ`, `O = P V`; backward `dP = dO Vᵀ`, `dS = P ∘ (dP − rowsum(dO ∘ O))`, `dQ = dS K`,
 * `dK = dSᵀ Q`, `dV = Pᵀ dO` (scores scaled by `1/sqrt(headDim)`; the probabilities are rebuilt from the saved
 * log-sum-exp). The causal upper triangle is computed and discarded: at training sequence lengths the SIMD product
 * is still several times faster than a triangular scalar loop.
 */
import type { AttentionShape } from '../trainOps.ts';
import { gemmABt } from './gemm.ts';

interface Work {
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
  vt: Float32Array;
  s: Float32Array;
  o: Float32Array;
  t1: Float32Array;
  t2: Float32Array;
  t3: Float32Array;
}
let work: Work | null = null;
function ws(S: number, D: number): Work {
  if (!work || work.s.length < S * S || work.q.length < S * D) {
    const sd = (): Float32Array => new Float32Array(S * D);
    work = { q: sd(), k: sd(), v: sd(), vt: sd(), o: sd(), s: new Float32Array(S * S), t1: new Float32Array(S * S), t2: sd(), t3: new Float32Array(Math.max(S * S, S * D)) };
  }
  return work;
}

/** rows `b·S .. b·S+S` of head `h` (width `D`, row stride `stride`) into `dst [S, D]` */
function gather(src: Float32Array, b: number, S: number, stride: number, h: number, D: number, dst: Float32Array): Float32Array {
  for (let i = 0; i < S; i++) {
    const o = (b * S + i) * stride + h * D;
    for (let e = 0; e < D; e++) dst[i * D + e] = src[o + e]!;
  }
  return dst;
}
function scatterAdd(src: Float32Array, b: number, S: number, stride: number, h: number, D: number, dst: Float32Array): void {
  for (let i = 0; i < S; i++) {
    const o = (b * S + i) * stride + h * D;
    for (let e = 0; e < D; e++) dst[o + e] = dst[o + e]! + src[i * D + e]!;
  }
}
function transposeInto(a: Float32Array, R: number, C: number, out: Float32Array): Float32Array {
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) out[c * R + r] = a[r * C + c]!;
  return out;
}

/** Rebuilds the causal probabilities `P [S, S]` from scores in `s` and the saved log-sum-exp (zeros above the diagonal). */
function probs(s: Float32Array, S: number, scale: number, lse: Float32Array, b: number, H: number, h: number): void {
  for (let i = 0; i < S; i++) {
    const L = lse[(b * S + i) * H + h]!;
    const r = i * S;
    for (let j = 0; j <= i; j++) s[r + j] = Math.exp(s[r + j]! * scale - L);
    s.fill(0, r + i + 1, r + S);
  }
}

export function attentionForwardCpu(q: Float32Array, k: Float32Array, v: Float32Array, sh: AttentionShape, out: Float32Array, lse: Float32Array): void {
  const { batch, seqLen: S, nHeads: H, nKvHeads: KV, headDim: D } = sh;
  const group = H / KV;
  const scale = 1 / Math.sqrt(D);
  const w = ws(S, D);
  for (let b = 0; b < batch; b++) {
    for (let kh = 0; kh < KV; kh++) {
      gather(k, b, S, KV * D, kh, D, w.k);
      transposeInto(gather(v, b, S, KV * D, kh, D, w.v), S, D, w.vt);
      for (let h = kh * group; h < (kh + 1) * group; h++) {
        gemmABt(gather(q, b, S, H * D, h, D, w.q), S, w.k, S, D, w.s);
        for (let i = 0; i < S; i++) {
          const r = i * S;
          let m = -Infinity;
          for (let j = 0; j <= i; j++) m = Math.max(m, w.s[r + j]! * scale);
          let z = 0;
          for (let j = 0; j <= i; j++) {
            const p = Math.exp(w.s[r + j]! * scale - m);
            w.s[r + j] = p;
            z += p;
          }
          for (let j = 0; j <= i; j++) w.s[r + j] = w.s[r + j]! / z;
          w.s.fill(0, r + i + 1, r + S);
          lse[(b * S + i) * H + h] = m + Math.log(z);
        }
        gemmABt(w.s, S, w.vt, D, S, w.o);
        for (let i = 0; i < S; i++) out.set(w.o.subarray(i * D, (i + 1) * D), (b * S + i) * H * D + h * D);
      }
    }
  }
}

export function attentionBackwardCpu(
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  out: Float32Array,
  lse: Float32Array,
  dOut: Float32Array,
  sh: AttentionShape,
  dq: Float32Array,
  dk: Float32Array,
  dv: Float32Array,
): void {
  const { batch, seqLen: S, nHeads: H, nKvHeads: KV, headDim: D } = sh;
  const group = H / KV;
  const scale = 1 / Math.sqrt(D);
  const w = ws(S, D);
  const dO = new Float32Array(S * D);
  const dOt = new Float32Array(S * D);
  const qt = new Float32Array(S * D);
  const kt = new Float32Array(S * D);
  const dP = new Float32Array(S * S);
  const Pt = new Float32Array(S * S);
  const acc = new Float32Array(S * D);
  for (let b = 0; b < batch; b++) {
    for (let kh = 0; kh < KV; kh++) {
      gather(k, b, S, KV * D, kh, D, w.k);
      transposeInto(w.k, S, D, kt);
      gather(v, b, S, KV * D, kh, D, w.v);
      for (let h = kh * group; h < (kh + 1) * group; h++) {
        gather(q, b, S, H * D, h, D, w.q);
        gather(dOut, b, S, H * D, h, D, dO);
        gemmABt(w.q, S, w.k, S, D, w.s);
        probs(w.s, S, scale, lse, b, H, h);
        // dV += Pᵀ dO
        transposeInto(w.s, S, S, Pt);
        transposeInto(dO, S, D, dOt);
        gemmABt(Pt, S, dOt, D, S, acc);
        scatterAdd(acc, b, S, KV * D, kh, D, dv);
        // dP = dO Vᵀ; dS = P ∘ (dP − Di) · scale
        gemmABt(dO, S, w.v, S, D, dP);
        for (let i = 0; i < S; i++) {
          let Di = 0;
          const o = (b * S + i) * H * D + h * D;
          for (let e = 0; e < D; e++) Di += dO[i * D + e]! * out[o + e]!;
          const r = i * S;
          for (let j = 0; j <= i; j++) dP[r + j] = w.s[r + j]! * (dP[r + j]! - Di) * scale;
          dP.fill(0, r + i + 1, r + S);
        }
        // dQ += dS K ; dK += dSᵀ Q
        gemmABt(dP, S, kt, D, S, acc);
        scatterAdd(acc, b, S, H * D, h, D, dq);
        transposeInto(dP, S, S, Pt);
        transposeInto(w.q, S, D, qt);
        gemmABt(Pt, S, qt, D, S, acc);
        scatterAdd(acc, b, S, KV * D, kh, D, dk);
      }
    }
  }
}
