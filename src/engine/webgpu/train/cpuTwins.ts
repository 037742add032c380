/**
 * CPU twins of the WGSL training kernels (shaders/train/*.wgsl): the same math in plain TypeScript, f64
 * accumulation, for the GPU parity tests (tests/gpu/trainKernels.gpu.test.ts). Each is also checked against finite
 * differences (cpuTwins.test.ts), so GPU = twin = the derivative.
 *
 * @example
 * gemmCpu(dy, x, dW, N, K, T, { transA: true });
 */
import { dequantizeRow, type Matrix } from '../../quant.ts';

export interface GemmCpuOptions {
  transA?: boolean;
  transB?: boolean;
  alpha?: number;
  accumulate?: boolean;
}

/** c[M, N] = alpha · op(a) · op(b) (+ c). */
export function gemmCpu(a: Float32Array, b: Float32Array, c: Float32Array, M: number, N: number, K: number, o: GemmCpuOptions = {}): void {
  const alpha = o.alpha ?? 1;
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += (o.transA ? a[k * M + m]! : a[m * K + k]!) * (o.transB ? b[n * K + k]! : b[k * N + n]!);
      c[m * N + n] = (o.accumulate ? c[m * N + n]! : 0) + alpha * s;
    }
  }
}

/** dx[T, K] = dy[T, N] · W (+ dx), W dequantised row by row. */
export function matmulDxCpu(dy: Float32Array, T: number, w: Matrix, dx: Float32Array, accumulate = false): void {
  const N = w.rows;
  const K = w.cols;
  const acc = new Float64Array(T * K);
  const row = new Float32Array(K);
  for (let n = 0; n < N; n++) {
    dequantizeRow(w, n, row);
    for (let t = 0; t < T; t++) {
      const g = dy[t * N + n]!;
      if (g === 0) continue;
      for (let k = 0; k < K; k++) acc[t * K + k] = acc[t * K + k]! + g * row[k]!;
    }
  }
  for (let i = 0; i < T * K; i++) dx[i] = (accumulate ? dx[i]! : 0) + acc[i]!;
}

/** RMSNorm backward: dx (+= with accumulate) and, when given, dw += Σ_t dy·x·r_t. */
export function rmsNormBackwardCpu(x: Float32Array, T: number, d: number, weight: Float32Array, eps: number, dy: Float32Array, dx: Float32Array, dw?: Float32Array, accumulate = false): void {
  for (let t = 0; t < T; t++) {
    const o = t * d;
    let ss = 0;
    let c = 0;
    for (let i = 0; i < d; i++) {
      ss += x[o + i]! * x[o + i]!;
      c += dy[o + i]! * weight[i]! * x[o + i]!;
    }
    const r = 1 / Math.sqrt(ss / d + eps);
    const k = (r * r * r * c) / d;
    for (let i = 0; i < d; i++) {
      dx[o + i] = (accumulate ? dx[o + i]! : 0) + r * weight[i]! * dy[o + i]! - x[o + i]! * k;
      if (dw) dw[i] = dw[i]! + dy[o + i]! * x[o + i]! * r;
    }
  }
}

/** SwiGLU backward (adds to dGate, dUp). */
export function siluMulBackwardCpu(gate: Float32Array, up: Float32Array, dy: Float32Array, dGate: Float32Array, dUp: Float32Array): void {
  for (let i = 0; i < gate.length; i++) {
    const g = gate[i]!;
    const s = 1 / (1 + Math.exp(-g));
    dGate[i] = dGate[i]! + dy[i]! * up[i]! * s * (1 + g * (1 - s));
    dUp[i] = dUp[i]! + dy[i]! * g * s;
  }
}

/** dtable[tokens[t]] += dy[t]. */
export function embeddingBackwardCpu(tokens: Int32Array, dy: Float32Array, d: number, dtable: Float32Array): void {
  for (let t = 0; t < tokens.length; t++) {
    const o = tokens[t]! * d;
    for (let k = 0; k < d; k++) dtable[o + k] = dtable[o + k]! + dy[t * d + k]!;
  }
}

/**
 * Softmax cross-entropy: writes each row's unweighted loss to `lossRows` (0 for a target outside 0..V-1) and the
 * gradient of Σ rowWeight · loss to dlogits; returns that weighted sum (rowWeight as `lossRowWeights`: the masked mean).
 */
export function crossEntropyCpu(logits: Float32Array, T: number, V: number, targets: Int32Array, rowWeight: Float32Array, dlogits: Float32Array, lossRows?: Float32Array): number {
  let loss = 0;
  for (let t = 0; t < T; t++) {
    const o = t * V;
    const tg = targets[t]!;
    const w = tg >= 0 && tg < V ? rowWeight[t]! : 0;
    let mx = -Infinity;
    for (let v = 0; v < V; v++) mx = Math.max(mx, logits[o + v]!);
    let s = 0;
    for (let v = 0; v < V; v++) s += Math.exp(logits[o + v]! - mx);
    const lse = mx + Math.log(s);
    const rowLoss = tg >= 0 && tg < V ? lse - logits[o + tg]! : 0;
    if (lossRows) lossRows[t] = rowLoss;
    loss += w * rowLoss;
    for (let v = 0; v < V; v++) dlogits[o + v] = w === 0 ? 0 : w * (Math.exp(logits[o + v]! - lse) - (v === tg ? 1 : 0));
  }
  return loss;
}

export interface AttentionCpuShape {
  T: number;
  S: number;
  nHeads: number;
  nKv: number;
  hd: number;
}

/** Causal GQA attention over B sequences of S rows; writes out and lse [T, nHeads]. */
export function attentionForwardCpu(s: AttentionCpuShape, q: Float32Array, k: Float32Array, v: Float32Array, out: Float32Array, lse: Float32Array): void {
  const { T, S, nHeads, nKv, hd } = s;
  const group = nHeads / nKv;
  const scale = 1 / Math.sqrt(hd);
  const p = new Float64Array(S);
  for (let t = 0; t < T; t++) {
    const first = Math.floor(t / S) * S;
    for (let h = 0; h < nHeads; h++) {
      const qo = (t * nHeads + h) * hd;
      const kvh = Math.floor(h / group);
      let mx = -Infinity;
      for (let j = first; j <= t; j++) {
        let dot = 0;
        for (let i = 0; i < hd; i++) dot += q[qo + i]! * k[(j * nKv + kvh) * hd + i]!;
        p[j - first] = dot * scale;
        mx = Math.max(mx, p[j - first]!);
      }
      let sum = 0;
      for (let j = first; j <= t; j++) sum += (p[j - first] = Math.exp(p[j - first]! - mx));
      for (let i = 0; i < hd; i++) {
        let acc = 0;
        for (let j = first; j <= t; j++) acc += p[j - first]! * v[(j * nKv + kvh) * hd + i]!;
        out[qo + i] = acc / sum;
      }
      lse[t * nHeads + h] = mx + Math.log(sum);
    }
  }
}

/** Its backward: adds to dq, dk, dv from dout, with the probabilities recomputed exactly. */
export function attentionBackwardCpu(s: AttentionCpuShape, q: Float32Array, k: Float32Array, v: Float32Array, dout: Float32Array, dq: Float32Array, dk: Float32Array, dv: Float32Array): void {
  const { T, S, nHeads, nKv, hd } = s;
  const group = nHeads / nKv;
  const scale = 1 / Math.sqrt(hd);
  const p = new Float64Array(S);
  const dp = new Float64Array(S);
  for (let t = 0; t < T; t++) {
    const first = Math.floor(t / S) * S;
    for (let h = 0; h < nHeads; h++) {
      const qo = (t * nHeads + h) * hd;
      const kvh = Math.floor(h / group);
      let mx = -Infinity;
      for (let j = first; j <= t; j++) {
        let dot = 0;
        for (let i = 0; i < hd; i++) dot += q[qo + i]! * k[(j * nKv + kvh) * hd + i]!;
        p[j - first] = dot * scale;
        mx = Math.max(mx, p[j - first]!);
      }
      let sum = 0;
      for (let j = first; j <= t; j++) sum += (p[j - first] = Math.exp(p[j - first]! - mx));
      let D = 0;
      for (let j = first; j <= t; j++) {
        p[j - first] = p[j - first]! / sum;
        let e = 0;
        for (let i = 0; i < hd; i++) e += dout[qo + i]! * v[(j * nKv + kvh) * hd + i]!;
        dp[j - first] = e;
        D += p[j - first]! * e;
      }
      for (let j = first; j <= t; j++) {
        const ko = (j * nKv + kvh) * hd;
        const pj = p[j - first]!;
        const ds = pj * (dp[j - first]! - D) * scale;
        for (let i = 0; i < hd; i++) {
          dq[qo + i] = dq[qo + i]! + ds * k[ko + i]!;
          dk[ko + i] = dk[ko + i]! + ds * q[qo + i]!;
          dv[ko + i] = dv[ko + i]! + pj * dout[qo + i]!;
        }
      }
    }
  }
}

export interface AdamwCpuHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

/** One AdamW step in place (f32 state, as on the GPU); `clip` multiplies the gradient. */
export function adamwCpu(param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, h: AdamwCpuHyper, step: number, clip = 1): void {
  const bc1 = 1 - Math.pow(h.beta1, step);
  const bc2 = 1 - Math.pow(h.beta2, step);
  for (let i = 0; i < param.length; i++) {
    const g = grad[i]! * clip;
    m[i] = h.beta1 * m[i]! + (1 - h.beta1) * g;
    v[i] = h.beta2 * v[i]! + (1 - h.beta2) * g * g;
    const p = param[i]!;
    param[i] = p - h.lr * (h.weightDecay * p + m[i]! / bc1 / (Math.sqrt(v[i]! / bc2) + h.eps));
  }
}

/** Σ g² over several tensors. */
export function gradNormSqCpu(grads: readonly Float32Array[]): number {
  let s = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) s += g[i]! * g[i]!;
  return s;
}

/** The clipping factor adamw.wgsl and scale.wgsl's `clip` apply. */
export function clipFactorCpu(normSq: number, maxNorm: number): number {
  return maxNorm > 0 ? Math.min(1, maxNorm / (Math.sqrt(normSq) + 1e-6)) : 1;
}

export interface LoraCpuModule {
  x: Float32Array;
  T: number;
  inDim: number;
  outDim: number;
  rank: number;
  scale: number;
  A: Float32Array;
  B: Float32Array;
}

/** u = x·Aᵀ; y += scale·u·Bᵀ. */
export function loraForwardCpu(l: LoraCpuModule, u: Float32Array, y: Float32Array): void {
  gemmCpu(l.x, l.A, u, l.T, l.rank, l.inDim, { transB: true });
  gemmCpu(u, l.B, y, l.T, l.outDim, l.rank, { transB: true, alpha: l.scale, accumulate: true });
}

/** dB += scale·dyᵀ·u; du = scale·dy·B; dA += duᵀ·x; dx += du·A. */
export function loraBackwardCpu(l: LoraCpuModule, u: Float32Array, dy: Float32Array, dA: Float32Array, dB: Float32Array, dx?: Float32Array): void {
  const du = new Float32Array(l.T * l.rank);
  gemmCpu(dy, u, dB, l.outDim, l.rank, l.T, { transA: true, alpha: l.scale, accumulate: true });
  gemmCpu(dy, l.B, du, l.T, l.rank, l.outDim, { alpha: l.scale });
  gemmCpu(du, l.x, dA, l.rank, l.inDim, l.T, { transA: true, accumulate: true });
  if (dx) gemmCpu(du, l.A, dx, l.T, l.inDim, l.rank, { accumulate: true });
}
