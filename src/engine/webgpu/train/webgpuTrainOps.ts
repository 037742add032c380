/// <reference types="@webgpu/types" />
/**
 * `TrainOps` on WebGPU: parameters, activations, gradients and the AdamW moments are GPU buffers; a step uploads only
 * the host index data the interface passes (token ids, positions, targets, loss weights: content-cached, so the
 * positions every layer passes go up once) and reads back what the caller reads (the per-row losses). The kernels are
 * shaders/train/*.wgsl (backward, training forward, optimiser) plus the inference kernels where the math is the same
 * (matmul, embedding gather, SwiGLU, add, RoPE).
 *
 * The inference backend's peephole fuser (`WebGpuBackend`: pending matmul → residual / SwiGLU epilogues, folded norms,
 * paired ropes) is not on this path: every op here is encoded by `GpuRuntime.run` as called, one program per kernel,
 * so training results cannot depend on what the fuser would pair (and backward reads every forward output as the
 * forward wrote it).
 *
 * @example
 * const ops = await createWebGpuTrainOps();          // or new WebGpuTrainOps(runtime)
 * const w = ops.uploadFrozen(quantizeQ4(data, N, K));  // QLoRA base
 * ops.matmul(x, T, w, y);
 * ops.matmulGradInput(dy, T, w, dx);
 */
import { TributaryError } from '../../../core/errors.ts';
import type { Matrix } from '../../quant.ts';
import type { AdamWHyper, AttentionShape, FrozenWeight, LinearWeight, TrainOps, TrainOpsMemory, TrainTensor } from '../../train/trainOps.ts';
import { GpuRuntime, type RuntimeOptions } from '../runtime.ts';
import type { AcquireOptions } from '../device.ts';
import { gpuMatrixBytes, uploadMatrix, type GpuMatrix } from '../matrix.ts';
import { badShape } from '../program.ts';
import { matmul as matmulOp } from '../ops/matmul.ts';
import { add as addOp } from '../ops/add.ts';
import { siluMul as siluMulOp } from '../ops/siluMul.ts';
import { checkTokenIds, embeddingGather } from '../ops/embeddingGather.ts';
import { rope as ropeOp, ropeTable, type RopeTable } from '../ops/rope.ts';
import { gemm } from './gemm.ts';
import { matmulDx } from './matmulDx.ts';
import { rmsNormBackward as rmsNormBackwardOp, rmsNormForward } from './rmsNormTrain.ts';
import { siluMulBackward as siluMulBackwardOp } from './siluMulBackward.ts';
import { embeddingBackward as embeddingBackwardOp, groupRowsByToken, type GpuTokenGroups } from './embeddingBackward.ts';
import { crossEntropy as crossEntropyOp } from './crossEntropy.ts';
import { attentionBackward as attentionBackwardOp, attentionTrainForward, type AttentionShape as GpuAttentionShape } from './attentionTrain.ts';
import { adamw as adamwOp } from './adamw.ts';
import { addBias as addBiasOp, fill as fillOp, gradNormAdd, GRAD_NORM_CHUNK } from './gradNorm.ts';
import { dropout as dropoutOp, dropoutBackward as dropoutBackwardOp } from './dropout.ts';
import { ropeBackwardTable } from './ropeBackward.ts';

class GpuTrainTensor implements TrainTensor {
  disposed = false;
  constructor(
    readonly shape: readonly number[],
    readonly size: number,
    readonly buffer: GPUBuffer,
  ) {}
}

class GpuFrozen implements FrozenWeight {
  disposed = false;
  readonly kind: FrozenWeight['kind'];
  readonly rows: number;
  readonly cols: number;
  readonly bytes: number;
  constructor(readonly m: GpuMatrix) {
    if (m.kind === 'f16') throw badShape('uploadFrozen', 'f16 frozen weights are not a TrainOps format (f32, int8 or int4).');
    this.kind = m.kind;
    this.rows = m.rows;
    this.cols = m.cols;
    this.bytes = gpuMatrixBytes(m);
  }
}

/** Index uploads kept by content (the same positions / tokens arrive once per layer and again in backward). */
const INDEX_CACHE_MAX = 64;

function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d <= 0) throw badShape('alloc', `a tensor's sizes must be positive integers (got [${shape.join(', ')}]).`);
    n *= d;
  }
  return n;
}

export class WebGpuTrainOps implements TrainOps {
  readonly name = 'webgpu' as const;
  private readonly indexCache = new Map<string, GPUBuffer>();
  private readonly groupCache = new Map<string, GpuTokenGroups>();
  private readonly ropeTables = new Map<Float32Array, { fwd: RopeTable; back: RopeTable }>();
  private tensorBytes = 0;
  private frozenBytes = 0;
  private peakBytes = 0;
  private disposedAll = false;

  /** `ownsRuntime`: destroy the runtime (and its device) in `destroy()`. */
  constructor(
    readonly rt: GpuRuntime,
    private readonly ownsRuntime = false,
  ) {}

  // ---- memory -------------------------------------------------------------------------------------------------

  private track(delta: number, frozen: boolean): void {
    if (frozen) this.frozenBytes += delta;
    else this.tensorBytes += delta;
    this.peakBytes = Math.max(this.peakBytes, this.tensorBytes + this.frozenBytes);
  }

  private t(x: TrainTensor, what: string): GpuTrainTensor {
    if (this.disposedAll) throw new TributaryError('engine/disposed', 'These WebGPU training ops were destroyed; create new ones.');
    if (!(x instanceof GpuTrainTensor)) throw badShape(what, 'expected a tensor made by these WebGPU training ops.');
    if (x.disposed) throw new TributaryError('engine/disposed', `${what}: this tensor was disposed; allocate a new one.`);
    return x;
  }

  private need(x: TrainTensor, n: number, op: string, what: string): GPUBuffer {
    const g = this.t(x, op);
    if (g.size < n) throw badShape(op, `${what} needs ${n} values but has ${g.size}.`);
    return g.buffer;
  }

  private weight(w: LinearWeight, op: string): GpuMatrix {
    if (w instanceof GpuFrozen) {
      if (w.disposed) throw new TributaryError('engine/disposed', `${op}: this weight was disposed; upload it again.`);
      return w.m;
    }
    const g = this.t(w as TrainTensor, op);
    if (g.shape.length !== 2) throw badShape(op, `a trainable weight must be a [N, K] tensor (got [${g.shape.join(', ')}]).`);
    return { kind: 'f32', rows: g.shape[0]!, cols: g.shape[1]!, data: g.buffer };
  }

  alloc(shape: readonly number[]): TrainTensor {
    const n = shapeSize(shape);
    // WebGPU zero-initialises new buffers
    const t = new GpuTrainTensor([...shape], n, this.rt.createBuffer(n * 4, undefined, 'train-tensor'));
    this.track(t.buffer.size, false);
    return t;
  }

  upload(data: Float32Array, shape: readonly number[] = [data.length]): TrainTensor {
    const n = shapeSize(shape);
    if (n !== data.length) throw badShape('upload', `${data.length} values do not fill a [${shape.join(', ')}] tensor.`);
    const t = new GpuTrainTensor([...shape], n, this.rt.upload(data, undefined, 'train-tensor'));
    this.track(t.buffer.size, false);
    return t;
  }

  write(t: TrainTensor, data: Float32Array, offset = 0): void {
    const g = this.t(t, 'write');
    if (!Number.isInteger(offset) || offset < 0 || offset + data.length > g.size) throw badShape('write', `${data.length} values at ${offset} do not fit a tensor of ${g.size}.`);
    this.rt.write(g.buffer, data, offset * 4);
  }

  async read(t: TrainTensor, offset = 0, length?: number): Promise<Float32Array> {
    const g = this.t(t, 'read');
    const n = length ?? g.size - offset;
    if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(n) || n < 0 || offset + n > g.size) throw badShape('read', `${n} values at ${offset} are outside a tensor of ${g.size}.`);
    if (n === 0) return new Float32Array(0);
    return this.rt.readF32(g.buffer, n, offset);
  }

  fill(t: TrainTensor, value: number): void {
    const g = this.t(t, 'fill');
    if (value === 0 && !Object.is(value, -0)) this.rt.clear(g.buffer, 0, g.size * 4);
    else fillOp(this.rt, g.buffer, g.size, value);
  }

  copy(src: TrainTensor, dst: TrainTensor): void {
    const s = this.t(src, 'copy');
    const d = this.t(dst, 'copy');
    if (s.size !== d.size) throw badShape('copy', `the tensors differ in size (${s.size} vs ${d.size}).`);
    if (s !== d) this.rt.copy(s.buffer, 0, d.buffer, 0, s.size * 4);
  }

  uploadFrozen(m: Matrix): FrozenWeight {
    const w = new GpuFrozen(uploadMatrix(this.rt, m, 'frozen'));
    this.track(w.bytes, true);
    return w;
  }

  dispose(t: TrainTensor | FrozenWeight): void {
    if (t instanceof GpuFrozen) {
      if (t.disposed) return;
      t.disposed = true;
      this.track(-t.bytes, true);
      if (t.m.kind === 'f32' || t.m.kind === 'f16') this.rt.deferDestroy(t.m.data);
      else {
        this.rt.deferDestroy(t.m.q);
        this.rt.deferDestroy(t.m.scales);
      }
      return;
    }
    if (!(t instanceof GpuTrainTensor) || t.disposed) return;
    t.disposed = true;
    this.track(-t.buffer.size, false);
    this.rt.deferDestroy(t.buffer);
  }

  memory(): TrainOpsMemory {
    return { tensors: this.tensorBytes, frozen: this.frozenBytes, peak: this.peakBytes };
  }

  /**
   * Every device byte these ops hold: `memory()`'s tensors and frozen weights, plus scratch (the runtime's buffer
   * pool, the index uploads and RoPE tables kept by content), which `TrainOpsMemory` does not count.
   */
  deviceBytes(): { tensors: number; frozen: number; scratch: number; total: number } {
    let scratch = this.rt.pool.allocatedBytes;
    for (const b of this.indexCache.values()) scratch += b.size;
    for (const g of this.groupCache.values()) scratch += g.groups.size + g.starts.size + g.rows.size;
    for (const r of this.ropeTables.values()) scratch += r.fwd.buffer.size + r.back.buffer.size;
    return { tensors: this.tensorBytes, frozen: this.frozenBytes, scratch, total: this.tensorBytes + this.frozenBytes + scratch };
  }

  /** Frees the cached index buffers and rope tables (and the runtime when these ops own it). */
  destroy(): void {
    if (this.disposedAll) return;
    this.disposedAll = true;
    for (const b of this.indexCache.values()) this.rt.deferDestroy(b);
    for (const g of this.groupCache.values()) for (const b of [g.groups, g.starts, g.rows]) this.rt.deferDestroy(b);
    for (const r of this.ropeTables.values()) for (const b of [r.fwd.buffer, r.back.buffer]) this.rt.deferDestroy(b);
    this.indexCache.clear();
    this.groupCache.clear();
    this.ropeTables.clear();
    if (this.ownsRuntime) this.rt.destroy();
  }

  /** A device copy of small host data, shared by every call with the same contents. */
  private index(data: Int32Array | Float32Array): GPUBuffer {
    const key = `${data instanceof Int32Array ? 'i' : 'f'}${data.length}:${Array.prototype.join.call(data, ',')}`;
    const hit = this.indexCache.get(key);
    if (hit) {
      // refresh its place in the LRU order
      this.indexCache.delete(key);
      this.indexCache.set(key, hit);
      return hit;
    }
    if (this.indexCache.size >= INDEX_CACHE_MAX) {
      const [oldKey, old] = this.indexCache.entries().next().value as [string, GPUBuffer];
      this.indexCache.delete(oldKey);
      this.rt.deferDestroy(old);
    }
    const buf = this.rt.upload(data, undefined, 'train-index');
    this.indexCache.set(key, buf);
    return buf;
  }

  private scratch(n: number): GPUBuffer {
    return this.rt.pool.acquire(Math.max(1, n) * 4);
  }

  // ---- linear layers ------------------------------------------------------------------------------------------

  matmul(x: TrainTensor, T: number, w: LinearWeight, y: TrainTensor, accumulate = false): void {
    const m = this.weight(w, 'matmul');
    matmulOp(this.rt, this.need(x, T * m.cols, 'matmul', 'x'), T, m, this.need(y, T * m.rows, 'matmul', 'y'), { accumulate });
  }

  matmulGradInput(dy: TrainTensor, T: number, w: LinearWeight, dx: TrainTensor): void {
    const m = this.weight(w, 'matmulGradInput');
    matmulDx(this.rt, this.need(dy, T * m.rows, 'matmulGradInput', 'dy'), T, m, this.need(dx, T * m.cols, 'matmulGradInput', 'dx'), true);
  }

  matmulGradWeight(dy: TrainTensor, x: TrainTensor, T: number, dw: TrainTensor): void {
    const g = this.t(dw, 'matmulGradWeight');
    if (g.shape.length !== 2) throw badShape('matmulGradWeight', `dW must be a [N, K] tensor (got [${g.shape.join(', ')}]).`);
    const [N, K] = [g.shape[0]!, g.shape[1]!];
    gemm(this.rt, { a: this.need(dy, T * N, 'matmulGradWeight', 'dy'), b: this.need(x, T * K, 'matmulGradWeight', 'x'), c: g.buffer, M: N, N: K, K: T, transA: true, accumulate: true });
  }

  // ---- LoRA ---------------------------------------------------------------------------------------------------

  private loraDims(a: TrainTensor, op: string): [number, number] {
    const g = this.t(a, op);
    if (g.shape.length !== 2) throw badShape(op, `a LoRA matrix must be 2-D (got [${g.shape.join(', ')}]).`);
    return [g.shape[0]!, g.shape[1]!];
  }

  loraShrink(x: TrainTensor, T: number, a: TrainTensor, h: TrainTensor): void {
    const [r, K] = this.loraDims(a, 'loraShrink');
    gemm(this.rt, { a: this.need(x, T * K, 'loraShrink', 'x'), b: this.t(a, 'loraShrink').buffer, c: this.need(h, T * r, 'loraShrink', 'h'), M: T, N: r, K, transB: true });
  }

  loraExpand(h: TrainTensor, T: number, b: TrainTensor, scale: number, y: TrainTensor): void {
    const [N, r] = this.loraDims(b, 'loraExpand');
    gemm(this.rt, { a: this.need(h, T * r, 'loraExpand', 'h'), b: this.t(b, 'loraExpand').buffer, c: this.need(y, T * N, 'loraExpand', 'y'), M: T, N, K: r, transB: true, alpha: scale, accumulate: true });
  }

  loraExpandBackward(dy: TrainTensor, h: TrainTensor, T: number, b: TrainTensor, scale: number, dh: TrainTensor, dB: TrainTensor): void {
    const op = 'loraExpandBackward';
    const [N, r] = this.loraDims(b, op);
    const dyb = this.need(dy, T * N, op, 'dy');
    gemm(this.rt, { a: dyb, b: this.t(b, op).buffer, c: this.need(dh, T * r, op, 'dh'), M: T, N: r, K: N, alpha: scale, accumulate: true });
    gemm(this.rt, { a: dyb, b: this.need(h, T * r, op, 'h'), c: this.need(dB, N * r, op, 'dB'), M: N, N: r, K: T, transA: true, alpha: scale, accumulate: true });
  }

  loraShrinkBackward(dh: TrainTensor, x: TrainTensor, T: number, a: TrainTensor, dx: TrainTensor, dA: TrainTensor): void {
    const op = 'loraShrinkBackward';
    const [r, K] = this.loraDims(a, op);
    const dhb = this.need(dh, T * r, op, 'dh');
    gemm(this.rt, { a: dhb, b: this.t(a, op).buffer, c: this.need(dx, T * K, op, 'dx'), M: T, N: K, K: r, accumulate: true });
    gemm(this.rt, { a: dhb, b: this.need(x, T * K, op, 'x'), c: this.need(dA, r * K, op, 'dA'), M: r, N: K, K: T, transA: true, accumulate: true });
  }

  dropout(x: TrainTensor, p: number, seed: number, y: TrainTensor): void {
    const g = this.t(x, 'dropout');
    dropoutOp(this.rt, g.buffer, this.need(y, g.size, 'dropout', 'y'), g.size, p, seed);
  }

  dropoutBackward(dy: TrainTensor, p: number, seed: number, dx: TrainTensor): void {
    const g = this.t(dy, 'dropoutBackward');
    dropoutBackwardOp(this.rt, g.buffer, this.need(dx, g.size, 'dropoutBackward', 'dx'), g.size, p, seed);
  }

  // ---- elementwise and normalisation -------------------------------------------------------------------------

  rmsNorm(x: TrainTensor, T: number, d: number, w: TrainTensor, eps: number, y: TrainTensor, rstd: TrainTensor): void {
    const op = 'rmsNorm';
    rmsNormForward(this.rt, this.need(x, T * d, op, 'x'), T, d, this.need(w, d, op, 'w'), eps, this.need(y, T * d, op, 'y'), this.need(rstd, T, op, 'rstd'));
  }

  rmsNormBackward(x: TrainTensor, T: number, d: number, w: TrainTensor, rstd: TrainTensor, dy: TrainTensor, dx: TrainTensor, dw: TrainTensor | null): void {
    const op = 'rmsNormBackward';
    rmsNormBackwardOp(this.rt, {
      x: this.need(x, T * d, op, 'x'),
      T,
      d,
      weight: this.need(w, d, op, 'w'),
      eps: 0,
      dy: this.need(dy, T * d, op, 'dy'),
      dx: this.need(dx, T * d, op, 'dx'),
      rstd: this.need(rstd, T, op, 'rstd'),
      accumulate: true,
      ...(dw ? { dw: this.need(dw, d, op, 'dw') } : {}),
    });
  }

  /** The forward and backward (transposed) cos/sin tables for `invFreq`, covering positions below `maxPos`. */
  private tables(invFreq: Float32Array, maxPos: number): { fwd: RopeTable; back: RopeTable } {
    const have = this.ropeTables.get(invFreq);
    if (have && have.fwd.maxPos >= maxPos) return have;
    if (have) for (const b of [have.fwd.buffer, have.back.buffer]) this.rt.deferDestroy(b);
    const size = Math.max(maxPos, 64);
    const made = { fwd: ropeTable(this.rt, invFreq, size), back: ropeBackwardTable(this.rt, invFreq, size) };
    this.ropeTables.set(invFreq, made);
    return made;
  }

  private ropeArgs(op: string, T: number, nHeads: number, headDim: number, positions: Int32Array, invFreq: Float32Array): { pos: GPUBuffer; tabs: { fwd: RopeTable; back: RopeTable } } {
    if (positions.length < T) throw badShape(op, `${T} rows need ${T} positions (got ${positions.length}).`);
    if (invFreq.length * 2 !== headDim) throw badShape(op, `invFreq has ${invFreq.length} values; a head of ${headDim} needs ${headDim / 2}.`);
    let max = 0;
    for (let t = 0; t < T; t++) {
      const p = positions[t]!;
      if (!Number.isInteger(p) || p < 0) throw badShape(op, `positions must be integers ≥ 0 (got ${p}).`);
      max = Math.max(max, p);
    }
    return { pos: this.index(positions.length === T ? positions : positions.subarray(0, T)), tabs: this.tables(invFreq, max + 1) };
  }

  rope(x: TrainTensor, T: number, nHeads: number, headDim: number, positions: Int32Array, invFreq: Float32Array, y: TrainTensor): void {
    const n = T * nHeads * headDim;
    const xb = this.need(x, n, 'rope', 'x');
    const yb = this.need(y, n, 'rope', 'y');
    const { pos, tabs } = this.ropeArgs('rope', T, nHeads, headDim, positions, invFreq);
    if (xb !== yb) this.rt.copy(xb, 0, yb, 0, n * 4);
    ropeOp(this.rt, yb, T, nHeads, headDim, pos, tabs.fwd);
  }

  ropeBackward(dy: TrainTensor, T: number, nHeads: number, headDim: number, positions: Int32Array, invFreq: Float32Array, dx: TrainTensor): void {
    const n = T * nHeads * headDim;
    const dyb = this.need(dy, n, 'ropeBackward', 'dy');
    const dxb = this.need(dx, n, 'ropeBackward', 'dx');
    const { pos, tabs } = this.ropeArgs('ropeBackward', T, nHeads, headDim, positions, invFreq);
    const tmp = this.scratch(n);
    this.rt.copy(dyb, 0, tmp, 0, n * 4);
    ropeOp(this.rt, tmp, T, nHeads, headDim, pos, tabs.back);
    addOp(this.rt, dxb, tmp, dxb, n);
    this.rt.pool.release(tmp);
  }

  siluMul(gate: TrainTensor, up: TrainTensor, y: TrainTensor): void {
    const g = this.t(gate, 'siluMul');
    siluMulOp(this.rt, g.buffer, this.need(up, g.size, 'siluMul', 'up'), this.need(y, g.size, 'siluMul', 'y'), g.size);
  }

  siluMulBackward(gate: TrainTensor, up: TrainTensor, dy: TrainTensor, dGate: TrainTensor, dUp: TrainTensor): void {
    const op = 'siluMulBackward';
    const g = this.t(gate, op);
    const n = g.size;
    siluMulBackwardOp(this.rt, g.buffer, this.need(up, n, op, 'up'), this.need(dy, n, op, 'dy'), this.need(dGate, n, op, 'dGate'), this.need(dUp, n, op, 'dUp'), n);
  }

  add(a: TrainTensor, b: TrainTensor, y: TrainTensor): void {
    const g = this.t(a, 'add');
    addOp(this.rt, g.buffer, this.need(b, g.size, 'add', 'b'), this.need(y, g.size, 'add', 'y'), g.size);
  }

  addBias(y: TrainTensor, T: number, bias: TrainTensor): void {
    const b = this.t(bias, 'addBias');
    addBiasOp(this.rt, this.need(y, T * b.size, 'addBias', 'y'), T, b.buffer, b.size);
  }

  // ---- attention ----------------------------------------------------------------------------------------------

  private shape(s: AttentionShape): GpuAttentionShape {
    return { T: s.batch * s.seqLen, S: s.seqLen, nHeads: s.nHeads, nKv: s.nKvHeads, hd: s.headDim };
  }

  attention(q: TrainTensor, k: TrainTensor, v: TrainTensor, s: AttentionShape, out: TrainTensor, lse: TrainTensor): void {
    const op = 'attention';
    attentionTrainForward(this.rt, this.shape(s), this.t(q, op).buffer, this.t(k, op).buffer, this.t(v, op).buffer, this.t(out, op).buffer, this.t(lse, op).buffer);
  }

  attentionBackward(q: TrainTensor, k: TrainTensor, v: TrainTensor, out: TrainTensor, lse: TrainTensor, dOut: TrainTensor, s: AttentionShape, dq: TrainTensor, dk: TrainTensor, dv: TrainTensor): void {
    const op = 'attentionBackward';
    const shape = this.shape(s);
    const delta = this.scratch(shape.T * shape.nHeads);
    const b = (x: TrainTensor) => this.t(x, op).buffer;
    attentionBackwardOp(this.rt, shape, b(q), b(k), b(v), b(out), b(lse), b(dOut), delta, b(dq), b(dk), b(dv));
    this.rt.pool.release(delta);
  }

  // ---- embedding and loss --------------------------------------------------------------------------------------

  embedding(tokens: Int32Array, table: LinearWeight, y: TrainTensor): void {
    const m = this.weight(table, 'embedding');
    const T = tokens.length;
    checkTokenIds(tokens, m.rows);
    embeddingGather(this.rt, this.index(tokens), T, m, this.need(y, T * m.cols, 'embedding', 'y'));
  }

  embeddingBackward(tokens: Int32Array, dy: TrainTensor, dTable: TrainTensor): void {
    const g = this.t(dTable, 'embeddingBackward');
    if (g.shape.length !== 2) throw badShape('embeddingBackward', `dTable must be a [vocab, hidden] tensor (got [${g.shape.join(', ')}]).`);
    const [vocab, d] = [g.shape[0]!, g.shape[1]!];
    const key = Array.prototype.join.call(tokens, ',') + `/${vocab}`;
    let groups = this.groupCache.get(key);
    if (!groups) {
      const h = groupRowsByToken(tokens, vocab);
      if (this.groupCache.size >= INDEX_CACHE_MAX) {
        const [oldKey, old] = this.groupCache.entries().next().value as [string, GpuTokenGroups];
        this.groupCache.delete(oldKey);
        for (const b of [old.groups, old.starts, old.rows]) this.rt.deferDestroy(b);
      }
      groups = { U: h.U, groups: this.rt.upload(h.groups), starts: this.rt.upload(h.starts), rows: this.rt.upload(h.rows) };
      this.groupCache.set(key, groups);
    }
    embeddingBackwardOp(this.rt, this.need(dy, tokens.length * d, 'embeddingBackward', 'dy'), d, groups, g.buffer, vocab);
  }

  crossEntropy(logits: TrainTensor, T: number, V: number, targets: Int32Array, weights: Float32Array, loss: TrainTensor, dLogits: TrainTensor): void {
    const op = 'crossEntropy';
    if (targets.length !== T || weights.length !== T) throw badShape(op, `${T} rows need ${T} targets and ${T} weights (got ${targets.length} and ${weights.length}).`);
    for (let t = 0; t < T; t++) {
      if (weights[t] !== 0 && !(targets[t]! >= 0 && targets[t]! < V)) throw badShape(op, `row ${t} has weight ${weights[t]} but target ${targets[t]} is outside the vocabulary (0..${V - 1}).`);
    }
    const lse = this.scratch(T);
    crossEntropyOp(this.rt, {
      logits: this.need(logits, T * V, op, 'logits'),
      T,
      V,
      targets: this.index(targets),
      rowWeight: this.index(weights),
      lse,
      lossRows: this.need(loss, T, op, 'loss'),
      dlogits: this.need(dLogits, T * V, op, 'dLogits'),
    });
    this.rt.pool.release(lse);
  }

  // ---- optimiser ------------------------------------------------------------------------------------------------

  sumSquares(grads: readonly TrainTensor[], out: TrainTensor): void {
    const o = this.need(out, 1, 'sumSquares', 'out');
    const gs = grads.map((g) => this.t(g, 'sumSquares'));
    let chunks = 1;
    for (const g of gs) chunks = Math.max(chunks, Math.ceil(g.size / GRAD_NORM_CHUNK));
    this.rt.clear(o, 0, 4);
    const partials = this.scratch(chunks);
    for (const g of gs) gradNormAdd(this.rt, g.buffer, g.size, partials, o);
    this.rt.pool.release(partials);
  }

  adamw(param: TrainTensor, grad: TrainTensor, m: TrainTensor, v: TrainTensor, h: AdamWHyper): void {
    const p = this.t(param, 'adamw');
    const n = p.size;
    adamwOp(
      this.rt,
      { param: p.buffer, grad: this.need(grad, n, 'adamw', 'grad'), m: this.need(m, n, 'adamw', 'm'), v: this.need(v, n, 'adamw', 'v'), n },
      h,
      h.step,
      h.clip ? { maxNorm: h.clip.maxNorm, normSq: this.need(h.clip.normSq, 1, 'adamw', 'normSq') } : null,
    );
  }
}

/** WebGPU training ops on a new device (Node: pass `gpu` from the `webgpu` package in `opts`). */
export async function createWebGpuTrainOps(opts: AcquireOptions & RuntimeOptions = {}): Promise<WebGpuTrainOps> {
  return new WebGpuTrainOps(await GpuRuntime.create(opts), true);
}
