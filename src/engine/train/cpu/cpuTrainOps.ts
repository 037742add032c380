/**
 * `TrainOps` on the CPU: tensors are `Float32Array`s, ops run synchronously as called. The three matrix products go
 * through `gemm.ts` (WASM SIMD where available); everything else is plain TypeScript with f64 accumulation where a
 * sum runs over a row. Frozen f32 weights are packed for the SIMD kernel once at upload (and their transpose kept for
 * `matmulGradInput`); int8/int4 weights stay quantised and are dequantised per call for `matmulGradInput` (QLoRA:
 * the transient f32 copy is one matrix at a time).
 *
 * @example
 * const ops = createCpuTrainOps();
 * const x = ops.upload(Float32Array.of(1, 2, 3, 4), [2, 2]);
 */
import { TributaryError } from '../../../core/errors.ts';
import { embeddingGather } from '../../cpu/kernels/embeddingGather.ts';
import { matmul as kernelMatmul } from '../../cpu/kernels/matmul.ts';
import { ropeInPlace } from '../../cpu/kernels/rope.ts';
import { simdRuntime, type CpuMatrix } from '../../cpu/simd/simdRuntime.ts';
import { dequantize, matrixBytes, type Matrix, type QuantKind } from '../../quant.ts';
import { dropoutKeep, type AdamWHyper, type FrozenWeight, type LinearWeight, type TrainOps, type TrainOpsMemory, type TrainTensor } from '../trainOps.ts';
import { attentionBackwardCpu, attentionForwardCpu } from './attentionCpu.ts';
import { gemmABt, gemmGradInput, gemmGradWeight, scratch, transpose } from './gemm.ts';

class CpuTensor implements TrainTensor {
  disposed = false;
  constructor(
    readonly shape: readonly number[],
    readonly data: Float32Array,
  ) {}
  get size(): number {
    return this.data.length;
  }
}

class CpuFrozen implements FrozenWeight {
  disposed = false;
  /** f32 only: Wᵀ, for matmulGradInput */
  transposed: Float32Array | null = null;
  constructor(
    readonly m: Matrix,
    readonly device: CpuMatrix,
  ) {}
  get kind(): QuantKind {
    return this.m.kind;
  }
  get rows(): number {
    return this.m.rows;
  }
  get cols(): number {
    return this.m.cols;
  }
  get bytes(): number {
    return matrixBytes(this.m);
  }
}

function shapeError(op: string, msg: string): TributaryError {
  return new TributaryError('engine/bad-shape', `${op}: ${msg}`);
}

export function createCpuTrainOps(): TrainOps {
  let tensorBytes = 0;
  let frozenBytes = 0;
  let peak = 0;
  const track = (): void => {
    peak = Math.max(peak, tensorBytes + frozenBytes);
  };

  const T_ = (t: TrainTensor, op: string, need?: number): Float32Array => {
    if (!(t instanceof CpuTensor)) throw shapeError(op, 'not a tensor of this backend.');
    if (t.disposed) throw new TributaryError('engine/disposed', `${op}: the tensor was disposed.`);
    if (need !== undefined && t.data.length < need) throw shapeError(op, `a tensor needs ${need} values, has ${t.data.length}.`);
    return t.data;
  };
  const isFrozen = (w: LinearWeight): w is CpuFrozen => w instanceof CpuFrozen;
  const F_ = (w: CpuFrozen, op: string): CpuFrozen => {
    if (w.disposed) throw new TributaryError('engine/disposed', `${op}: the weight was disposed.`);
    return w;
  };
  const dims = (w: LinearWeight, op: string): [number, number] => {
    if (isFrozen(w)) return [w.rows, w.cols];
    const t = w as TrainTensor;
    if (t.shape.length !== 2) throw shapeError(op, `a trainable weight must be 2-D, got [${t.shape.join(', ')}].`);
    return [t.shape[0]!, t.shape[1]!];
  };

  const ops: TrainOps = {
    name: 'cpu',
    alloc(shape) {
      const n = shape.reduce((a, b) => a * b, 1);
      if (!Number.isInteger(n) || n < 0) throw shapeError('alloc', `bad shape [${shape.join(', ')}].`);
      tensorBytes += n * 4;
      track();
      return new CpuTensor([...shape], new Float32Array(n));
    },
    upload(data, shape) {
      const s = shape ?? [data.length];
      if (s.reduce((a, b) => a * b, 1) !== data.length) throw shapeError('upload', `${data.length} values do not fill shape [${s.join(', ')}].`);
      const t = ops.alloc(s) as CpuTensor;
      t.data.set(data);
      return t;
    },
    write(t, data, offset = 0) {
      const d = T_(t, 'write', offset + data.length);
      d.set(data, offset);
    },
    read(t, offset = 0, length) {
      const d = T_(t, 'read');
      const n = length ?? d.length - offset;
      if (offset < 0 || offset + n > d.length) return Promise.reject(shapeError('read', `range ${offset}+${n} is outside ${d.length} values.`));
      return Promise.resolve(d.slice(offset, offset + n));
    },
    fill(t, value) {
      T_(t, 'fill').fill(value);
    },
    copy(src, dst) {
      const s = T_(src, 'copy');
      T_(dst, 'copy', s.length).set(s);
    },
    uploadFrozen(m) {
      const rt = simdRuntime();
      const device = rt ? rt.toHeapPacked(m) : m;
      frozenBytes += matrixBytes(m);
      track();
      return new CpuFrozen(m, device);
    },
    dispose(t) {
      if (t instanceof CpuTensor) {
        if (!t.disposed) tensorBytes -= t.data.length * 4;
        t.disposed = true;
      } else if (t instanceof CpuFrozen) {
        if (!t.disposed) {
          frozenBytes -= t.bytes;
          simdRuntime()?.release(t.device);
        }
        t.disposed = true;
        t.transposed = null;
      }
    },
    memory(): TrainOpsMemory {
      return { tensors: tensorBytes, frozen: frozenBytes, peak };
    },

    matmul(x, T, w, y, accumulate = false) {
      const [N, K] = dims(w, 'matmul');
      const xd = T_(x, 'matmul', T * K);
      const yd = T_(y, 'matmul', T * N);
      if (isFrozen(w)) {
        const f = F_(w, 'matmul');
        if (!accumulate) kernelMatmul(xd, T, f.device, yd);
        else {
          const tmp = scratch(T * N);
          kernelMatmul(xd, T, f.device, tmp);
          for (let i = 0; i < T * N; i++) yd[i] = yd[i]! + tmp[i]!;
        }
      } else gemmABt(xd, T, T_(w as TrainTensor, 'matmul', N * K), N, K, yd, accumulate);
    },
    matmulGradInput(dy, T, w, dx) {
      const [N, K] = dims(w, 'matmulGradInput');
      const dyd = T_(dy, 'matmulGradInput', T * N);
      const dxd = T_(dx, 'matmulGradInput', T * K);
      if (isFrozen(w)) {
        const f = F_(w, 'matmulGradInput');
        if (f.m.kind === 'f32') {
          f.transposed ??= transpose(f.m.data, N, K, new Float32Array(N * K));
          gemmABt(dyd, T, f.transposed, K, N, dxd, true);
        } else gemmGradInput(dyd, T, dequantize(f.m), N, K, dxd);
      } else gemmGradInput(dyd, T, T_(w as TrainTensor, 'matmulGradInput', N * K), N, K, dxd);
    },
    matmulGradWeight(dy, x, T, dw) {
      if (dw.shape.length !== 2) throw shapeError('matmulGradWeight', 'dW must be 2-D.');
      const [N, K] = [dw.shape[0]!, dw.shape[1]!];
      gemmGradWeight(T_(dy, 'matmulGradWeight', T * N), T_(x, 'matmulGradWeight', T * K), T, N, K, T_(dw, 'matmulGradWeight'));
    },

    loraShrink(x, T, a, h) {
      const [r, K] = dims(a, 'loraShrink');
      gemmABt(T_(x, 'loraShrink', T * K), T, T_(a, 'loraShrink'), r, K, T_(h, 'loraShrink', T * r));
    },
    loraExpand(h, T, b, scale, y) {
      const [N, r] = dims(b, 'loraExpand');
      const tmp = scratch(T * N);
      gemmABt(T_(h, 'loraExpand', T * r), T, T_(b, 'loraExpand'), N, r, tmp);
      const yd = T_(y, 'loraExpand', T * N);
      for (let i = 0; i < T * N; i++) yd[i] = yd[i]! + scale * tmp[i]!;
    },
    loraExpandBackward(dy, h, T, b, scale, dh, dB) {
      const [N, r] = dims(b, 'loraExpandBackward');
      const dyd = T_(dy, 'loraExpandBackward', T * N);
      const sdy = scratch(T * N);
      for (let i = 0; i < T * N; i++) sdy[i] = scale * dyd[i]!;
      gemmGradInput(sdy, T, T_(b, 'loraExpandBackward'), N, r, T_(dh, 'loraExpandBackward', T * r));
      gemmGradWeight(sdy, T_(h, 'loraExpandBackward', T * r), T, N, r, T_(dB, 'loraExpandBackward', N * r));
    },
    loraShrinkBackward(dh, x, T, a, dx, dA) {
      const [r, K] = dims(a, 'loraShrinkBackward');
      const dhd = T_(dh, 'loraShrinkBackward', T * r);
      gemmGradInput(dhd, T, T_(a, 'loraShrinkBackward'), r, K, T_(dx, 'loraShrinkBackward', T * K));
      gemmGradWeight(dhd, T_(x, 'loraShrinkBackward', T * K), T, r, K, T_(dA, 'loraShrinkBackward', r * K));
    },
    dropout(x, p, seed, y) {
      const xd = T_(x, 'dropout');
      const yd = T_(y, 'dropout', xd.length);
      const s = 1 / (1 - p);
      for (let i = 0; i < xd.length; i++) yd[i] = dropoutKeep(seed, i, p) ? xd[i]! * s : 0;
    },
    dropoutBackward(dy, p, seed, dx) {
      const dyd = T_(dy, 'dropoutBackward');
      const dxd = T_(dx, 'dropoutBackward', dyd.length);
      const s = 1 / (1 - p);
      for (let i = 0; i < dyd.length; i++) if (dropoutKeep(seed, i, p)) dxd[i] = dxd[i]! + dyd[i]! * s;
    },

    rmsNorm(x, T, d, w, eps, y, rstd) {
      const xd = T_(x, 'rmsNorm', T * d);
      const wd = T_(w, 'rmsNorm', d);
      const yd = T_(y, 'rmsNorm', T * d);
      const rd = T_(rstd, 'rmsNorm', T);
      for (let t = 0; t < T; t++) {
        const o = t * d;
        let ss = 0;
        for (let i = 0; i < d; i++) ss += xd[o + i]! * xd[o + i]!;
        const r = 1 / Math.sqrt(ss / d + eps);
        rd[t] = r;
        for (let i = 0; i < d; i++) yd[o + i] = xd[o + i]! * r * wd[i]!;
      }
    },
    rmsNormBackward(x, T, d, w, rstd, dy, dx, dw) {
      const xd = T_(x, 'rmsNormBackward', T * d);
      const wd = T_(w, 'rmsNormBackward', d);
      const rd = T_(rstd, 'rmsNormBackward', T);
      const dyd = T_(dy, 'rmsNormBackward', T * d);
      const dxd = T_(dx, 'rmsNormBackward', T * d);
      const dwd = dw ? T_(dw, 'rmsNormBackward', d) : null;
      for (let t = 0; t < T; t++) {
        const o = t * d;
        const r = rd[t]!;
        let dot = 0;
        for (let i = 0; i < d; i++) dot += dyd[o + i]! * wd[i]! * xd[o + i]!;
        const c = (dot * r * r * r) / d;
        for (let i = 0; i < d; i++) dxd[o + i] = dxd[o + i]! + r * wd[i]! * dyd[o + i]! - xd[o + i]! * c;
        if (dwd) for (let i = 0; i < d; i++) dwd[i] = dwd[i]! + dyd[o + i]! * xd[o + i]! * r;
      }
    },
    rope(x, T, nHeads, headDim, positions, invFreq, y) {
      const n = T * nHeads * headDim;
      const xd = T_(x, 'rope', n);
      const yd = T_(y, 'rope', n);
      if (yd !== xd) yd.set(xd.subarray(0, n));
      ropeInPlace(yd, T, nHeads, headDim, positions, invFreq);
    },
    ropeBackward(dy, T, nHeads, headDim, positions, invFreq, dx) {
      const n = T * nHeads * headDim;
      const tmp = scratch(n);
      tmp.set(T_(dy, 'ropeBackward', n).subarray(0, n));
      const neg = new Int32Array(T);
      for (let t = 0; t < T; t++) neg[t] = -positions[t]!;
      ropeInPlace(tmp, T, nHeads, headDim, neg, invFreq);
      const dxd = T_(dx, 'ropeBackward', n);
      for (let i = 0; i < n; i++) dxd[i] = dxd[i]! + tmp[i]!;
    },
    siluMul(gate, up, y) {
      const g = T_(gate, 'siluMul');
      const u = T_(up, 'siluMul', g.length);
      const yd = T_(y, 'siluMul', g.length);
      for (let i = 0; i < g.length; i++) {
        const x = g[i]!;
        yd[i] = (x / (1 + Math.exp(-x))) * u[i]!;
      }
    },
    siluMulBackward(gate, up, dy, dGate, dUp) {
      const g = T_(gate, 'siluMulBackward');
      const n = g.length;
      const u = T_(up, 'siluMulBackward', n);
      const dyd = T_(dy, 'siluMulBackward', n);
      const dg = T_(dGate, 'siluMulBackward', n);
      const du = T_(dUp, 'siluMulBackward', n);
      for (let i = 0; i < n; i++) {
        const x = g[i]!;
        const s = 1 / (1 + Math.exp(-x));
        dg[i] = dg[i]! + dyd[i]! * u[i]! * s * (1 + x * (1 - s));
        du[i] = du[i]! + dyd[i]! * x * s;
      }
    },
    add(a, b, y) {
      const ad = T_(a, 'add');
      const bd = T_(b, 'add', ad.length);
      const yd = T_(y, 'add', ad.length);
      for (let i = 0; i < ad.length; i++) yd[i] = ad[i]! + bd[i]!;
    },
    addBias(y, T, bias) {
      const bd = T_(bias, 'addBias');
      const n = bd.length;
      const yd = T_(y, 'addBias', T * n);
      for (let t = 0; t < T; t++) for (let i = 0; i < n; i++) yd[t * n + i] = yd[t * n + i]! + bd[i]!;
    },

    attention(q, k, v, s, out, lse) {
      attentionForwardCpu(T_(q, 'attention'), T_(k, 'attention'), T_(v, 'attention'), s, T_(out, 'attention'), T_(lse, 'attention'));
    },
    attentionBackward(q, k, v, out, lse, dOut, s, dq, dk, dv) {
      const op = 'attentionBackward';
      attentionBackwardCpu(T_(q, op), T_(k, op), T_(v, op), T_(out, op), T_(lse, op), T_(dOut, op), s, T_(dq, op), T_(dk, op), T_(dv, op));
    },

    embedding(tokens, table, y) {
      if (isFrozen(table)) {
        embeddingGather(tokens, F_(table, 'embedding').device, T_(y, 'embedding', tokens.length * table.cols));
        return;
      }
      const [V, d] = dims(table, 'embedding');
      const td = T_(table as TrainTensor, 'embedding');
      const yd = T_(y, 'embedding', tokens.length * d);
      for (let t = 0; t < tokens.length; t++) {
        const id = tokens[t]!;
        if (!(id >= 0 && id < V)) throw shapeError('embedding', `token id ${id} is outside the vocabulary (0..${V - 1}).`);
        yd.set(td.subarray(id * d, (id + 1) * d), t * d);
      }
    },
    embeddingBackward(tokens, dy, dTable) {
      const [V, d] = dims(dTable, 'embeddingBackward');
      const dyd = T_(dy, 'embeddingBackward', tokens.length * d);
      const dt = T_(dTable, 'embeddingBackward');
      for (let t = 0; t < tokens.length; t++) {
        const id = tokens[t]!;
        if (!(id >= 0 && id < V)) throw shapeError('embeddingBackward', `token id ${id} is outside the vocabulary.`);
        const o = id * d;
        const s = t * d;
        for (let i = 0; i < d; i++) dt[o + i] = dt[o + i]! + dyd[s + i]!;
      }
    },
    crossEntropy(logits, T, V, targets, weights, loss, dLogits) {
      const ld = T_(logits, 'crossEntropy', T * V);
      const lo = T_(loss, 'crossEntropy', T);
      const dl = T_(dLogits, 'crossEntropy', T * V);
      if (targets.length < T || weights.length < T) throw shapeError('crossEntropy', `targets and weights need ${T} values.`);
      for (let t = 0; t < T; t++) {
        const o = t * V;
        const tgt = targets[t]!;
        const w = weights[t]!;
        if (tgt < 0 || tgt >= V) {
          if (w !== 0) throw shapeError('crossEntropy', `target ${tgt} of row ${t} is outside the vocabulary.`);
          lo[t] = 0;
          dl.fill(0, o, o + V);
          continue;
        }
        let m = -Infinity;
        for (let i = 0; i < V; i++) m = Math.max(m, ld[o + i]!);
        // exp once into dLogits, then scale by weight / Σ
        let z = 0;
        for (let i = 0; i < V; i++) {
          const e = Math.exp(ld[o + i]! - m);
          dl[o + i] = e;
          z += e;
        }
        lo[t] = m + Math.log(z) - ld[o + tgt]!;
        if (w === 0) dl.fill(0, o, o + V);
        else {
          const f = w / z;
          for (let i = 0; i < V; i++) dl[o + i] = dl[o + i]! * f;
          dl[o + tgt] = dl[o + tgt]! - w;
        }
      }
    },

    sumSquares(grads, out) {
      let s = 0;
      for (const g of grads) {
        const d = T_(g, 'sumSquares');
        for (let i = 0; i < d.length; i++) s += d[i]! * d[i]!;
      }
      T_(out, 'sumSquares', 1)[0] = s;
    },
    adamw(param, grad, m, v, h: AdamWHyper) {
      const p = T_(param, 'adamw');
      const n = p.length;
      const g = T_(grad, 'adamw', n);
      const md = T_(m, 'adamw', n);
      const vd = T_(v, 'adamw', n);
      let gs = 1;
      if (h.clip) {
        const norm = Math.sqrt(T_(h.clip.normSq, 'adamw', 1)[0]!);
        gs = Math.min(1, h.clip.maxNorm / (norm + 1e-6));
      }
      const bc1 = 1 - h.beta1 ** h.step;
      const bc2 = 1 - h.beta2 ** h.step;
      const decay = 1 - h.lr * h.weightDecay;
      for (let i = 0; i < n; i++) {
        const gi = g[i]! * gs;
        const mi = h.beta1 * md[i]! + (1 - h.beta1) * gi;
        const vi = h.beta2 * vd[i]! + (1 - h.beta2) * gi * gi;
        md[i] = mi;
        vd[i] = vi;
        p[i] = p[i]! * decay - (h.lr * (mi / bc1)) / (Math.sqrt(vi / bc2) + h.eps);
      }
    },
  };
  return ops;
}

/** The host array behind a CPU training tensor (tests and host-side code on the CPU backend; no copy). */
export function cpuTensorData(t: TrainTensor): Float32Array {
  if (!(t instanceof CpuTensor)) throw shapeError('cpuTensorData', 'not a CPU training tensor.');
  return t.data;
}
