/**
 * The WASM SIMD path of `matmul` (weights on the heap), split by rows over the CPU threads when a pool runs
 * (`../threads/threadPool.ts`): x and out are used in place when they are heap views (the CPU backend's tensors), else
 * staged through heap scratch; every row is computed by the same kernel
 * with the same arithmetic whichever thread takes it, so threaded results are the same bits as on one thread.
 * - packed f32 (`PackedF32`, the backend's f32 weights): `gemvp2` for one token (N ≥ 32: two streams), `gemmp16` else;
 * - int8/int4, T < 4 (decode) with `intActivations`: x quantised to int8 per group once on the calling thread (`qx*`),
 *   then the integer kernels `gemvi8` / `gemvi4` / `gemvi4r` (see `quantDot.ts` for the error; `gemvi4r` only where the
 *   runtime's self-check passed, `relaxedDotOk`); without it the f32-activation kernels `gemvq8` / `gemvq4`;
 * - packed int4 (`PackedQ4`, the backend's int4 weights): decode with `intActivations` x quantised once by `qxIlv8`
 *   then `gemvi4p` where relaxed SIMD passed its self-check (the same bits as `gemvi4r` on the stored layout), else
 *   `qxMod16p` + `gemvi4pm` (the same bits as `gemvi4`), over panels of four rows split over the threads; f32 activations and prefill unpack 16 rows at a time (`unq4p`) into
 *   per-thread scratch and run the stored-layout kernels on them (`gemvq4`; `dq4` + `pack16` + `gemmp16`): same bits;
 * - packed int8 (`PackedQ8`, the backend's int8 weights): the same with `qxNat16p` + `gemvi8p` (the same bits as
 *   `gemvi8`), and `unq8p` + `gemvq8` / `dq8` for f32 activations and prefill;
 * - int8/int4 (rows a multiple of 16), T ≥ 4 (prefill): 16 rows at a time dequantised (`dq8`/`dq4`) and packed
 *   (`pack16`) into per-thread L1-sized scratch, then `gemmp16`;
 * - row-major f32 and other row counts: `gemv1` / `gemm` / `gemm16` on one thread (not on the backend's hot path).
 * False (nothing done) when the heap cannot grow for scratch: the caller falls back to JS.
 */
import type { CpuMatrix, SimdRuntime } from '../simd/simdRuntime.ts';
import { cpuThreads, type KernelCall } from '../threads/threadPool.ts';
import { Q4P_GROUP_BYTES } from '../simd/wasm/gemvi4p.ts';
import { Q8P_GROUP_BYTES } from '../simd/wasm/gemvi8p.ts';

/**
 * Kernel-wide switches for callers of `matmul` that pass no `activations` (tests, benches): `intActivations` makes
 * int4 decode quantise x to int8 per group of 32 and run the integer kernels, int8 too with `intActivationsQ8`.
 * Both default false: `matmul` itself keeps f32 activations (training's exact gradients and the WGSL kernels' CPU
 * twins rely on it). The CPU backend's decode asks for int8 activations per call instead (`createCpuBackend`'s
 * `decodeActivations`, default `'int8'`; docs/CPU-ENGINE.md).
 */
export const matmulOptions = {
  intActivations: false,
  intActivationsQ8: false,
};

const X_SCRATCH = 0;
const OUT_SCRATCH = 1;
const XQ_SCRATCH = 13;
const XS_SCRATCH = 14;
const XC_SCRATCH = 15;
/** per-thread dequantisation panels: slots PANEL_SCRATCH + 2t and + 2t + 1 */
const PANEL_SCRATCH = 20;
/** per-thread `PackedQ4` rows unpacked for the f32-activation kernels: slots UNPACK_SCRATCH + 2t (bytes), + 2t + 1 (scales) */
const UNPACK_SCRATCH = 100;
/** below this many multiply-adds a matmul stays on one thread (waking the others costs more) */
const MIN_PARALLEL_MACS = 1 << 16;

/** `parts` contiguous ranges of `units` units (as even as possible); empty ranges dropped */
function split(units: number, parts: number): [number, number][] {
  const out: [number, number][] = [];
  for (let p = 0; p < parts; p++) {
    const a = Math.floor((units * p) / parts);
    const b = Math.floor((units * (p + 1)) / parts);
    if (b > a) out.push([a, b]);
  }
  return out;
}

/** `intActivations`: decode with x quantised to int8 per group of 32 (the caller checked T < 4, int8/int4, groups of 32) */
export function simdMatmul(rt: SimdRuntime, x: Float32Array, T: number, w: CpuMatrix, out: Float32Array, intActivations = false): boolean {
  const N = w.rows;
  const K = w.cols;
  const packable = N % 16 === 0;
  const pool = cpuThreads();
  const threads = pool && T * N * K >= MIN_PARALLEL_MACS && pool.worthIt() ? pool.count : 1;
  // a panel of rows that stays in L1 (≤ 32 KiB) while every token streams past it (row-major `gemm` path)
  const P = packable ? 16 : Math.max(4, Math.floor(8192 / K) & ~3);
  const staged = w.kind !== 'f32p' && T >= 4;
  const quant = w.kind === 'q8' || w.kind === 'q4';
  /** packed int4 or int8 panels (`PackedQ4` / `PackedQ8`) */
  const q4p = w.kind === 'q4p' || w.kind === 'q8p';
  const intDot = (quant || q4p) && T < 4 && intActivations && K % 32 === 0;
  const G = K / 32;
  // x and out that live on the heap (the CPU backend's tensors) are used in place, by offset (taken before the scratch
  // calls, which may grow the heap); out only when it does not overlap x
  const xAt = rt.heapAt(x);
  const outAt0 = rt.heapAt(out);
  const outAt = outAt0 >= 0 && (xAt < 0 || outAt0 + T * N * 4 <= xAt || xAt + T * K * 4 <= outAt0) ? outAt0 : -1;
  let xOff: number, oOff: number;
  const panels: number[] = [];
  const unpacked: number[] = [];
  let xq = 0, xs = 0, xc = 0;
  try {
    xOff = xAt >= 0 ? xAt : rt.scratch(X_SCRATCH, T * K * 4);
    oOff = outAt >= 0 ? outAt : rt.scratch(OUT_SCRATCH, T * N * 4);
    if (staged && (quant || q4p || packable)) {
      const perThread = (quant || q4p) && packable;
      for (let t = 0; t < (perThread ? threads : 1); t++) {
        panels.push(rt.scratch(PANEL_SCRATCH + 2 * t, P * K * 4), perThread ? rt.scratch(PANEL_SCRATCH + 2 * t + 1, P * K * 4) : 0);
      }
    }
    if (q4p && !intDot) {
      // packed int4/int8 on the f32-activation paths: 16 rows at a time back to the stored layout, per thread
      const rowB = w.kind === 'q8p' ? K : K / 2;
      for (let t = 0; t < threads; t++) unpacked.push(rt.scratch(UNPACK_SCRATCH + 2 * t, 16 * rowB), rt.scratch(UNPACK_SCRATCH + 2 * t + 1, 16 * G * 4));
    }
    if (intDot) {
      xq = rt.scratch(XQ_SCRATCH, T * K * 2);
      xs = rt.scratch(XS_SCRATCH, T * G * 4);
      xc = rt.scratch(XC_SCRATCH, T * G * 4);
    }
  } catch {
    return false;
  }
  if (xAt < 0) rt.stageIn(x, -1, 0, T * K, xOff);
  const k = rt.kernels;
  let jobs: KernelCall[][];
  if (w.kind === 'f32p' && T === 1 && N >= 32) {
    // decode: two streams through the weights per thread, over whole 32-row blocks; an odd last panel on its own
    const base = w.data.byteOffset;
    const n2 = N & ~31;
    jobs = split(n2 / 32, threads).map(([a, b]) => [['gemvp2', xOff, base + a * 32 * K * 4, oOff + a * 128, (b - a) * 32, K]]);
    if (n2 < N) jobs[0]!.push(['gemmp16', xOff, base + n2 * K * 4, oOff + n2 * 4, 1, N - n2, K, N]);
  } else if (w.kind === 'f32p') {
    const base = w.data.byteOffset;
    jobs = split(N / 16, threads).map(([a, b]) => [['gemmp16', xOff, base + a * 16 * K * 4, oOff + a * 64, T, (b - a) * 16, K, N]]);
  } else if ((w.kind === 'q4p' || w.kind === 'q8p') && intDot) {
    // packed int4/int8: x quantised once in the panels' column order, panels of four rows over the threads
    const base = w.data.byteOffset;
    const int8 = w.kind === 'q8p';
    const panelB = (K / 32) * (int8 ? Q8P_GROUP_BYTES : Q4P_GROUP_BYTES);
    const relaxed = !int8 && k.gemvi4p !== undefined && k.qxIlv8 !== undefined && rt.relaxedDotOk;
    const qx = int8 ? k.qxNat16p : relaxed ? k.qxIlv8! : k.qxMod16p;
    const kernel = int8 ? 'gemvi8p' : relaxed ? 'gemvi4p' : 'gemvi4pm';
    for (let t = 0; t < T; t++) qx(xOff + t * K * 4, xq + t * K * 2, xs + t * G * 4, xc + t * G * 4, G);
    jobs = split(N / 4, threads).map(([a, b]) =>
      Array.from({ length: T }, (_, t): KernelCall => [kernel, xq + t * K * 2, xs + t * G * 4, xc + t * G * 4, base + a * panelB, oOff + (t * N + 4 * a) * 4, b - a, K]),
    );
  } else if (w.kind === 'q4p' || w.kind === 'q8p') {
    // packed int4/int8, f32 activations (T < 4: gemvq4/gemvq8) or prefill (dq4/dq8, pack16, gemmp16), on rows unpacked
    // 16 at a time into the thread's scratch (`unq4p`/`unq8p`: the stored bytes), so the results are the stored layout's
    const base = w.data.byteOffset;
    const int8 = w.kind === 'q8p';
    const panelB = (K / 32) * (int8 ? Q8P_GROUP_BYTES : Q4P_GROUP_BYTES);
    const [unq, gemvq, dq] = int8 ? ['unq8p', 'gemvq8', 'dq8'] : ['unq4p', 'gemvq4', 'dq4'];
    jobs = split(N / 16, threads).map(([a, b], th) => {
      const calls: KernelCall[] = [];
      const [uq, us] = [unpacked[2 * th]!, unpacked[2 * th + 1]!];
      for (let n0 = a * 16; n0 < b * 16; n0 += 16) {
        calls.push([unq, base + (n0 / 4) * panelB, uq, us, 4, K]);
        if (T < 4) for (let t = 0; t < T; t++) calls.push([gemvq, xOff + t * K * 4, uq, us, oOff + (t * N + n0) * 4, 16, K]);
        else {
          const [p, pp] = [panels[2 * th]!, panels[2 * th + 1]!];
          calls.push([dq, uq, us, p, 16 * G], ['pack16', p, pp, 16, K], ['gemmp16', xOff, pp, oOff + n0 * 4, T, 16, K, N]);
        }
      }
      return calls;
    });
  } else if (intDot) {
    // x quantised once here (one group of 32 at a time), then rows split over the threads in blocks of 4
    const q = w.q.byteOffset;
    const s = w.scales.byteOffset;
    const rowB = w.kind === 'q8' ? K : K / 2;
    const relaxed = w.kind === 'q4' && k.gemvi4r !== undefined && rt.relaxedDotOk;
    const kernel = w.kind === 'q8' ? 'gemvi8' : relaxed ? 'gemvi4r' : 'gemvi4';
    for (let t = 0; t < T; t++) {
      const args = [xOff + t * K * 4, xq + t * K * 2, xs + t * G * 4, xc + t * G * 4, G] as const;
      if (w.kind === 'q8') k.qxNat16(...args);
      else if (relaxed) k.qxEo8(...args);
      else k.qxMod16(...args);
    }
    jobs = split(Math.ceil(N / 4), threads).map(([a, b]) => {
      const n0 = a * 4;
      const n = Math.min(N, b * 4) - n0;
      return Array.from({ length: T }, (_, t): KernelCall => [kernel, xq + t * K * 2, xs + t * G * 4, xc + t * G * 4, q + n0 * rowB, s + n0 * G * 4, oOff + (t * N + n0) * 4, n, K]);
    });
  } else if (quant && T < 4) {
    // f32 activations, dequantisation fused; rows split over the threads
    const kernel = w.kind === 'q8' ? 'gemvq8' : 'gemvq4';
    const rowB = w.kind === 'q8' ? K : K / 2;
    jobs = split(N, threads).map(([n0, n1]) =>
      Array.from({ length: T }, (_, t): KernelCall => [kernel, xOff + t * K * 4, w.q.byteOffset + n0 * rowB, w.scales.byteOffset + n0 * G * 4, oOff + (t * N + n0) * 4, n1 - n0, K]),
    );
  } else if (quant && packable) {
    // prefill: per thread, its 16-row panels dequantised and packed into its own scratch, then gemmp16
    const rowB = w.kind === 'q8' ? K : K / 2;
    const dq = w.kind === 'q8' ? 'dq8' : 'dq4';
    jobs = split(N / 16, threads).map(([a, b], t) => {
      const calls: KernelCall[] = [];
      const [p, pp] = [panels[2 * t]!, panels[2 * t + 1]!];
      for (let n0 = a * 16; n0 < b * 16; n0 += 16) {
        calls.push([dq, w.q.byteOffset + n0 * rowB, w.scales.byteOffset + n0 * G * 4, p, 16 * G]);
        calls.push(['pack16', p, pp, 16, K]);
        calls.push(['gemmp16', xOff, pp, oOff + n0 * 4, T, 16, K, N]);
      }
      return calls;
    });
  } else {
    jobs = [singleThreadRest(w, T, N, K, P, packable, xOff, oOff, panels[0] ?? 0)];
  }
  if (jobs.length > 1) pool!.run(jobs);
  else {
    const fns = k as unknown as Record<string, (...a: number[]) => void>;
    for (const [name, ...args] of jobs[0] ?? []) fns[name]!(...args);
  }
  if (outAt < 0) out.set(rt.f32().subarray(oOff >> 2, (oOff >> 2) + T * N));
  return true;
}

/** Row-major f32 weights, and quantised ones whose rows are not a multiple of 16 (T ≥ 4): one thread. */
function singleThreadRest(w: CpuMatrix, T: number, N: number, K: number, P: number, packable: boolean, xOff: number, oOff: number, pOff: number): KernelCall[] {
  const calls: KernelCall[] = [];
  const gemmName = K % 16 === 0 ? 'gemm16' : 'gemm';
  if (w.kind === 'f32' && T < 4) {
    // few tokens (decode): one token at a time, one row at a time — a single sequential stream through the weights
    if (K % 16 === 0) for (let t = 0; t < T; t++) calls.push(['gemv1', xOff + t * K * 4, w.data.byteOffset, oOff + t * N * 4, N, K]);
    else calls.push(['gemm', xOff, w.data.byteOffset, oOff, T, N, K, N]);
  } else if (w.kind === 'f32') {
    for (let n0 = 0; n0 < N; n0 += P) {
      const rows = Math.min(P, N - n0);
      if (packable) {
        calls.push(['pack16', w.data.byteOffset + n0 * K * 4, pOff, rows, K]);
        calls.push(['gemmp16', xOff, pOff, oOff + n0 * 4, T, rows, K, N]);
      } else calls.push([gemmName, xOff, w.data.byteOffset + n0 * K * 4, oOff + n0 * 4, T, rows, K, N]);
    }
  } else if (w.kind === 'q8' || w.kind === 'q4') {
    const groupsPerRow = K / 32;
    const bytesPerRow = w.kind === 'q8' ? K : K / 2;
    const dq = w.kind === 'q8' ? 'dq8' : 'dq4';
    for (let n0 = 0; n0 < N; n0 += P) {
      const rows = Math.min(P, N - n0);
      calls.push([dq, w.q.byteOffset + n0 * bytesPerRow, w.scales.byteOffset + n0 * groupsPerRow * 4, pOff, rows * groupsPerRow]);
      calls.push([gemmName, xOff, pOff, oOff + n0 * 4, T, rows, K, N]);
    }
  }
  return calls;
}
