/**
 * The compute backend interface. Two implementations: `cpu` (`src/engine/cpu/cpuBackend.ts`, TypedArrays, the kernels
 * in `src/engine/cpu/kernels`) and `webgpu` (`src/engine/webgpu/**`, the WGSL kernels in `shaders/`). The model code
 * (`src/engine/model/**`) only talks to this interface, so a model runs unchanged on either.
 *
 * ## Rules every implementation follows
 * - Tensors are explicit device handles. All f32, row-major, shapes as in docs/ENGINE-CONTRACT.md. Every op writes into
 *   an output tensor the caller allocated (no hidden allocation, no hidden state); ops that say "in place" update
 *   their input. Small per-call index data (token ids, positions, per-row adapter slots) is passed as host
 *   `Int32Array`s: a GPU backend uploads it with the dispatch.
 * - Ops are enqueued in call order; `read` resolves after every op enqueued before it has run. The CPU backend runs each
 *   op synchronously as it is called; the WebGPU backend records and submits.
 * - Op signatures mirror the CPU kernels of the contract one to one (`T` = rows of the activation), with two additions
 *   for a batch whose rows belong to different sequences: `rowOffset` on `rope`/`attention` (the first row of a
 *   sequence's segment inside a concatenated batch) and `copyRows` (write new K/V rows into a sequence's cache, gather
 *   the last row of each segment); and the paged KV cache's `kvWritePaged` / `pagedAttention`, which serve a whole
 *   batch (any mix of sequences) in one dispatch each per layer.
 * - Errors are `TributaryError`s (`engine/bad-shape`, `engine/disposed`, `engine/lora-slot`, ...).
 * - Optional methods (`uploadWeightF16`, `matmulSplit`, `topK`) are what a backend adds where it pays; callers check
 *   for them and fall back to the plain ops (f32 upload, one `matmul` per part, reading the logits back). The model
 *   uses `matmulSplit` for q/k/v (one weight `[Wq; Wk; Wv]`, one dispatch instead of three on WebGPU).
 *
 * ## How training will slot in (ModelFactory, later issue)
 * Reverse-mode autodiff is a tape over these same ops: a `Tape` wraps a Backend, forwards every op call to it and
 * records `{ op, inputs, outputs, attrs }`; because every op is a pure function of explicit tensors into an explicit
 * output, the tape can keep the inputs alive (it simply does not `dispose` them until backward ran) and replay the
 * list in reverse. Each forward op gets a backward twin in a second interface, `BackendTrainingOps`, that a backend
 * adds next to this one (a CPU kernel + WGSL kernel pair each, with finite-difference gradient checks):
 * - `matmulBackwardInput(dy, T, w, dx)` — `dx = dy · W` (the base is frozen, so no `dW`; works on q8/q4 weights: QLoRA);
 * - `loraApplyBackward(x, dy, T, pool, rowAdapter, dx, dA, dB)` — gradients into trainable slot tensors;
 * - `rmsNormBackward(x, T, d, weight, eps, dy, dx)`; `siluMulBackward(gate, up, dy, dGate, dUp)`;
 *   `add`'s backward is the identity (or `add` for fan-in); `rope`'s backward is `rope` with negated positions
 *   (a rotation's inverse is its transpose), so it needs no new kernel;
 * - `attentionBackward(q, kCache, vCache, dOut, T, startPos, nHeads, nKvHeads, headDim, dq, dk, dv)`;
 * - `crossEntropy(logits, T, vocab, targets, lossOut, dLogits)` and `adamwStep(param, grad, m, v, hyper)` for the
 *   optimiser, plus `fill(t, value)` to zero gradient accumulators.
 * Trainable LoRA parameters are ordinary `Tensor`s; `LoraPool` slots are loaded from them with `writeLoraSlot` (or a
 * backend may expose a pool slot as tensors directly).
 *
 * @example
 * const b: Backend = createCpuBackend();
 * const x = b.upload(Float32Array.of(1, 2, 3, 4), [1, 4]);
 * const w = b.uploadWeight(quantizeQ8(weights, 8, 4 * 8));   // any Matrix
 * const y = b.alloc([1, 8]);
 * b.matmul(x, 1, w, y);
 * const host = await b.read(y);
 */
import type { F16Matrix } from './f16.ts';
import type { Matrix, QuantKind } from './quant.ts';

export type BackendName = 'cpu' | 'webgpu';

/** How a weight is stored on the device: the quantisation kinds plus f16 halves (WebGPU only). */
export type WeightFormat = QuantKind | 'f16';

/** A device tensor of f32 values. */
export interface Tensor {
  readonly shape: readonly number[];
  /** number of f32 elements */
  readonly size: number;
}

/** A linear weight `[rows = out, cols = in]` on the device, f32, f16 or quantised (fused dequantisation in `matmul`). */
export interface WeightTensor {
  readonly kind: WeightFormat;
  readonly rows: number;
  readonly cols: number;
  /** device bytes (values + scales) */
  readonly bytes: number;
}

/**
 * Adapter slots for one target module of one layer (one `(inDim, outDim)` pair): `nSlots` adapters of rank ≤ `maxRank`
 * resident at once. Which adapter sits in which slot is the caller's business (the OpenLoRA registry and its LRU).
 */
export interface LoraPool {
  readonly nSlots: number;
  readonly maxRank: number;
  readonly inDim: number;
  readonly outDim: number;
  /** device bytes reserved for all slots */
  readonly bytes: number;
}

/** What goes into one slot: `A [rank, inDim]`, `B [outDim, rank]`, `scale` (usually alpha / rank). Rank 0 = no-op. */
export interface LoraSlotData {
  rank: number;
  scale: number;
  A: Float32Array;
  B: Float32Array;
}

/**
 * Where each row of a batch reads its keys in a paged KV pool (`kvWritePaged`, `pagedAttention`). The pool is one
 * tensor per layer for K and one for V, `[nPages * pageSize, nKvHeads, headDim]`; a sequence owns pages, listed in
 * order in its page table, so its key `j` sits at pool row `pageTable[s * pagesPerSeq + floor(j / pageSize)] *
 * pageSize + j % pageSize`.
 */
export interface PagedRows {
  /** rows per page */
  pageSize: number;
  /** per batch row: its absolute position; the row attends to its sequence's keys `0 .. position` */
  positions: Int32Array;
  /** per batch row: which page table (sequence) of `pageTable` it reads */
  rowSeq: Int32Array;
  /** page tables of the batch's sequences, `pagesPerSeq` physical page numbers each (unused tail entries: any) */
  pageTable: Int32Array;
  pagesPerSeq: number;
}

/** Device bytes currently held, by kind. */
export interface BackendMemory {
  weights: number;
  tensors: number;
  lora: number;
}

export interface Backend {
  readonly name: BackendName;

  // ---- memory -------------------------------------------------------------------------------------------------
  /** A zero-filled tensor. */
  alloc(shape: readonly number[]): Tensor;
  /** A tensor holding a copy of `data` (shape defaults to `[data.length]`). */
  upload(data: Float32Array, shape?: readonly number[]): Tensor;
  /** Overwrites `data.length` elements of `t` starting at element `offset`. */
  write(t: Tensor, data: Float32Array, offset?: number): void;
  /** Copies `length` elements starting at `offset` (default: all) back to the host, after all enqueued ops. */
  read(t: Tensor, offset?: number, length?: number): Promise<Float32Array>;
  /** Uploads a linear weight (f32, int8 or int4 as given; quantise first with `src/engine/quant.ts`). */
  uploadWeight(m: Matrix): WeightTensor;
  /**
   * Uploads a weight stored as f16 halves (`src/engine/f16.ts`; computed in f32). Optional: a backend without f16
   * storage leaves it out (the CPU backend: WASM has no f16 arithmetic) and callers upload the f32 matrix instead.
   */
  uploadWeightF16?(m: F16Matrix): WeightTensor;
  /** Reserves `nSlots` empty LoRA slots of rank ≤ `maxRank` for one `(inDim → outDim)` module. */
  createLoraPool(nSlots: number, maxRank: number, inDim: number, outDim: number): LoraPool;
  /** Loads an adapter's matrices into a slot (`null` empties it: rows asking for it are an error). */
  writeLoraSlot(pool: LoraPool, slot: number, data: LoraSlotData | null): void;
  /** Frees a tensor, weight or pool; using it afterwards is an `engine/disposed` error. Idempotent. */
  dispose(t: Tensor | WeightTensor | LoraPool): void;
  memory(): BackendMemory;

  // ---- forward ops (the CPU kernels' twins) --------------------------------------------------------------------
  /** `out[T, w.rows] = x[T, w.cols] · Wᵀ (+ bias)`. */
  matmul(x: Tensor, T: number, w: WeightTensor, out: Tensor, bias?: Tensor): void;
  /**
   * Optional: one matmul whose output columns are split over `outs` (1 to 3 tensors), each holding exactly
   * `T × width_i` values, `w.rows = Σ width_i`: `outs[0]` gets columns `[0, width_0)` of `x · Wᵀ (+ bias)` as a
   * `[T, width_0]` tensor, `outs[1]` the next `width_1`, and so on; `bias` has `w.rows` values (the parts' biases
   * concatenated). The same as a `matmul` per part over the matching rows of `w`, in one dispatch: the model runs
   * q/k/v as one weight `[Wq; Wk; Wv]` when the backend has it (WebGPU), three matmuls otherwise (the CPU backend
   * leaves it out).
   */
  matmulSplit?(x: Tensor, T: number, w: WeightTensor, outs: readonly Tensor[], bias?: Tensor): void;
  /** RMSNorm of each of `T` rows of size `d`. `out` may be `x`. */
  rmsNorm(x: Tensor, T: number, d: number, weight: Tensor, eps: number, out: Tensor): void;
  /** In-place RoPE of rows `rowOffset .. rowOffset+T` of `x [*, nHeads, headDim]` at `positions[0..T]`. */
  rope(x: Tensor, T: number, nHeads: number, headDim: number, positions: Int32Array, invFreq: Tensor, rowOffset?: number): void;
  /**
   * Causal GQA attention of query rows `rowOffset .. rowOffset+T` of `q [*, nHeads, headDim]` at positions
   * `startPos ..` over caches `[maxSeq, nKvHeads, headDim]` (already holding those positions); writes the same rows of `out`.
   */
  attention(
    q: Tensor,
    kCache: Tensor,
    vCache: Tensor,
    T: number,
    startPos: number,
    nHeads: number,
    nKvHeads: number,
    headDim: number,
    out: Tensor,
    rowOffset?: number,
  ): void;
  /** `out = silu(gate) · up`, elementwise over the whole tensors. `out` may be `gate`. */
  siluMul(gate: Tensor, up: Tensor, out: Tensor): void;
  /** `out = a + b`, elementwise. `out` may be `a`. */
  add(a: Tensor, b: Tensor, out: Tensor): void;
  /** `out[t] = table[tokens[t]]` (table `[vocab, hidden]`, dequantised). */
  embeddingGather(tokens: Int32Array, table: WeightTensor, out: Tensor): void;
  /** `out[t] += scale · B · (A · x[t])` with the slot `rowAdapter[t]` of `pool` (−1: untouched, no work). */
  loraApply(x: Tensor, T: number, pool: LoraPool, rowAdapter: Int32Array, out: Tensor): void;
  /** Copies `nRows` rows of `rowLen` elements: `dst[dstRow ..] = src[srcRow ..]` (KV-cache writes, row gathers). */
  copyRows(src: Tensor, srcRow: number, dst: Tensor, dstRow: number, nRows: number, rowLen: number): void;
  /**
   * Paged KV write: `kPool[dstRows[t]] = k[t]` and `vPool[dstRows[t]] = v[t]` for the `T` rows of `k`, `v`
   * (`[T, rowLen]`), rows of `rowLen` elements (one dispatch for the whole batch, K and V together).
   */
  kvWritePaged(k: Tensor, v: Tensor, T: number, rowLen: number, kPool: Tensor, vPool: Tensor, dstRows: Int32Array): void;
  /**
   * Causal GQA attention of all `T` query rows of `q [T, nHeads, headDim]` at once, each over its own sequence's keys in
   * the paged pools (`paged`: per-row position and page table; the pools already hold those positions); writes `out`.
   * Same math as `attention` per row.
   */
  pagedAttention(q: Tensor, kPool: Tensor, vPool: Tensor, T: number, nHeads: number, nKvHeads: number, headDim: number, out: Tensor, paged: PagedRows): void;

  /**
   * Optional: the `k` largest values of each of `T` rows of `logits [T, V]` (descending; ties lower id first; NaN
   * never chosen, id −1 / −∞ past a row's non-NaN values), read back after every enqueued op: `T·k·8` bytes instead
   * of `T·V·4`. Where reading a whole row back is as cheap as anything else (the CPU backend; WebGPU on a software
   * adapter) a backend leaves it out and callers read the rows.
   */
  topK?(logits: Tensor, T: number, V: number, k: number): Promise<{ ids: Int32Array; vals: Float32Array }>;
}
