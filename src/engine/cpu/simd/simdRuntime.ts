/**
 * The WASM SIMD runtime of the CPU backend: one `WebAssembly.Memory` (the heap) holding weight matrices and scratch,
 * and the kernels of `simdModule.ts`. A `Matrix` whose arrays are views on the heap (`toHeap`) is multiplied with SIMD
 * by the `matmul` kernel; any other `Matrix` takes the plain-JS path. When the heap grows, the views of every live
 * heap matrix are re-created (growing detaches the old buffer), so holders keep valid arrays.
 *
 * `simdRuntime()` returns null where WASM SIMD is missing (then everything runs in JS). Set
 * `globalThis.TRIBUTARY_NO_SIMD = true` before first use to force the JS path (tests, comparisons), or
 * `globalThis.TRIBUTARY_NO_FMA = true` to keep plain SIMD where relaxed SIMD's fused multiply-add exists.
 *
 * @example
 * const rt = simdRuntime();
 * const w = rt ? rt.toHeap(quantizeQ8(data, rows, cols)) : quantizeQ8(data, rows, cols);
 * matmul(x, T, w, out);   // SIMD when w lives on the heap
 */
import type { Matrix } from '../../quant.ts';
import { RELAXED_CHECK_BYTES, relaxedDotSelfCheck } from './relaxedDotCheck.ts';
import { simdModuleBytes } from './simdModule.ts';
import { packedQ4Bytes, packQ4 } from '../kernels/packQ4.ts';
import { packedQ8Bytes, packQ8 } from '../kernels/packQ8.ts';

const PAGE = 65536;
/** 2 GiB: heap offsets stay below 2^31 (they are shifted as i32 in JS) */
const SHARED_MAX_PAGES = 32768;
const ALIGN = 16;

interface Kernels {
  gemm(x: number, w: number, out: number, T: number, N: number, K: number, ldo: number): void;
  gemm16(x: number, w: number, out: number, T: number, N: number, K: number, ldo: number): void;
  gemmp16(x: number, wp: number, out: number, T: number, N: number, K: number, ldo: number): void;
  gemvp2(x: number, wp: number, out: number, N: number, K: number): void;
  pack16(src: number, dst: number, rows: number, K: number): void;
  gemv1(x: number, w: number, out: number, N: number, K: number): void;
  gemvq8(x: number, q: number, s: number, out: number, N: number, K: number): void;
  gemvq4(x: number, q: number, s: number, out: number, N: number, K: number): void;
  qxNat16(x: number, xq: number, xs: number, corr: number, groups: number): void;
  qxMod16(x: number, xq: number, xs: number, corr: number, groups: number): void;
  qxEo8(x: number, xq: number, xs: number, corr: number, groups: number): void;
  gemvi8(xq: number, xs: number, corr: number, q: number, s: number, out: number, N: number, K: number): void;
  gemvi4(xq: number, xs: number, corr: number, q: number, s: number, out: number, N: number, K: number): void;
  /** only in the relaxed-SIMD build (`fma`) */
  gemvi4r?: (xq: number, xs: number, corr: number, q: number, s: number, out: number, N: number, K: number) => void;
  /** `PackedQ4` panels: `qxMod16p` + `gemvi4pm` (plain SIMD), `unq4p` back to the stored layout */
  qxMod16p(x: number, xq: number, xs: number, corr: number, groups: number): void;
  gemvi4pm(xq: number, xs: number, corr: number, p: number, out: number, panels: number, K: number): void;
  unq4p(src: number, q: number, s: number, panels: number, K: number): void;
  /** `PackedQ8` panels: `qxNat16p` + `gemvi8p` (both builds), `unq8p` back to the stored layout */
  qxNat16p(x: number, xq: number, xs: number, corr: number, groups: number): void;
  gemvi8p(xq: number, xs: number, corr: number, p: number, out: number, panels: number, K: number): void;
  unq8p(src: number, q: number, s: number, panels: number, K: number): void;
  /** relaxed-SIMD build only: `qxIlv8` + `gemvi4p` on `PackedQ4` panels (where `relaxedDotOk`) */
  qxIlv8?: (x: number, xq: number, xs: number, corr: number, groups: number) => void;
  gemvi4p?: (xq: number, xs: number, corr: number, p: number, out: number, panels: number, K: number) => void;
  dq8(q: number, s: number, dst: number, groups: number): void;
  dq4(q: number, s: number, dst: number, groups: number): void;
  siluMul(g: number, u: number, out: number, n: number): void;
  rmsNorm(x: number, w: number, out: number, T: number, d: number, eps: number): void;
  add(a: number, b: number, out: number, n: number): void;
  attn(q: number, k: number, v: number, out: number, sc: number, T: number, start: number, hd: number, qS: number, kvS: number, scale: number): void;
  /** `attn` over a paged pool read in place: key `j` at `k + rows[j]`, `v + rows[j]` (i32 byte offsets at `rows`) */
  attnp(q: number, k: number, v: number, out: number, sc: number, T: number, start: number, hd: number, qS: number, rows: number, scale: number): void;
  loraShrink(x: number, a: number, h: number, rows: number, K: number, r: number, scale: number): void;
  loraExpand(h: number, bt: number, out: number, rows: number, N: number, r: number): void;
}

interface Block {
  off: number;
  size: number;
}

/** First-fit allocator over the memory, 16-byte aligned, coalescing on free. */
class Heap {
  private top = ALIGN; // offset 0 stays unused
  private readonly holes: Block[] = [];
  readonly onGrow = new Set<() => void>();
  constructor(readonly memory: WebAssembly.Memory) {}

  alloc(bytes: number): number | null {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    for (let i = 0; i < this.holes.length; i++) {
      const h = this.holes[i]!;
      if (h.size < size) continue;
      const off = h.off;
      if (h.size === size) this.holes.splice(i, 1);
      else {
        h.off += size;
        h.size -= size;
      }
      return off;
    }
    const need = this.top + size;
    if (need > this.memory.buffer.byteLength) {
      const pages = Math.ceil((need - this.memory.buffer.byteLength) / PAGE);
      try {
        this.memory.grow(Math.max(pages, Math.min(256, this.memory.buffer.byteLength / PAGE / 4) | 0));
      } catch {
        try {
          this.memory.grow(pages);
        } catch {
          return null;
        }
      }
      for (const f of this.onGrow) f();
    }
    const off = this.top;
    this.top = need;
    return off;
  }

  free(off: number, bytes: number): void {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    if (off + size === this.top) {
      this.top = off;
      // swallow a hole that now touches the top
      const last = this.holes[this.holes.length - 1];
      if (last && last.off + last.size === this.top) {
        this.top = last.off;
        this.holes.pop();
      }
      return;
    }
    let i = 0;
    while (i < this.holes.length && this.holes[i]!.off < off) i++;
    this.holes.splice(i, 0, { off, size });
    const next = this.holes[i + 1];
    if (next && off + size === next.off) {
      this.holes[i]!.size += next.size;
      this.holes.splice(i + 1, 1);
    }
    const prev = this.holes[i - 1];
    if (prev && prev.off + prev.size === off) {
      prev.size += this.holes[i]!.size;
      this.holes.splice(i, 1);
    }
  }

  get bytesInUse(): number {
    return this.top - this.holes.reduce((s, h) => s + h.size, 0);
  }
}

/**
 * An f32 `[rows, cols]` matrix on the heap stored as panels of 16 rows, each `[cols][16]` (k-major), the layout
 * `gemmp16` streams: element (n, k) is at `data[(n >> 4) * 16 * cols + k * 16 + (n & 15)]`. Not a `Matrix` (whose f32
 * data is row-major), so nothing reads it as one by mistake; only the CPU backend's kernels take it.
 */
export interface PackedF32 {
  kind: 'f32p';
  rows: number;
  cols: number;
  data: Float32Array;
}

/**
 * An int4 `[rows, cols]` matrix (groups of 32, rows a multiple of 16) on the heap in panels of four rows, weights and
 * scales interleaved in one stream (`../kernels/packQ4.ts`; the layout `gemvi4p` / `gemvi4pm` read). Made by
 * `toHeapPacked`; like `PackedF32`, not a `Matrix`, so nothing reads it as one.
 */
export interface PackedQ4 {
  kind: 'q4p';
  rows: number;
  cols: number;
  groupSize: 32;
  data: Uint8Array;
}

/**
 * An int8 `[rows, cols]` matrix (groups of 32, rows a multiple of 16) on the heap in panels of four rows, weights and
 * scales interleaved in one stream (`../kernels/packQ8.ts`; the layout `gemvi8p` reads). Made by `toHeapPacked`.
 */
export interface PackedQ8 {
  kind: 'q8p';
  rows: number;
  cols: number;
  groupSize: 32;
  data: Uint8Array;
}

/** What the CPU backend keeps as a weight: a `Matrix` or, with SIMD, packed f32, int8 or int4 panels. */
export type CpuMatrix = Matrix | PackedF32 | PackedQ4 | PackedQ8;

/** Writes row-major `src` (`[rows, cols]`, rows a multiple of 16) into `dst` in the `PackedF32` layout. */
export function packF32(src: Float32Array, rows: number, cols: number, dst: Float32Array): void {
  for (let p = 0; p < rows; p += 16) {
    const base = p * cols;
    for (let r = 0; r < 16; r++) {
      const s0 = (p + r) * cols;
      for (let k = 0, d = base + r; k < cols; k++, d += 16) dst[d] = src[s0 + k]!;
    }
  }
}

export interface SimdRuntime {
  readonly memory: WebAssembly.Memory;
  /** the compiled module (workers instantiate it on the same memory: `../threads/threadPool.ts`) */
  readonly module: WebAssembly.Module;
  /** the module's exports, by name */
  readonly kernelNames: readonly string[];
  /** true when `memory` is a shared memory (threads can run) */
  readonly shared: boolean;
  readonly kernels: Kernels;
  /** true when the matmul kernels use relaxed SIMD's `f32x4.relaxed_madd` (see `simdRuntime`) */
  readonly fma: boolean;
  /** true when relaxed SIMD's i8 dot product passed the startup self-check (`relaxedDotCheck.ts`): `gemvi4r` may run */
  readonly relaxedDotOk: boolean;
  /** A copy of `m` living on the heap (or `m` itself when the heap cannot grow enough). */
  toHeap(m: Matrix): Matrix;
  /**
   * Like `toHeap`, but f32 matrices whose rows are a multiple of 16 (and cols of 4) are stored packed (`PackedF32`),
   * int8 ones (groups of 32, rows a multiple of 16) as `PackedQ8` and int4 ones as `PackedQ4`: what the CPU backend does
   * with its weights.
   */
  toHeapPacked(m: Matrix): CpuMatrix;
  /** Frees a heap matrix made by `toHeap` / `toHeapPacked` (no-op for other matrices). */
  release(m: CpuMatrix): void;
  /** True when `m`'s arrays are views on the heap. */
  owns(m: CpuMatrix): boolean;
  /** A zero-filled heap region of `bytes` (16-byte aligned; byte offset), or null when the heap cannot grow. */
  alloc(bytes: number): number | null;
  /** Frees a region from `alloc` (same size). */
  free(off: number, bytes: number): void;
  /** A scratch region of at least `bytes` (reused; valid until the next `scratch` call with a larger size). */
  scratch(slot: number, bytes: number): number;
  /** current views of the heap */
  f32(): Float32Array;
  /**
   * The byte offset of `view` on the heap, or -1 when it is not a view on the current heap buffer. Kernels read it
   * once on entry and address the data by offset from then on: offsets survive the heap growing, views of a
   * non-shared memory do not (growing detaches them).
   */
  heapAt(view: ArrayBufferView): number;
  /** `view` itself, or (when the heap grew since it was made) a new view of the same `len` values at heap offset `at` */
  reView(view: Float32Array, at: number, len: number): Float32Array;
  /**
   * `n` f32 values from `from` (values) of `view`, whose heap offset is `at` (-1: not on the heap, the view is read),
   * into the heap at byte offset `dst`.
   */
  stageIn(view: Float32Array, at: number, from: number, n: number, dst: number): void;
  bytesInUse(): number;
}

let runtime: SimdRuntime | null | undefined;

export function simdRuntime(): SimdRuntime | null {
  if (runtime !== undefined) return runtime;
  runtime = null;
  if ((globalThis as { TRIBUTARY_NO_SIMD?: boolean }).TRIBUTARY_NO_SIMD) return null;
  try {
    if (typeof WebAssembly === 'undefined') return null;
    // relaxed SIMD's fused multiply-add where the engine has it (Chromium ≥ 114; Node 20 only behind a flag):
    // ~20% faster prefill matmuls here; results differ from mul+add by rounding only
    const noFma = (globalThis as { TRIBUTARY_NO_FMA?: boolean }).TRIBUTARY_NO_FMA === true;
    const fmaBytes = noFma ? null : simdModuleBytes({ fma: true });
    const fma = fmaBytes !== null && WebAssembly.validate(fmaBytes);
    if (!(fma || WebAssembly.validate(simdModuleBytes()))) return null;
    // a shared memory where SharedArrayBuffer exists (Node; cross-origin isolated pages), so workers can share the heap
    const wantShared = typeof SharedArrayBuffer === 'function' && (globalThis as { TRIBUTARY_NO_THREADS?: boolean }).TRIBUTARY_NO_THREADS !== true;
    let memory: WebAssembly.Memory | null = null;
    if (wantShared) {
      try {
        memory = new WebAssembly.Memory({ initial: 16, maximum: SHARED_MAX_PAGES, shared: true });
      } catch {
        memory = null;
      }
    }
    const shared = memory !== null;
    memory ??= new WebAssembly.Memory({ initial: 16 });
    const module = new WebAssembly.Module(simdModuleBytes({ fma, sharedMaxPages: shared ? SHARED_MAX_PAGES : undefined }));
    const instance = new WebAssembly.Instance(module, { env: { mem: memory } });
    runtime = createRuntime(memory, module, instance.exports as unknown as Kernels, fma, shared);
  } catch {
    runtime = null;
  }
  return runtime;
}

function createRuntime(memory: WebAssembly.Memory, module: WebAssembly.Module, kernels: Kernels, fma: boolean, shared: boolean): SimdRuntime {
  const heap = new Heap(memory);
  const owned = new WeakMap<CpuMatrix, { offs: number[]; sizes: number[]; refresh: () => void }>();
  const scratchSlots: Block[] = [];
  let f32View = new Float32Array(memory.buffer);
  heap.onGrow.add(() => {
    f32View = new Float32Array(memory.buffer);
  });

  const viewsOf = (m: CpuMatrix, offs: number[]): void => {
    const buf = memory.buffer;
    if (m.kind === 'f32' || m.kind === 'f32p') m.data = new Float32Array(buf, offs[0]!, m.rows * m.cols);
    else if (m.kind === 'q4p') m.data = new Uint8Array(buf, offs[0]!, packedQ4Bytes(m.rows, m.cols));
    else if (m.kind === 'q8p') m.data = new Uint8Array(buf, offs[0]!, packedQ8Bytes(m.rows, m.cols));
    else {
      m.q = m.kind === 'q8' ? new Int8Array(buf, offs[0]!, m.rows * m.cols) : new Uint8Array(buf, offs[0]!, (m.rows * m.cols) / 2);
      m.scales = new Float32Array(buf, offs[1]!, (m.rows * m.cols) / m.groupSize);
    }
  };

  const track = (hm: CpuMatrix, offs: number[], sizes: number[]): void => {
    viewsOf(hm, offs);
    const refresh = (): void => viewsOf(hm, offs);
    heap.onGrow.add(refresh);
    owned.set(hm, { offs, sizes, refresh });
  };

  const toHeap = (m: Matrix): Matrix => {
    const parts: ArrayBufferView[] = m.kind === 'f32' ? [m.data] : [m.q, m.scales];
    const offs: number[] = [];
    for (const p of parts) {
      const off = heap.alloc(p.byteLength);
      if (off === null) {
        parts.forEach((q, i) => i < offs.length && heap.free(offs[i]!, q.byteLength));
        return m;
      }
      offs.push(off);
    }
    // copy after all allocations (an allocation may have grown the memory)
    parts.forEach((p, i) => new Uint8Array(memory.buffer, offs[i]!, p.byteLength).set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength)));
    const hm: Matrix = { ...m };
    track(hm, offs, parts.map((p) => p.byteLength));
    return hm;
  };

  let relaxedDotOk = false;
  if (kernels.gemvi4r) {
    const at = heap.alloc(RELAXED_CHECK_BYTES);
    if (at !== null) {
      relaxedDotOk = (globalThis as { TRIBUTARY_NO_RELAXED_DOT?: boolean }).TRIBUTARY_NO_RELAXED_DOT !== true && relaxedDotSelfCheck(memory, kernels as unknown as Record<string, (...a: number[]) => void>, at);
      new Uint8Array(memory.buffer, at, RELAXED_CHECK_BYTES).fill(0);
      heap.free(at, RELAXED_CHECK_BYTES);
    }
  }

  return {
    memory,
    module,
    relaxedDotOk,
    kernelNames: WebAssembly.Module.exports(module).map((e) => e.name),
    shared,
    kernels,
    fma,
    toHeap,
    toHeapPacked(m) {
      const { rows, cols } = m;
      if (m.kind === 'q4' && m.groupSize === 32 && rows % 16 === 0 && cols % 32 === 0 && cols > 0) {
        const bytes = packedQ4Bytes(rows, cols);
        const off = heap.alloc(bytes);
        if (off === null) return m;
        const dst = new Uint8Array(memory.buffer, off, bytes);
        packQ4(m, dst);
        const hm: PackedQ4 = { kind: 'q4p', rows, cols, groupSize: 32, data: dst };
        track(hm, [off], [bytes]);
        return hm;
      }
      if (m.kind === 'q8' && m.groupSize === 32 && rows % 16 === 0 && cols % 32 === 0 && cols > 0) {
        const bytes = packedQ8Bytes(rows, cols);
        const off = heap.alloc(bytes);
        if (off === null) return m;
        const dst = new Uint8Array(memory.buffer, off, bytes);
        packQ8(m, dst);
        const hm: PackedQ8 = { kind: 'q8p', rows, cols, groupSize: 32, data: dst };
        track(hm, [off], [bytes]);
        return hm;
      }
      if (m.kind !== 'f32' || rows % 16 !== 0 || cols % 4 !== 0 || cols === 0) return toHeap(m);
      const bytes = rows * cols * 4;
      const off = heap.alloc(bytes);
      if (off === null) return m;
      // packed straight from the source rows (no row-major copy on the heap), after the allocation (it may grow)
      const dst = new Float32Array(memory.buffer, off, rows * cols);
      packF32(m.data, rows, cols, dst);
      const hm: PackedF32 = { kind: 'f32p', rows, cols, data: dst };
      track(hm, [off], [bytes]);
      return hm;
    },
    release(m) {
      const rec = owned.get(m);
      if (!rec) return;
      owned.delete(m);
      heap.onGrow.delete(rec.refresh);
      rec.offs.forEach((o, i) => heap.free(o, rec.sizes[i]!));
    },
    owns(m) {
      return (m.kind === 'f32' || m.kind === 'f32p' || m.kind === 'q4p' || m.kind === 'q8p' ? m.data.buffer : m.q.buffer) === memory.buffer;
    },
    alloc(bytes) {
      const off = heap.alloc(bytes);
      // freed weights leave their bytes behind: callers rely on zeros (padding)
      if (off !== null) new Uint8Array(memory.buffer, off, bytes).fill(0);
      return off;
    },
    free: (off, bytes) => heap.free(off, bytes),
    scratch(slot, bytes) {
      const cur = scratchSlots[slot];
      if (cur && cur.size >= bytes) return cur.off;
      if (cur) heap.free(cur.off, cur.size);
      const size = Math.max(bytes, (cur?.size ?? 0) * 2);
      const off = heap.alloc(size);
      if (off === null) throw new RangeError('The WASM heap cannot grow for scratch space.');
      scratchSlots[slot] = { off, size };
      return off;
    },
    f32: () => f32View,
    heapAt: (view) => (view.buffer === f32View.buffer ? view.byteOffset : -1),
    reView: (view, at, len) => (at < 0 || view.buffer === f32View.buffer ? view : new Float32Array(f32View.buffer, at, len)),
    stageIn(view, at, from, n, dst) {
      if (at >= 0) f32View.copyWithin(dst >> 2, (at >> 2) + from, (at >> 2) + from + n);
      else f32View.set(view.subarray(from, from + n), dst >> 2);
    },
    bytesInUse: () => heap.bytesInUse,
  };
}
