/**
 * The training ops: what a Llama decoder with LoRA (or fully trainable weights) needs for one forward pass that keeps
 * what backward reads, its backward pass, and the optimiser. Two implementations: `cpu` (`cpuTrainOps.ts`, plain
 * TypedArrays + the WASM SIMD matmul where it pays) and `webgpu` (WGSL kernels, one file each in `shaders/`, with
 * this file's CPU twins as their parity reference).
 *
 * ## Rules every implementation follows
 * - Tensors are opaque device handles (`TrainTensor`), f32, row-major. Parameters, activations, gradients and the
 *   AdamW moments all live on the device; the host only uploads token ids / targets / loss weights per step (small
 *   `Int32Array` / `Float32Array`s passed with the call) and reads back the per-row losses (and, when asked, the
 *   squared gradient norm). No op allocates its output: the caller allocates every tensor.
 * - Forward ops OVERWRITE their output unless they say "adds". Backward ops ADD into every gradient output (`+=`):
 *   a tensor that feeds several consumers (the residual stream, a LoRA input) gets its gradient summed for free. The
 *   caller zeroes gradients with `fill(t, 0)`.
 * - Frozen base weights (`FrozenWeight`) may be f32, int8 or int4 (QLoRA): `matmul` and `matmulGradInput` read them
 *   dequantised; they never get a gradient.
 * - Shapes: `T` = rows (batch × sequence, flattened); linear weights `W [N = out, K = in]` (PyTorch layout), so
 *   `y = x · Wᵀ`; LoRA `A [r, K]`, `B [N, r]`, `y += scale · (x · Aᵀ) · Bᵀ` (PEFT layout); attention tensors
 *   `q [T, nHeads · headDim]`, `k`, `v [T, nKvHeads · headDim]` with `T = batch · seqLen` (contiguous sequences, each
 *   attends causally within its own `seqLen` rows — no KV cache, no pages).
 * - Determinism: the same calls on the same backend give the same bits (dropout masks come from a counter-based hash
 *   of `(seed, element index)`, see `dropoutKeep`, so no RNG state lives on the device).
 * - Errors are `TributaryError`s (`engine/bad-shape`, `engine/disposed`).
 *
 * @example
 * const ops: TrainOps = createCpuTrainOps();
 * const w = ops.upload(weights, [N, K]);
 * ops.matmul(x, T, w, y);                   // forward
 * ops.matmulGradInput(dy, T, w, dx);        // dx += dy · W
 * ops.matmulGradWeight(dy, x, T, dw);       // dW += dyᵀ · x
 */
import type { BackendName } from '../backend.ts';
import type { Matrix, QuantKind } from '../quant.ts';

/** A device tensor of f32 values. */
export interface TrainTensor {
  readonly shape: readonly number[];
  /** number of f32 elements */
  readonly size: number;
}

/** A frozen linear weight `[rows = N, cols = K]` (f32, int8 or int4), read by `matmul` / `matmulGradInput` only. */
export interface FrozenWeight {
  readonly kind: QuantKind;
  readonly rows: number;
  readonly cols: number;
  readonly bytes: number;
}

/** A linear weight: trainable (`TrainTensor` of shape `[N, K]`) or frozen. */
export type LinearWeight = TrainTensor | FrozenWeight;

/** Shape of one causal GQA attention call over `batch` contiguous sequences of `seqLen` rows each. */
export interface AttentionShape {
  batch: number;
  seqLen: number;
  nHeads: number;
  nKvHeads: number;
  headDim: number;
}

/** One AdamW update (decoupled weight decay, bias-corrected moments). */
export interface AdamWHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** 1-based step number (bias correction) */
  step: number;
  /**
   * Gradient clipping by global norm: when set, the gradient is scaled by `min(1, maxNorm / (sqrt(normSq) + 1e-6))`
   * with `normSq` the one-element tensor `sumSquares` wrote (read on the device: no host round trip).
   */
  clip?: { maxNorm: number; normSq: TrainTensor } | null;
}

/** Device bytes held. */
export interface TrainOpsMemory {
  tensors: number;
  frozen: number;
  /** the largest `tensors + frozen` seen since creation */
  peak: number;
}

export interface TrainOps {
  readonly name: BackendName;

  // ---- memory -------------------------------------------------------------------------------------------------
  /** A zero-filled tensor. */
  alloc(shape: readonly number[]): TrainTensor;
  /** A tensor holding a copy of `data` (shape defaults to `[data.length]`). */
  upload(data: Float32Array, shape?: readonly number[]): TrainTensor;
  /** Overwrites `data.length` elements of `t` from element `offset`. */
  write(t: TrainTensor, data: Float32Array, offset?: number): void;
  /** Copies `length` elements from `offset` (default: all) back to the host, after every enqueued op. */
  read(t: TrainTensor, offset?: number, length?: number): Promise<Float32Array>;
  /** Sets every element to `value`. */
  fill(t: TrainTensor, value: number): void;
  /** `dst = src` (same size). */
  copy(src: TrainTensor, dst: TrainTensor): void;
  /** Uploads a frozen base weight (quantise first with `src/engine/quant.ts` for QLoRA). */
  uploadFrozen(m: Matrix): FrozenWeight;
  /** Frees a tensor or weight; using it afterwards is an `engine/disposed` error. Idempotent. */
  dispose(t: TrainTensor | FrozenWeight): void;
  memory(): TrainOpsMemory;

  // ---- linear layers ------------------------------------------------------------------------------------------
  /** `y[T, N] = x[T, K] · Wᵀ` (`accumulate`: `y +=`). */
  matmul(x: TrainTensor, T: number, w: LinearWeight, y: TrainTensor, accumulate?: boolean): void;
  /** `dx[T, K] += dy[T, N] · W`. */
  matmulGradInput(dy: TrainTensor, T: number, w: LinearWeight, dx: TrainTensor): void;
  /** `dW[N, K] += dy[T, N]ᵀ · x[T, K]`. */
  matmulGradWeight(dy: TrainTensor, x: TrainTensor, T: number, dw: TrainTensor): void;

  // ---- LoRA: y += scale · (x · Aᵀ) · Bᵀ, split as shrink (h = x · Aᵀ) and expand (y += scale · h · Bᵀ) ----------
  /** `h[T, r] = x[T, K] · Aᵀ` (A `[r, K]`); keep `h` for backward. */
  loraShrink(x: TrainTensor, T: number, a: TrainTensor, h: TrainTensor): void;
  /** `y[T, N] += scale · h[T, r] · Bᵀ` (B `[N, r]`). */
  loraExpand(h: TrainTensor, T: number, b: TrainTensor, scale: number, y: TrainTensor): void;
  /** Expand's backward: `dh[T, r] += scale · dy · B`, `dB[N, r] += scale · dyᵀ · h`. */
  loraExpandBackward(dy: TrainTensor, h: TrainTensor, T: number, b: TrainTensor, scale: number, dh: TrainTensor, dB: TrainTensor): void;
  /** Shrink's backward: `dx[T, K] += dh · A`, `dA[r, K] += dhᵀ · x`. */
  loraShrinkBackward(dh: TrainTensor, x: TrainTensor, T: number, a: TrainTensor, dx: TrainTensor, dA: TrainTensor): void;
  /** Inverted dropout: `y = x · keep / (1 − p)` with `keep = dropoutKeep(seed, i, p)` per element `i`. */
  dropout(x: TrainTensor, p: number, seed: number, y: TrainTensor): void;
  /** Its backward (same mask): `dx += dy · keep / (1 − p)`. */
  dropoutBackward(dy: TrainTensor, p: number, seed: number, dx: TrainTensor): void;

  // ---- elementwise and normalisation -------------------------------------------------------------------------
  /** RMSNorm of `T` rows of size `d`: `y = x · rstd · w`, `rstd[t] = 1 / sqrt(mean(x²) + eps)` (kept for backward). */
  rmsNorm(x: TrainTensor, T: number, d: number, w: TrainTensor, eps: number, y: TrainTensor, rstd: TrainTensor): void;
  /** RMSNorm's backward: `dx += …`, and `dw += Σ_t dy · x · rstd` when `dw` is given (trainable norm). */
  rmsNormBackward(x: TrainTensor, T: number, d: number, w: TrainTensor, rstd: TrainTensor, dy: TrainTensor, dx: TrainTensor, dw: TrainTensor | null): void;
  /**
   * RoPE (half-split, as the inference kernel) of `x [T, nHeads, headDim]` at `positions[t]` into `y` (`y` may be
   * `x`). `invFreq` is `ropeInvFreq(headDim, theta, scaling)` (`headDim / 2` values).
   */
  rope(x: TrainTensor, T: number, nHeads: number, headDim: number, positions: Int32Array, invFreq: Float32Array, y: TrainTensor): void;
  /** RoPE's backward, the inverse rotation: `dx += R(−pos) · dy`. */
  ropeBackward(dy: TrainTensor, T: number, nHeads: number, headDim: number, positions: Int32Array, invFreq: Float32Array, dx: TrainTensor): void;
  /** `y = silu(gate) · up`. */
  siluMul(gate: TrainTensor, up: TrainTensor, y: TrainTensor): void;
  /** `dGate += dy · up · silu'(gate)`, `dUp += dy · silu(gate)`. */
  siluMulBackward(gate: TrainTensor, up: TrainTensor, dy: TrainTensor, dGate: TrainTensor, dUp: TrainTensor): void;
  /** `y = a + b` (`y` may be `a`). Its backward is the identity: pass the same gradient to both inputs. */
  add(a: TrainTensor, b: TrainTensor, y: TrainTensor): void;
  /** `y[t] += bias` for each of `T` rows (a frozen q/k/v bias; no backward needed). */
  addBias(y: TrainTensor, T: number, bias: TrainTensor): void;

  // ---- attention ----------------------------------------------------------------------------------------------
  /**
   * Causal GQA attention, scores scaled by `1/sqrt(headDim)`: `out [T, nHeads·headDim]`; `lse [T, nHeads]` gets each
   * row's log-sum-exp of scores (what backward needs to rebuild the probabilities without storing them).
   */
  attention(q: TrainTensor, k: TrainTensor, v: TrainTensor, s: AttentionShape, out: TrainTensor, lse: TrainTensor): void;
  /** Its backward: `dq`, `dk`, `dv` `+=` (reads the forward's `out` and `lse`). */
  attentionBackward(
    q: TrainTensor,
    k: TrainTensor,
    v: TrainTensor,
    out: TrainTensor,
    lse: TrainTensor,
    dOut: TrainTensor,
    s: AttentionShape,
    dq: TrainTensor,
    dk: TrainTensor,
    dv: TrainTensor,
  ): void;

  // ---- embedding and loss --------------------------------------------------------------------------------------
  /** `y[t] = table[tokens[t]]` (table `[vocab, hidden]`, trainable or frozen). */
  embedding(tokens: Int32Array, table: LinearWeight, y: TrainTensor): void;
  /** Scatter-add: `dTable[tokens[t]] += dy[t]`. */
  embeddingBackward(tokens: Int32Array, dy: TrainTensor, dTable: TrainTensor): void;
  /**
   * Softmax cross-entropy of `logits [T, V]` against `targets`, fused forward + backward: `loss[t] = −log softmax(
   * logits[t])[targets[t]]` for every row (weight or not: the caller sums what it needs); `dLogits[t] = weights[t] ·
   * (softmax(logits[t]) − onehot(targets[t]))` (overwritten). `weights` carries the loss mask and the normalisation
   * (e.g. `mask / tokensInBatch / gradAccum`); a row of weight 0 gets a zero gradient (its target may be −1).
   */
  crossEntropy(logits: TrainTensor, T: number, V: number, targets: Int32Array, weights: Float32Array, loss: TrainTensor, dLogits: TrainTensor): void;

  // ---- optimiser ------------------------------------------------------------------------------------------------
  /** `out[0] = Σ_i ‖grads[i]‖²` (overwritten), for clipping by global norm. */
  sumSquares(grads: readonly TrainTensor[], out: TrainTensor): void;
  /** One AdamW step, in place on `param`, `m`, `v`. */
  adamw(param: TrainTensor, grad: TrainTensor, m: TrainTensor, v: TrainTensor, h: AdamWHyper): void;
}

/**
 * The dropout mask bit of element `i` under `seed`: a counter-based hash (no state), so CPU and WGSL draw the same
 * mask and backward redraws the forward's. `keep` when the hash's 24-bit uniform is ≥ p.
 */
export function dropoutKeep(seed: number, i: number, p: number): boolean {
  let h = (Math.imul(i >>> 0, 0x9e3779b1) ^ Math.imul(seed >>> 0, 0x85ebca77)) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
  h = Math.imul(h ^ (h >>> 12), 0x297a2d39) >>> 0;
  h = (h ^ (h >>> 15)) >>> 0;
  return (h >>> 8) / 16777216 >= p;
}
