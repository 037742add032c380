/**
 * The CPU backend: `Backend` over plain TypedArrays and the kernels in `./kernels` (run synchronously on the calling
 * thread — in the app, the engine worker). Also the fallback when WebGPU is missing or the device is lost.
 * Weights are copied onto the WASM SIMD heap when WASM SIMD is available (`./simd`; f32 weights packed in panels of 16
 * rows, the layout of the SIMD matmul kernel), so `matmul` runs its SIMD path; attention, SiLU·mul, RMSNorm and the
 * residual add run as WASM SIMD kernels too (`./simd/*Simd.ts`); LoRA pools live on the heap and run the SIMD
 * multi-LoRA kernels (`./simd/loraSimd.ts`, segments of rows sharing an adapter); `createCpuBackend({ simd: false })` keeps
 * everything in plain JS.
 *
 * @example
 * const cpu = createCpuBackend();
 * const x = cpu.upload(Float32Array.of(1, 2), [1, 2]);
 */
import { TributaryError } from '../../core/errors.ts';
import type { Backend, BackendMemory, LoraPool, LoraSlotData, Tensor, WeightTensor } from '../backend.ts';
import { matrixBytes, type Matrix, type QuantKind } from '../quant.ts';
import { add } from './kernels/add.ts';
import { attention } from './kernels/attention.ts';
import { embeddingGather } from './kernels/embeddingGather.ts';
import { kvWritePaged } from './kernels/kvWritePaged.ts';
import { loraApply, type LoraSlotView } from './kernels/loraApply.ts';
import { matmul, type DecodeActivations } from './kernels/matmul.ts';
import { checkPagedRows, pagedAttention } from './kernels/pagedAttention.ts';
import { rmsNorm } from './kernels/rmsNorm.ts';
import { ropeInPlace } from './kernels/rope.ts';
import { siluMul } from './kernels/siluMul.ts';
import { canAttentionSimd, tryAttentionSimd, tryPagedAttentionSimd } from './simd/attentionSimd.ts';
import { createHeapLoraSlots, heapLoraSlotViews, releaseHeapLoraSlots, tryLoraApplySimd, writeHeapLoraSlot, type HeapLoraSlots } from './simd/loraSimd.ts';
import { tryAddSimd, tryRmsNormSimd } from './simd/normAddSimd.ts';
import { trySiluMulSimd } from './simd/siluMulSimd.ts';
import { simdRuntime, type CpuMatrix, type SimdRuntime } from './simd/simdRuntime.ts';
import { startCpuThreads } from './threads/threadPool.ts';
import { cpuThreadingStatus } from '../../core/cpuThreading.ts';

/**
 * A CPU tensor: a plain `Float32Array`, or (with WASM SIMD) `n` values at byte offset `heapAt` of the SIMD heap, so the
 * kernels read and write it in place (KV pools, activations: no copies on and off the heap per op). `data` is a view
 * made again whenever the heap has grown (growing a non-shared memory detaches the old views).
 */
export class CpuTensor implements Tensor {
  disposed = false;
  private view: Float32Array;
  constructor(
    readonly shape: readonly number[],
    data: Float32Array,
    private readonly rt: SimdRuntime | null = null,
    /** byte offset on the SIMD heap, or -1 */
    readonly heapAt = -1,
  ) {
    this.view = data;
    this.size = data.length;
  }
  readonly size: number;
  get data(): Float32Array {
    if (this.heapAt >= 0) {
      const buf = this.rt!.f32().buffer;
      if (this.view.buffer !== buf) this.view = new Float32Array(buf, this.heapAt, this.size);
    }
    return this.view;
  }
}

export class CpuWeight implements WeightTensor {
  disposed = false;
  readonly kind: QuantKind;
  readonly rows: number;
  readonly cols: number;
  readonly bytes: number;
  /** `source` gives kind and size; `matrix` is what the kernels read (with SIMD: a heap copy, f32 packed in panels) */
  constructor(
    source: Matrix,
    readonly matrix: CpuMatrix = source,
  ) {
    this.kind = source.kind;
    this.rows = source.rows;
    this.cols = source.cols;
    this.bytes = matrixBytes(source);
  }
}

export class CpuLoraPool implements LoraPool {
  disposed = false;
  readonly bytes: number;
  /** plain-JS slots (views into A / B); all null when the slots live on the WASM heap (`heap`) */
  readonly slots: (LoraSlotView | null)[];
  /** plain-JS backing store: slot i's A at i*maxRank*inDim, B at i*outDim*maxRank (empty with `heap`) */
  readonly A: Float32Array;
  readonly B: Float32Array;
  constructor(
    readonly nSlots: number,
    readonly maxRank: number,
    readonly inDim: number,
    readonly outDim: number,
    /** with WASM SIMD: the slots on the heap, read by the SIMD multi-LoRA kernels without a copy */
    readonly heap: HeapLoraSlots | null = null,
  ) {
    this.A = new Float32Array(heap ? 0 : nSlots * maxRank * inDim);
    this.B = new Float32Array(heap ? 0 : nSlots * outDim * maxRank);
    this.slots = new Array<LoraSlotView | null>(nSlots).fill(null);
    this.bytes = heap ? heap.bytes : this.A.byteLength + this.B.byteLength;
  }
}

function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new TributaryError('engine/bad-shape', `A tensor dimension must be a non-negative integer (got [${shape.join(', ')}]).`);
    n *= d;
  }
  return n;
}

function live<T extends { disposed: boolean }>(t: unknown, cls: abstract new (...args: never[]) => T, what: string): T {
  if (!(t instanceof cls)) throw new TributaryError('engine/bad-shape', `The CPU backend was given a ${what} from another backend.`);
  if (t.disposed) throw new TributaryError('engine/disposed', `This ${what} was disposed; allocate a new one.`);
  return t;
}

const ten = (t: Tensor): Float32Array => live(t, CpuTensor, 'tensor').data;
const wt = (w: WeightTensor): CpuMatrix => live(w, CpuWeight, 'weight').matrix;
const pl = (p: LoraPool): CpuLoraPool => live(p, CpuLoraPool, 'LoRA pool');

export interface CpuBackendOptions {
  /** use the WASM SIMD matmul when available (default true) */
  simd?: boolean;
  /**
   * WebAssembly threads to start (`../cpu/threads`): a count, or 'auto' — every core in a cross-origin isolated
   * browser context (`cpuThreadingStatus`), none in Node (tests and the CLI call `startCpuThreads` themselves).
   * Threads start in the background; matmuls use them once they are up.
   */
  threads?: number | 'auto';
  /**
   * Decode matmuls (fewer than 4 tokens) with int8/int4 weights: `'int8'` (default) quantises the activations per group
   * of 32 and runs integer dot products (about twice as fast; logits move by the bound of `kernels/quantDot.ts`,
   * measured on the 135M shape in docs/CPU-ENGINE.md); `'f32'` keeps f32 activations, as the WebGPU backend and prefill
   * do (bit-level parity checks).
   */
  decodeActivations?: DecodeActivations;
}

export function createCpuBackend(opts: CpuBackendOptions = {}): Backend {
  const rt = opts.simd === false ? null : simdRuntime();
  const inBrowser = typeof (globalThis as { document?: unknown; WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined' || typeof (globalThis as { document?: unknown }).document !== 'undefined';
  const threads = opts.threads === undefined || opts.threads === 'auto' ? (inBrowser ? cpuThreadingStatus().threads : 1) : opts.threads;
  if (rt && threads > 1) void startCpuThreads(threads).catch(() => undefined); // stays on one thread if they cannot start
  const decodeActivations = opts.decodeActivations ?? 'int8';
  const mem: BackendMemory = { weights: 0, tensors: 0, lora: 0 };
  // heap tensors dropped without `dispose` give their bytes back when collected
  const heapTensors = rt ? new FinalizationRegistry<{ at: number; bytes: number }>(({ at, bytes }) => rt.free(at, bytes)) : null;
  /** a zero-filled tensor: on the SIMD heap when there is one and it can grow, else a plain array */
  const newTensor = (shape: number[]): CpuTensor => {
    const n = shapeSize(shape);
    const at = rt && n > 0 ? rt.alloc(n * 4) : null;
    if (at === null) return new CpuTensor(shape, new Float32Array(n));
    const t = new CpuTensor(shape, new Float32Array(rt!.f32().buffer, at, n), rt, at);
    heapTensors!.register(t, { at, bytes: n * 4 }, t);
    return t;
  };
  const backend: Backend = {
    name: 'cpu',

    alloc(shape) {
      const t = newTensor([...shape]);
      mem.tensors += t.size * 4;
      return t;
    },
    upload(data, shape) {
      const s = shape ? [...shape] : [data.length];
      if (shapeSize(s) !== data.length) throw new TributaryError('engine/bad-shape', `upload: ${data.length} values do not fill a [${s.join(', ')}] tensor.`);
      // a heap view as the source is copied first: allocating may grow the heap and detach it
      const src = rt && rt.heapAt(data) >= 0 ? data.slice() : data;
      const t = newTensor(s);
      t.data.set(src);
      mem.tensors += t.size * 4;
      return t;
    },
    write(t, data, offset = 0) {
      const d = ten(t);
      if (offset < 0 || offset + data.length > d.length) throw new TributaryError('engine/bad-shape', `write: ${data.length} values at ${offset} overflow a tensor of ${d.length}.`);
      d.set(data, offset);
    },
    read(t, offset = 0, length) {
      const d = ten(t);
      const n = length ?? d.length - offset;
      if (offset < 0 || n < 0 || offset + n > d.length) return Promise.reject(new TributaryError('engine/bad-shape', `read: ${n} values at ${offset} overflow a tensor of ${d.length}.`));
      return Promise.resolve(d.slice(offset, offset + n));
    },
    uploadWeight(m) {
      const w = new CpuWeight(m, rt ? rt.toHeapPacked(m) : m);
      mem.weights += w.bytes;
      return w;
    },
    createLoraPool(nSlots, maxRank, inDim, outDim) {
      const p = new CpuLoraPool(nSlots, maxRank, inDim, outDim, rt ? createHeapLoraSlots(rt, nSlots, maxRank, inDim, outDim) : null);
      mem.lora += p.bytes;
      return p;
    },
    writeLoraSlot(pool, slot, data: LoraSlotData | null) {
      const p = pl(pool);
      if (!Number.isInteger(slot) || slot < 0 || slot >= p.nSlots) throw new TributaryError('engine/lora-slot', `LoRA slot ${slot} does not exist (the pool has ${p.nSlots}).`);
      if (!data) {
        p.slots[slot] = null;
        if (p.heap) writeHeapLoraSlot(rt!, p.heap, slot, null);
        return;
      }
      const r = data.rank;
      if (!Number.isInteger(r) || r < 0 || r > p.maxRank) throw new TributaryError('engine/lora-slot', `An adapter of rank ${r} does not fit slots of rank ≤ ${p.maxRank}.`);
      if (data.A.length !== r * p.inDim || data.B.length !== p.outDim * r) {
        throw new TributaryError('engine/bad-shape', `LoRA slot ${slot}: A must be ${r}×${p.inDim} and B ${p.outDim}×${r} (got ${data.A.length} and ${data.B.length} values).`);
      }
      if (p.heap) {
        writeHeapLoraSlot(rt!, p.heap, slot, data);
        return;
      }
      const A = p.A.subarray(slot * p.maxRank * p.inDim, slot * p.maxRank * p.inDim + r * p.inDim);
      const B = p.B.subarray(slot * p.outDim * p.maxRank, slot * p.outDim * p.maxRank + p.outDim * r);
      A.set(data.A);
      B.set(data.B);
      p.slots[slot] = { rank: r, scale: data.scale, A, B };
    },
    dispose(t) {
      if (t instanceof CpuTensor && !t.disposed) {
        t.disposed = true;
        mem.tensors -= t.size * 4;
        if (t.heapAt >= 0) {
          heapTensors!.unregister(t);
          rt!.free(t.heapAt, t.size * 4);
        }
      } else if (t instanceof CpuWeight && !t.disposed) {
        t.disposed = true;
        mem.weights -= t.bytes;
        rt?.release(t.matrix);
      } else if (t instanceof CpuLoraPool && !t.disposed) {
        t.disposed = true;
        mem.lora -= t.bytes;
        if (t.heap) releaseHeapLoraSlots(rt!, t.heap);
      }
    },
    memory: () => ({ ...mem }),

    matmul(x, T, w, out, bias) {
      matmul(ten(x), T, wt(w), ten(out), bias ? ten(bias) : undefined, decodeActivations);
    },
    // the SIMD paths may grow the heap: the JS fallbacks take their views afresh (`ten` after the attempt)
    rmsNorm(x, T, d, weight, eps, out) {
      if (!(rt && tryRmsNormSimd(rt, ten(x), T, d, ten(weight), eps, ten(out)))) rmsNorm(ten(x), T, d, ten(weight), eps, ten(out));
    },
    rope(x, T, nHeads, headDim, positions, invFreq, rowOffset = 0) {
      const row = nHeads * headDim;
      ropeInPlace(ten(x).subarray(rowOffset * row), T, nHeads, headDim, positions, ten(invFreq));
    },
    attention(q, kCache, vCache, T, startPos, nHeads, nKvHeads, headDim, out, rowOffset = 0) {
      const row = nHeads * headDim;
      const args = () => [ten(q).subarray(rowOffset * row), ten(kCache), ten(vCache), T, startPos, nHeads, nKvHeads, headDim, ten(out).subarray(rowOffset * row)] as const;
      if (!(nHeads % nKvHeads === 0 && canAttentionSimd(rt, headDim) && tryAttentionSimd(rt, ...args()))) attention(...args());
    },
    siluMul(gate, up, out) {
      if (!(rt && trySiluMulSimd(rt, ten(gate), ten(up), ten(out)))) siluMul(ten(gate), ten(up), ten(out));
    },
    add(a, b, out) {
      if (!(rt && tryAddSimd(rt, ten(a), ten(b), ten(out)))) add(ten(a), ten(b), ten(out));
    },
    embeddingGather(tokens, table, out) {
      embeddingGather(tokens, wt(table), ten(out));
    },
    loraApply(x, T, pool, rowAdapter, out) {
      const p = pl(pool);
      if (p.heap && tryLoraApplySimd(rt!, ten(x), T, rowAdapter, p.heap, ten(out))) return;
      // the heap could not grow for scratch: the JS twin on plain copies of the heap slots
      loraApply(ten(x), T, p.inDim, p.outDim, rowAdapter, p.heap ? heapLoraSlotViews(rt!, p.heap) : p.slots, ten(out));
    },
    copyRows(src, srcRow, dst, dstRow, nRows, rowLen) {
      const s = ten(src);
      const d = ten(dst);
      const a = srcRow * rowLen;
      const b = dstRow * rowLen;
      const n = nRows * rowLen;
      if (srcRow < 0 || dstRow < 0 || a + n > s.length || b + n > d.length) {
        throw new TributaryError('engine/bad-shape', `copyRows: ${nRows} rows of ${rowLen} from row ${srcRow} to row ${dstRow} overflow (${s.length} → ${d.length}).`);
      }
      d.set(s.subarray(a, a + n), b);
    },
    kvWritePaged(k, v, T, rowLen, kPool, vPool, dstRows) {
      kvWritePaged(ten(k), ten(v), T, rowLen, ten(kPool), ten(vPool), dstRows);
    },
    pagedAttention(q, kPool, vPool, T, nHeads, nKvHeads, headDim, out, paged) {
      const args = () => [ten(q), ten(kPool), ten(vPool), T, nHeads, nKvHeads, headDim, ten(out), paged] as const;
      if (nHeads % nKvHeads === 0 && canAttentionSimd(rt, headDim)) {
        const [qs, kp, vp, , , , , o] = args();
        if (qs.length < T * nHeads * headDim || o.length < T * nHeads * headDim) {
          throw new TributaryError('engine/bad-shape', `pagedAttention: q and out need ${T * nHeads * headDim} values.`);
        }
        checkPagedRows('pagedAttention', T, paged, Math.min(kp.length, vp.length) / (nKvHeads * headDim));
        if (tryPagedAttentionSimd(rt, ...args())) return;
      }
      pagedAttention(...args());
    },
  };
  return backend;
}
