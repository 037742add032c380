/**
 * WASM SIMD scores for int8 vectors (assembled at run time with src/engine/cpu/simd/wasmEmit, no binary in the
 * repository): `scores(q16, x, scales, out, pairs, dims)` writes `out[i] = f32(scales[i] · Σ_j q[j]·x[i·dims + j])`
 * for rows 0 .. 2·pairs.
 *
 * Two rows per iteration share each 16-dim slice of the query (widened to i16 once per call): each 16 bytes of a
 * row are widened (i16x8.extend) and multiplied with `i32x4.dot_i16x8_s`. The two accumulators are reduced together
 * by shuffles into [dot0, dot1, dot0, dot1], converted to f32 (exact: |dot| ≤ dims·128² < 2^24 for dims ≤ 1024)
 * and multiplied by the scales in the same instruction: one correctly rounded f32 product, the value of
 * `Math.fround(scale · dot)` in the JS twin (int8Vectors.ts; the double product of a 24-bit scale and a 24-bit
 * integer is exact), so the scores are bit-identical, and no JS pass over the dots is left. dims % 16 == 0; an odd
 * count is padded with one zero row and a zero scale.
 *
 * Why two rows and not four: on this machine (EPYC, 1M × 384 from DRAM, docs/ATTRIBUTION.md) four interleaved rows
 * ran 2–3× slower than one, although faster from cache; two rows are as fast as one from DRAM and ~1.5× faster from
 * cache. One query reads every vector once (dims bytes each): one thread does not reach the memory bandwidth from
 * DRAM, so where memory can be shared the store lives in a shared memory and `startThreads` splits the pairs into
 * contiguous blocks, one per thread of a pool of the engine's `threadPool.ts` (`startKernelThreads`), all writing the
 * same output array. A row's score is computed the same way on any thread: the bits do not change.
 */
import { emitModule, Fn, I32, V128 } from '../engine/cpu/simd/wasmEmit.ts';
import { startKernelThreads, type CpuThreads, type KernelCall } from '../engine/cpu/threads/threadPool.ts';
import type { Int8Vectors } from './int8Vectors.ts';

const PAGE = 65536;

/** i8x16.shuffle byte indices that pick i32 lanes (0..3 from the first operand, 4..7 from the second). */
const lanes32 = (...l: number[]): number[] => l.flatMap((k) => [4 * k, 4 * k + 1, 4 * k + 2, 4 * k + 3]);

function scoresFn(): Fn {
  const f = new Fn('scores', [I32, I32, I32, I32, I32, I32]);
  const [q16, x, scales, out, pairs, dims] = [0, 1, 2, 3, 4, 5];
  const g = f.local(I32);
  const j = f.local(I32);
  const px = f.local(I32);
  const acc0 = f.local(V128);
  const acc1 = f.local(V128);
  const qlo = f.local(V128);
  const qhi = f.local(V128);
  const xv = f.local(V128);
  const shl = () => f.code.push(0x74); // i32.shl
  f.i32(0).set(g);
  f.block().loop();
  f.get(g).get(pairs).geU().brIf(1);
  f.i32(0).i32x4splat().set(acc0);
  f.i32(0).i32x4splat().set(acc1);
  f.i32(0).set(j);
  f.block().loop();
  f.get(j).get(dims).geU().brIf(1);
  // this 16-dim slice of the query as two i16x8
  f.get(q16).get(j).i32(1);
  shl();
  f.add().tee(px).v128load().set(qlo);
  f.get(px).v128load(16).set(qhi);
  f.get(x).get(j).add().set(px);
  for (const [acc, second] of [
    [acc0, false],
    [acc1, true],
  ] as const) {
    f.get(px);
    if (second) f.get(dims).add();
    f.v128load().set(xv);
    f.get(acc);
    f.get(xv).i16x8extendLowI8s().get(qlo).i32x4dotI16x8s().i32x4add();
    f.get(xv).i16x8extendHighI8s().get(qhi).i32x4dotI16x8s().i32x4add();
    f.set(acc);
  }
  f.get(j).i32(16).add().set(j);
  f.br(0).end().end();
  // [a0+a2, b0+b2, a1+a3, b1+b3], then + its 64-bit halves swapped: [Σa, Σb, Σa, Σb]
  f.get(acc0).get(acc1).shuffle(lanes32(0, 4, 1, 5));
  f.get(acc0).get(acc1).shuffle(lanes32(2, 6, 3, 7));
  f.i32x4add().set(xv);
  f.get(xv).get(xv).get(xv).shuffle(lanes32(2, 3, 0, 1)).i32x4add().f32x4convertI32s();
  // × [scale0, scale1, …] (a 16-byte load: the two lanes past the pair are in the padded region and unused)
  f.get(scales).get(g).i32(3);
  shl();
  f.add().v128load().f32x4mul().set(xv);
  f.get(out).get(g).i32(3);
  shl();
  f.add().tee(px).get(xv).f32x4extract(0).f32store();
  f.get(px).get(xv).f32x4extract(1).f32store(4);
  f.get(x).get(dims).i32(1);
  shl();
  f.add().set(x);
  f.get(g).i32(1).add().set(g);
  f.br(0).end().end();
  return f;
}

/** Vectors resident in their own WebAssembly memory (copied once), queried many times. */
export interface SimdInt8Store {
  /**
   * `scale[i] · dot(q, x_i)` for every stored vector, as a view into the store's memory: valid until the next call
   * (copy it to keep it). Split over the store's threads when they run (the same bits: each row's arithmetic does not
   * depend on which thread scores it).
   */
  scores(q: Int8Array): Float32Array;
  /** the memory is shared, so threads can be started over it */
  readonly shared: boolean;
  /** threads the next `scores` call may use (1 until `startThreads` resolved, and after `close`) */
  readonly threads: number;
  /**
   * Starts `count` threads in all over the store (the calling thread + `count − 1` workers); resolves to the count in
   * use (1 where the memory is not shared). Rejects with a `TributaryError` where the workers cannot start (the
   * store keeps scoring on one thread). Only from a thread that may block (Node, a worker): the caller waits for the
   * others with `Atomics.wait`.
   */
  startThreads(count: number): Promise<number>;
  /** stops the threads (the store goes on on one thread) */
  close(): void;
  /** `scores` calls split over threads so far (the pool's back-off keeps some on one thread: `CpuThreads.worthIt`) */
  readonly splitCalls: number;
}

/** wasm32's limit (4 GiB): a shared memory must declare a maximum; each store's own is exactly its size */
const SHARED_MAX_PAGES = 65536;

const moduleCache = new Map<boolean, WebAssembly.Module | null>();

/** The module importing a plain memory, or (shared) a shared one with a maximum of `SHARED_MAX_PAGES`. */
function scoresModule(shared: boolean): WebAssembly.Module | null {
  const hit = moduleCache.get(shared);
  if (hit !== undefined) return hit;
  let mod: WebAssembly.Module | null = null;
  try {
    const bytes = emitModule([scoresFn()], shared ? SHARED_MAX_PAGES : undefined);
    mod = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  } catch {
    mod = null;
  }
  moduleCache.set(shared, mod);
  return mod;
}

/** Whether this context can make a shared WebAssembly memory (Node; cross-origin isolated pages and their workers). */
export function canShareMemory(): boolean {
  return typeof SharedArrayBuffer === 'function' && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== false;
}

const align16 = (n: number): number => Math.ceil(n / 16) * 16;

type ScoresExport = (q: number, x: number, scales: number, out: number, pairs: number, dims: number) => void;

/**
 * Copies the vectors into a WebAssembly memory for SIMD scores; null where WebAssembly SIMD is missing, dims is
 * not a multiple of 16 (or over 1024, where the f32 conversion of a dot could round), or the memory cannot hold
 * them (then the JS loop runs). With `shared`, the memory is a shared one where this context allows it (else a plain
 * one, `shared: false` on the store), so `startThreads` can split the scan.
 */
export function simdInt8Store(v: Int8Vectors, opts: { shared?: boolean } = {}): SimdInt8Store | null {
  const { dims, count } = v;
  if (dims % 16 !== 0 || dims > 1024) return null;
  const pairs = Math.ceil(count / 2);
  const padded = pairs * 2;
  const scalesOff = align16(2 * dims);
  // 16 bytes past the scales: the last pair's 16-byte load of them stays inside the scales' region
  const xOff = align16(scalesOff + 4 * padded + 16);
  const outOff = align16(xOff + padded * dims);
  const need = outOff + 4 * padded;
  const pages = Math.max(1, Math.ceil(need / PAGE));
  let memory: WebAssembly.Memory | null = null;
  let mod: WebAssembly.Module | null = null;
  if (opts.shared && canShareMemory() && pages <= SHARED_MAX_PAGES) {
    mod = scoresModule(true);
    try {
      memory = mod ? new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true }) : null;
    } catch {
      memory = null;
    }
  }
  const shared = memory !== null;
  if (!memory) {
    mod = scoresModule(false);
    if (!mod) return null;
    try {
      memory = new WebAssembly.Memory({ initial: pages });
    } catch {
      return null;
    }
  }
  const inst = new WebAssembly.Instance(mod!, { env: { mem: memory } });
  const run = inst.exports.scores as ScoresExport;
  // a fresh memory is zero: a padding row scores 0 and is never read
  new Int8Array(memory.buffer, xOff, count * dims).set(v.data.subarray(0, count * dims));
  new Float32Array(memory.buffer, scalesOff, count).set(v.scales.subarray(0, count));
  const q16 = new Int16Array(memory.buffer, 0, dims);
  const out = new Float32Array(memory.buffer, outOff, count);

  let pool: CpuThreads | null = null;
  let closed = false;
  let splitCalls = 0;
  /** the calls of each thread: contiguous blocks of pairs, the first `pairs % T` one pair longer */
  let jobs: KernelCall[][] = [];
  const splitOver = (t: number): KernelCall[][] => {
    const base = Math.floor(pairs / t);
    const extra = pairs % t;
    const js: KernelCall[][] = [];
    for (let i = 0, p0 = 0; i < t; i++) {
      const pc = base + (i < extra ? 1 : 0);
      js.push([['scores', 0, xOff + p0 * 2 * dims, scalesOff + p0 * 8, outOff + p0 * 8, pc, dims]]);
      p0 += pc;
    }
    return js;
  };

  return {
    shared,
    get threads() {
      return pool ? pool.count : 1;
    },
    get splitCalls() {
      return splitCalls;
    },
    scores(q) {
      if (q.length !== dims) throw new RangeError(`a ${q.length}-d query against ${dims}-d vectors`);
      for (let k = 0; k < dims; k++) q16[k] = q[k]!;
      if (pool && pool.worthIt()) {
        pool.run(jobs);
        splitCalls++;
      } else run(0, xOff, scalesOff, outOff, pairs, dims);
      return out;
    },
    async startThreads(count) {
      if (!shared || closed) return 1;
      // no more threads than pairs (a thread with no rows would only cost its hand-off)
      const t = Math.min(Math.floor(count), pairs);
      if (t <= 1) return 1;
      if (pool?.count === t) return t;
      const next = await startKernelThreads({ module: mod!, memory: memory!, kernels: inst.exports, kernelNames: ['scores'] }, t);
      if (closed) {
        next.close();
        return 1;
      }
      pool?.close();
      pool = next;
      jobs = splitOver(t);
      return t;
    },
    close() {
      closed = true;
      pool?.close();
      pool = null;
    },
  };
}
