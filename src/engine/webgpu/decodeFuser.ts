/// <reference types="@webgpu/types" />
/**
 * The WebGPU backend's peephole fuser: ops recorded but not yet encoded (a matmul, a decode-size rmsNorm, a rope or
 * rope pair), so that the op right after them can ride in the same dispatch (a residual / SwiGLU epilogue, the norm
 * prologue of the decode matmuls, the paired RoPE and its KV write). `settle` encodes whatever is pending; the
 * backend calls it before every op that cannot join. Results are bit for bit those of the ops run alone (tests/gpu).
 * Training does not go through this path (src/engine/webgpu/train).
 */
import type { GpuProgram } from './program.ts';
import type { GpuRuntime } from './runtime.ts';
import type { GpuMatrix } from './matrix.ts';
import type { GpuLoraPool, GpuTensor } from './gpuTensors.ts';
import { loraBgmv, type LoraArgs } from './ops/loraBgmv.ts';
import { loraSgmv } from './ops/loraSgmv.ts';
import { loraCoarse, loraCoarseBlocks } from './ops/loraCoarse.ts';
import { loraSegments } from './ops/loraSlots.ts';
import { matmul, matmulVariant, maxStorageBuffers, normPrologueFits, GEMV_MAX_T, type Epilogue, type NormPrologue } from './ops/matmul.ts';
import { rmsNorm, rmsNormVariant } from './ops/rmsNorm.ts';
import type { RopeTable } from './ops/rope.ts';

export interface PendingLora {
  x: GpuTensor;
  pool: GpuLoraPool;
  /** the rows' adapter slots (a copy) */
  rows: Int32Array;
}

/** An rmsNorm recorded but not yet encoded (see `DecodeFuser.pendingNorm`). */
export interface PendingNorm {
  x: GpuTensor;
  T: number;
  d: number;
  weight: GpuTensor;
  eps: number;
  out: GpuTensor;
}

/** The norm a pending matmul folds in: the matmul's x (h) is `rmsNorm(x, weight, eps)`, written by the matmul too. */
export interface FoldedNorm {
  x: GpuTensor;
  weight: GpuTensor;
  eps: number;
}

export interface PendingRope {
  x: GpuTensor;
  T: number;
  nHeads: number;
  headDim: number;
  /** the T positions (a copy) */
  positions: Int32Array;
  invFreq: GpuTensor;
  rowOffset: number;
  /** their GPU copy and the table, as used by `program` */
  pos: GPUBuffer;
  table: RopeTable;
  /** the dispatch, validated: the lone rope, or with `second` the pair */
  program: GpuProgram;
  /** set once a second rope has joined (a layer's k after its q): the pair waits for a kvWritePaged of that k */
  second?: { x: GpuTensor; nHeads: number };
}

export class DecodeFuser {
  /**
   * A matmul recorded but not yet encoded (both kernel families), so that the op after it can ride along as
   * the kernel's epilogue: `add(res, out, res)` (the residual after o_proj/down_proj) or `siluMul(gate, out,
   * gate)` (SwiGLU after up_proj). Both results are still written, so nothing observable changes; every other
   * method encodes it first (`settle`). Saves three dispatches per layer, which is what a decode step mostly
   * pays for (host overhead per dispatch on a real GPU, kernel launches on a software adapter).
   * `lora`: a `loraApply` on the same `out` (the module has LoRA rows), recorded too: then the matmul is encoded
   * plainly, the LoRA kernels after it, and their expand carries the epilogue to every row (`encodeLora`).
   */
  pending: { x: GpuTensor; T: number; w: GpuMatrix; out: GpuTensor; bias: GpuTensor | undefined; lora?: PendingLora; norm?: FoldedNorm } | undefined;
  /**
   * An rmsNorm of decode size (T ≤ GEMV_MAX_T, out ≠ x) recorded but not yet encoded, so that a `matmul` / `matmulSplit`
   * on its `out` right after it folds it in as the gemv kernels' norm prologue (`opts.norm` of ops/matmul.ts: each
   * workgroup / invocation computes its row's norm from x, the first column block writes out = h for the later readers,
   * bit for bit what rmsNorm writes). Anything else encodes it alone first (`flushNorm`, from `settle`); so does a
   * matmul that cannot take it (prefill size, the tiled kernels, x / the norm weight among its outputs, a bias on
   * int8 / int4 weights past the device's storage-buffer limit: `normPrologueFits`). Never pending together with
   * `pending` or `pendingRope` (recorded after `settle`). Saves two dispatches per layer (input / post-attention
   * norm) and the final norm's.
   */
  pendingNorm: PendingNorm | undefined;
  /**
   * A rope recorded but not yet encoded, so that a rope right after it on another tensor with the same rows,
   * positions (contents), table and rowOffset (a layer's k after its q) joins it in one dispatch (rope.wgsl's `pair` entry);
   * anything else encodes it alone first (`flushRope`, from `settle`). The pair stays pending too, so that a
   * `kvWritePaged` of its second tensor (k) right after it (the model's rope(q), rope(k), kvWritePaged(k, v)) joins
   * it as well: one dispatch of rope.wgsl's `pair_kv` entry for the three. Never pending together with `pending`:
   * each is recorded only after `settle`. Saves two dispatches per layer.
   */
  pendingRope: PendingRope | undefined;

  constructor(
    private readonly rt: GpuRuntime,
    /** the backend's upload of host index data, cached by key and contents */
    private readonly index: (key: string, data: Int32Array | Uint32Array) => GPUBuffer,
  ) {}

  /** Encodes the pending matmul, if any (see `pending`). */
  settle(): void {
    this.flushRope();
    this.flushNorm();
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    const [x, norm] = this.normArgs(p);
    matmul(this.rt, x, p.T, p.w, p.out.buffer, { ...(p.bias ? { bias: p.bias.buffer } : {}), ...norm });
    if (p.lora) this.encodeLora(p.lora, p.T, p.out.buffer);
  }

  /** A pending matmul's input buffer and norm option: x itself, or the folded norm's input with `norm` writing x (= h). */
  normArgs(p: { x: GpuTensor; norm?: FoldedNorm | undefined }): [GPUBuffer, { norm?: NormPrologue }] {
    const n = p.norm;
    return n ? [n.x.buffer, { norm: { weight: n.weight.buffer, eps: n.eps, h: p.x.buffer } }] : [p.x.buffer, {}];
  }

  /** Encodes the pending rmsNorm alone, if any (see `pendingNorm`). */
  flushNorm(): void {
    const p = this.pendingNorm;
    if (!p) return;
    this.pendingNorm = undefined;
    rmsNorm(this.rt, p.x.buffer, p.T, p.d, p.weight.buffer, p.eps, p.out.buffer);
  }

  /**
   * The pending rmsNorm, taken, when a matmul of x (T rows, weight w, these outputs and bias) can fold it in:
   * x is its out, a decode kernel (gemv / coarse-gemv, whose rmsNorm counterparts are rms_norm.wgsl / rms_norm_coarse
   * by the same rule), no buffer the kernel writes is read by the norm, the bindings fit (`normPrologueFits`).
   */
  takeNorm(x: GpuTensor, T: number, w: GpuMatrix, outs: readonly GpuTensor[], bias: GpuTensor | undefined): FoldedNorm | undefined {
    const p = this.pendingNorm;
    if (!p || p.out !== x || p.T !== T || p.d !== w.cols || T > GEMV_MAX_T) return undefined;
    const variant = matmulVariant(T, w, this.rt.kernels, this.rt.info.hasF16);
    if (variant !== 'gemv' && variant !== 'coarse-gemv') return undefined;
    if ((variant === 'coarse-gemv') !== (rmsNormVariant(p.d, this.rt.kernels) === 'coarse')) return undefined;
    if (outs.some((o) => o === p.x || o === p.weight) || bias === p.x || bias === x) return undefined;
    if (!normPrologueFits(w, bias !== undefined, maxStorageBuffers(this.rt))) return undefined;
    this.pendingNorm = undefined;
    return { x: p.x, weight: p.weight, eps: p.eps };
  }

  /** Encodes the pending matmul with `aux` updated by `kind` when the op at hand is what it can fuse. */
  fuse(kind: 'residual' | 'swiglu', result: GpuTensor, aux: GpuTensor): boolean {
    const p = this.pending;
    if (!p || p.out !== result || aux === p.x || aux === p.out || aux === p.bias || aux === p.lora?.x) return false;
    // a folded norm reads its x (the residual stream) in the kernel: that cannot be the epilogue's target
    if (p.norm && (aux === p.norm.x || aux === p.norm.weight)) return false;
    const n = p.T * p.w.rows;
    if (result.size !== n || aux.size !== n) return false;
    this.pending = undefined;
    const [x, norm] = this.normArgs(p);
    const bias = { ...(p.bias ? { bias: p.bias.buffer } : {}), ...norm };
    if (p.lora) {
      // the LoRA delta lands in out after the matmul: its expand applies the epilogue, to every row
      matmul(this.rt, x, p.T, p.w, p.out.buffer, bias);
      this.encodeLora(p.lora, p.T, p.out.buffer, { kind, aux: aux.buffer });
    } else matmul(this.rt, x, p.T, p.w, p.out.buffer, { ...bias, epilogue: { kind, aux: aux.buffer } });
    return true;
  }

  /** Encodes the pending rope (or rope pair), if any, without a KV write (see `pendingRope`). */
  flushRope(): void {
    const p = this.pendingRope;
    if (!p) return;
    this.pendingRope = undefined;
    this.rt.run(p.program);
  }

  loraArgs(l: PendingLora, T: number, out: GPUBuffer, epilogue?: Epilogue): LoraArgs {
    const p = l.pool;
    return { x: l.x.buffer, T, inDim: p.inDim, outDim: p.outDim, slots: p.table, pool: p.pool, maxRank: p.maxRank, out, dummy: this.rt.dummy, ...(epilogue ? { epilogue } : {}) };
  }

  /** Encodes `out += LoRA(x)` for rows with an adapter, then `epilogue` (if any) on every row's `out`. */
  encodeLora(l: PendingLora, T: number, out: GPUBuffer, epilogue?: Epilogue): void {
    const rows = l.rows;
    const args = this.loraArgs(l, T, out, epilogue);
    const all = epilogue !== undefined;
    if (this.rt.kernels === 'coarse') {
      // software adapter: one barrier-free kernel over row blocks, for decode and prefill alike
      const b = loraCoarseBlocks(rows, T, all);
      const rowsBuf = this.index('lora-rows1', b.rows.data);
      loraCoarse(this.rt, args, rowsBuf, b.blocks === b.rows ? rowsBuf : this.index(all ? 'lora-blocks-all' : 'lora-blocks', b.blocks.data), b);
      return;
    }
    const seg = loraSegments(rows);
    // SGMV's 32-row tiles pay off for long runs of one adapter (prefill), and only when there are enough of
    // them to fill the GPU: a 32-row decode on one adapter would be a single workgroup. Else per-row BGMV.
    if (seg.count * 4 <= T && seg.count * Math.ceil(seg.maxLen / 32) >= 4) {
      const allSeg = all ? loraSegments(rows, T, true) : undefined;
      loraSgmv(this.rt, args, this.index('lora-segments', seg.data), seg, allSeg && { buffer: this.index('lora-segments-all', allSeg.data), seg: allSeg });
    } else loraBgmv(this.rt, { ...args, rowSlot: this.index('lora-rows', rows) });
  }
}
