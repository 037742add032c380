/// <reference types="@webgpu/types" />
/**
 * `out[T, N] = x[T, K] · Wᵀ (+ bias) (+ out when accumulate)` on the GPU, W in f32, f16, int8 or int4
 * (widened / dequantised to f32 inside the kernel). GPU twin of `cpu/kernels/matmul.ts`.
 * - `gemv` (shaders/gemv.wgsl): decode, T ≤ 4 — 8 output rows per workgroup, 32 lanes split K.
 * - `tiled` (shaders/matmul.wgsl): prefill — 64x64 output tiles, K through workgroup memory.
 * - `tiled-f16` (shaders/matmul_f16.wgsl): the same prefill tiles computing in f16 (`enable f16;`), picked for f16
 *   weights on a device with `shader-f16` (`opts.hasF16`, from `rt.info.hasF16`): x rounded to f16 at the tile load,
 *   the stored halves used as they are, `dot` of 4 halves per step accumulated in f32; half the workgroup memory and
 *   twice the values per ALU op. Only prefill gets it: prefill is compute-bound (each weight is reused by T rows),
 *   decode (gemv, T ≤ 4) is bound by reading the weights, which f16 storage already halves, so f16 arithmetic there
 *   would cost precision for nothing. Every other case (f32 / int8 / int4 weights, no `shader-f16`, the coarse
 *   family for software adapters) computes in f32.
 * - `coarse-gemv` / `coarse` (shaders/matmul_coarse.wgsl): the same two jobs without workgroup memory or
 *   barriers, each invocation owning 4 output columns × 1 or 8 tokens (the `coarse` kernel family, picked on
 *   software adapters such as SwiftShader; needs K % 4 == 0).
 * Every kernel can fuse the next op on the result (residual add, SwiGLU) as an epilogue (`opts.epilogue`), or split
 * its output columns over up to three buffers (`opts.split`: the fused q/k/v projection writing q, k and v).
 * The decode kernels (`gemv`, `coarse-gemv`) can also fold the RMSNorm before them in (`opts.norm`: x is then the
 * un-normed rows, each workgroup / invocation computes its row's norm itself, and the first column block writes h).
 *
 * @example
 * matmul(rt, x, T, w, out, { bias });
 */
import type { GpuRuntime, KernelFamily } from '../runtime.ts';
import { checkGpuMatrix, gpuMatrixBuffers, weightBindings, weightsShader, type GpuMatrix } from '../matrix.ts';
import { badShape, checkBuffer, checkGroups, checkInt, type GpuProgram } from '../program.ts';

export type MatmulVariant = 'gemv' | 'tiled' | 'tiled-f16' | 'coarse-gemv' | 'coarse';

/**
 * The op a kernel can fuse on its result r (matmul, and the LoRA expands that finish a matmul's output): `aux`
 * (as many values as the result, not one of the kernel's other buffers) is updated from each final r:
 * `residual`: aux += r; `swiglu`: aux = silu(aux) · r (aux is the gate, r the up projection).
 */
export interface Epilogue {
  kind: 'residual' | 'swiglu';
  aux: GPUBuffer;
}

/** The `epilogue` uniform of the kernels: 0 none, 1 residual, 2 SwiGLU. */
export function epilogueCode(e: Epilogue | undefined): number {
  return e ? (e.kind === 'residual' ? 1 : 2) : 0;
}

export interface MatmulOptions {
  bias?: GPUBuffer;
  /** add into `out` instead of overwriting it */
  accumulate?: boolean;
  /** force a kernel (tests); default: from the kernel family and T (see `matmulVariant`) */
  variant?: MatmulVariant;
  /** kernel family when no variant is forced (default `gpu`) */
  kernels?: KernelFamily;
  /** the device has `shader-f16` (`rt.info.hasF16`): prefill on f16 weights then computes in f16 (default false) */
  hasF16?: boolean;
  /**
   * Also update `aux` (T × N values, not x, out or bias) from each result r, out being written as usual:
   * `residual`: aux += r; `swiglu`: aux = silu(aux) · r (aux is the gate, out the up projection).
   */
  epilogue?: Epilogue;
  /** a small storage buffer bound as `aux` when there is no epilogue (`GpuRuntime.dummy`) */
  dummy?: GPUBuffer;
  /**
   * Split output (not with `epilogue`): columns `[0, at[0])` go to `out` (T × at[0] values, row-major at that
   * width), `[at[0], at[1])` to `out2` and `[at[1], N)` to `out3`, each at its own width; `bias` stays indexed
   * by the column of the whole product. `0 < at[0] ≤ at[1] ≤ N`; a buffer of an empty part may be omitted.
   */
  split?: { at: readonly [number, number]; out2?: GPUBuffer; out3?: GPUBuffer };
  /** two small storage buffers bound as `out2` / `out3` when they are unused (`GpuRuntime.dummyOut`) */
  dummyOut?: readonly [GPUBuffer, GPUBuffer];
  /**
   * Norm prologue (`gemv` / `coarse-gemv` only): x holds the un-normed rows and the product is taken with
   * `h = rmsNorm(x, weight, eps)` (K values of `weight`), which the kernel also writes to `h` (T × K values; a buffer
   * none of the others), bit for bit what `rmsNorm` (its `wg` kernel for `gemv`, `coarse` for `coarse-gemv`) writes.
   * With a bias the norm weight takes a binding of its own: see `normPrologueFits`.
   */
  norm?: NormPrologue;
  /** the device's `maxStorageBuffersPerShaderStage` (`rt.info.limits`): a program needing more is refused */
  maxStorageBuffers?: number;
}

export interface NormPrologue {
  weight: GPUBuffer;
  eps: number;
  h: GPUBuffer;
}

export const GEMV_MAX_T = 4;

/**
 * The kernel for T rows of x against `w`: gemv for T ≤ GEMV_MAX_T, else the tiled matmul, each in the family's design;
 * the tiled matmul in f16 (`tiled-f16`) for f16 weights on the `gpu` family when the device has `shader-f16`.
 */
export function matmulVariant(T: number, w: Pick<GpuMatrix, 'cols'> & { kind?: GpuMatrix['kind'] }, kernels: KernelFamily = 'gpu', hasF16 = false): MatmulVariant {
  const small = T <= GEMV_MAX_T;
  // the coarse kernels read x (and f32 W) as vec4 words
  if (kernels === 'coarse' && w.cols % 4 === 0) return small ? 'coarse-gemv' : 'coarse';
  if (small) return 'gemv';
  return kernels === 'gpu' && hasF16 && w.kind === 'f16' ? 'tiled-f16' : 'tiled';
}

/**
 * Whether a norm prologue fits the device's storage-buffer bindings: x, y, bias, aux, out2, out3 and the weight's
 * buffers (f32 / f16: 1, int8 / int4: 2) are bound anyway; h goes to `aux` (no epilogue) or `out2` (an epilogue, which
 * never comes with a split), and the norm weight to the `bias` binding when there is no bias: no extra binding. With a
 * bias the norm weight needs one more (binding 7): 8 for f32 / f16 (WebGPU's guaranteed 8 fit), 9 for int8 / int4.
 */
export function normPrologueFits(w: Pick<GpuMatrix, 'kind'>, hasBias: boolean, maxStorageBuffers: number): boolean {
  return 6 + (w.kind === 'f32' || w.kind === 'f16' ? 1 : 2) + (hasBias ? 1 : 0) <= maxStorageBuffers;
}

export function matmulProgram(x: GPUBuffer, T: number, w: GpuMatrix, out: GPUBuffer, opts: MatmulOptions = {}): GpuProgram {
  const op = 'matmul';
  checkInt(op, 'T', T);
  checkGpuMatrix(op, w);
  const N = w.rows;
  const K = w.cols;
  checkBuffer(op, 'x', x, T * K);
  const split = opts.split;
  let s1 = 0;
  let s2 = 0;
  let out2 = opts.dummyOut?.[0];
  let out3 = opts.dummyOut?.[1];
  if (split) {
    [s1, s2] = split.at;
    if (!(Number.isInteger(s1) && Number.isInteger(s2) && s1 > 0 && s1 <= s2 && s2 <= N)) {
      throw badShape(op, `split points must satisfy 0 < at[0] <= at[1] <= N = ${N} (got ${s1}, ${s2}).`);
    }
    if (opts.epilogue) throw badShape(op, 'a split output cannot carry an epilogue.');
    checkBuffer(op, 'out', out, T * s1);
    const parts: [string, GPUBuffer | undefined, number][] = [
      ['out2', split.out2, s2 - s1],
      ['out3', split.out3, N - s2],
    ];
    for (const [what, buf, width] of parts) {
      if (width === 0) continue;
      if (!buf) throw badShape(op, `${what} is missing (${width} columns go there).`);
      checkBuffer(op, what, buf, T * width);
    }
    if (s2 > s1) out2 = split.out2;
    if (N > s2) out3 = split.out3;
    const outs = [out, s2 > s1 ? split.out2 : undefined, N > s2 ? split.out3 : undefined].filter((b) => b !== undefined);
    if (new Set(outs).size !== outs.length) throw badShape(op, 'the split outputs must be distinct buffers.');
    for (const b of outs) if (b === x || b === opts.bias) throw badShape(op, 'an output must not be x or bias.');
  } else checkBuffer(op, 'out', out, T * N);
  if (opts.bias) checkBuffer(op, 'bias', opts.bias, N);
  if (x === out) throw badShape(op, 'out must not be the input buffer.');
  if (!out2 || !out3) throw badShape(op, 'the matmul kernels need two spare buffers for out2 / out3 when they are unused.');
  const variant = opts.variant ?? matmulVariant(T, w, opts.kernels, opts.hasF16);
  const coarse = variant === 'coarse' || variant === 'coarse-gemv';
  if (coarse && K % 4 !== 0) throw badShape(op, `the coarse kernels need K % 4 == 0 (got ${K}).`);
  if (variant === 'tiled-f16') {
    if (w.kind !== 'f16') throw badShape(op, `the f16 arithmetic kernel takes f16 weights (got ${w.kind}).`);
    if (!opts.hasF16) throw badShape(op, 'the f16 arithmetic kernel needs a device with shader-f16.');
  }
  const epi = opts.epilogue;
  if (epi) {
    checkBuffer(op, 'aux', epi.aux, T * N);
    if (epi.aux === x || epi.aux === out || epi.aux === opts.bias) throw badShape(op, 'aux must not be x, out or bias.');
  }
  let auxBuffer = epi?.aux ?? opts.dummy;
  if (!auxBuffer) throw badShape(op, 'the matmul kernels need a dummy buffer for aux when there is no epilogue.');
  const norm = opts.norm;
  if (norm) {
    if (variant !== 'gemv' && variant !== 'coarse-gemv') throw badShape(op, `a norm prologue needs a decode kernel (gemv, coarse-gemv; got ${variant}).`);
    checkBuffer(op, 'norm weight', norm.weight, K);
    checkBuffer(op, 'h', norm.h, T * K);
    if (!(norm.eps >= 0)) throw badShape(op, `the norm's eps must be ≥ 0 (got ${norm.eps}).`);
    const others = [x, out, opts.bias, epi?.aux, split?.out2, split?.out3, norm.weight, ...gpuMatrixBuffers(w)];
    if (others.includes(norm.h)) throw badShape(op, 'h must be a buffer of its own (not x, an output, bias, aux or a weight).');
    if ([out, epi?.aux, split?.out2, split?.out3].includes(norm.weight)) throw badShape(op, 'the norm weight must not be an output.');
    if (opts.maxStorageBuffers !== undefined && !normPrologueFits(w, opts.bias !== undefined, opts.maxStorageBuffers)) {
      throw badShape(op, `a norm prologue with a bias on ${w.kind} weights needs more than the device's ${opts.maxStorageBuffers} storage buffers.`);
    }
    // h rides in aux without an epilogue, in out2 with one (never split then)
    if (epi) out2 = norm.h;
    else auxBuffer = norm.h;
  }
  let dispatch: [number, number, number];
  if (variant === 'gemv') dispatch = [Math.ceil(N / 8), T, 1];
  else if (variant === 'tiled' || variant === 'tiled-f16') dispatch = [Math.ceil(N / 64), Math.ceil(T / 64), 1];
  else dispatch = [Math.ceil(N / 128), variant === 'coarse' ? Math.ceil(T / 8) : T, 1];
  checkGroups(op, dispatch);
  // the coarse kernels walk K group by group, scaling once per group: f32 and f16 (scale 1) are one group of K
  const gs = w.kind === 'f32' || w.kind === 'f16' ? (coarse ? K : 1) : w.groupSize;
  const weights = coarse && w.kind === 'f32' ? 'lib/weights_f32_vec4' : weightsShader(w.kind);
  // `enable f16;` has to open the module: the runtime joins the files in this order
  // the norm weight: in the bias binding when there is no bias, else at binding 7 (lib/norm_w_own)
  const ownNormW = norm !== undefined && opts.bias !== undefined;
  const normLib = ownNormW ? 'lib/norm_w_own' : 'lib/norm_w_bias';
  const shader =
    variant === 'tiled-f16'
      ? ['lib/enable_f16', 'lib/weights_f16h', 'lib/split_out', 'lib/epilogue', 'matmul_f16']
      : variant === 'tiled'
        ? [weights, 'lib/split_out', 'lib/epilogue', 'matmul']
        : [weights, 'lib/split_out', 'lib/epilogue', normLib, coarse ? 'matmul_coarse' : 'gemv'];
  return {
    name: `${op}-${variant}-${w.kind}${norm ? '-norm' : ''}`,
    shader,
    ...(variant === 'coarse-gemv' ? { entryPoint: 'gemv' } : {}),
    uniforms: [
      { u32: T },
      { u32: N },
      { u32: K },
      { u32: gs },
      { u32: opts.bias ? 1 : 0 },
      { u32: opts.accumulate ? 1 : 0 },
      { u32: epilogueCode(epi) },
      { u32: s1 },
      { u32: s2 },
      { u32: norm ? 1 : 0 },
      norm ? { f32: norm.eps } : { u32: 0 },
    ],
    bindings: [
      { binding: 1, buffer: x },
      { binding: 2, buffer: out },
      // bias is read only when has_bias = 1; it carries the norm weight when there is a norm and no bias; bind something valid otherwise
      { binding: 3, buffer: opts.bias ?? norm?.weight ?? x },
      { binding: 4, buffer: auxBuffer },
      { binding: 5, buffer: out2 },
      { binding: 6, buffer: out3 },
      ...(ownNormW ? [{ binding: 7, buffer: norm.weight }] : []),
      ...weightBindings(w),
    ],
    dispatch,
  };
}

export function matmul(rt: GpuRuntime, x: GPUBuffer, T: number, w: GpuMatrix, out: GPUBuffer, opts: MatmulOptions = {}): void {
  rt.run(matmulProgram(x, T, w, out, { kernels: rt.kernels, hasF16: rt.info.hasF16, dummy: rt.dummy, dummyOut: rt.dummyOut, maxStorageBuffers: maxStorageBuffers(rt), ...opts }));
}

/** The device's `maxStorageBuffersPerShaderStage` (WebGPU's guaranteed 8 when the runtime does not say). */
export function maxStorageBuffers(rt: GpuRuntime): number {
  return rt.info.limits?.maxStorageBuffersPerShaderStage ?? 8;
}
