/**
 * Exact top-k over int8 passage vectors on the CPU: scores by WASM SIMD integer dots where available (else
 * the JS twin), split over threads where memory can be shared and the store is large enough, then the engine's exact
 * top-k (value descending, lower id first on ties; the same order as shaders/topk.wgsl on the GPU). Scores and ids
 * are the same bits on one thread, on several, and in JS.
 *
 * @example
 * const search = new Int8VectorSearch(vectors);          // threads: 'auto'
 * await search.ready;                                    // e.g. 2 (threads in use; queries before run on one)
 * search.topK(q, 10);
 * search.close();                                        // stops its threads (also when the search is collected)
 */
import { topK } from '../engine/cpu/kernels/topK.ts';
import { hardwareThreads } from '../engine/cpu/threads/threadPool.ts';
import { MAX_CPU_THREADS } from '../core/cpuThreading.ts';
import { int8Scores, type Int8Vectors } from './int8Vectors.ts';
import { canShareMemory, simdInt8Store, type SimdInt8Store } from './int8Simd.ts';

export interface TopK {
  ids: Int32Array;
  scores: Float32Array;
}

export interface Int8VectorSearchOptions {
  /** false: the JS loop (the twin the SIMD path is tested against) */
  simd?: boolean;
  /**
   * Threads that scan (the calling one included). 'auto' (default): every hardware thread (at most 16) where memory
   * can be shared, the caller may block (Node, a worker: not a page's main thread) and the store holds at least
   * `MIN_THREADED_BYTES`; else one. A number asks for that many wherever memory can be shared, whatever the size.
   */
  threads?: number | 'auto';
}

/**
 * The smallest store (count · dims bytes) 'auto' splits over threads: 4 MiB, ≈ 11k vectors of 384 dims. One thread
 * scans that in ≈ 0.3–0.5 ms from cache (docs/ATTRIBUTION.md); waking pool workers that sleep in `Atomics.wait`
 * between queries costs ≈ 0.05–0.1 ms on an idle machine and milliseconds on a busy one, so below this the hand-off
 * eats what the split saves, and such stores sit in the caches where one thread is already fast.
 */
export const MIN_THREADED_BYTES = 4 << 20;

/** Whether the calling thread may block in `Atomics.wait` (everywhere but a page's main thread). */
const mayBlock = (): boolean => typeof (globalThis as { document?: unknown }).document === 'undefined';

/** Stops a store's threads when its search is garbage-collected without `close()`. */
const closeOnCollect = typeof FinalizationRegistry === 'function' ? new FinalizationRegistry<SimdInt8Store>((s) => s.close()) : null;

export class Int8VectorSearch {
  private readonly simd: SimdInt8Store | null;
  /**
   * Threads in use once started: resolves to 1 where the scan stays on one thread (and never rejects: a pool that
   * cannot start leaves the search on one thread, `threadsOff` says why). Queries before it resolves run on one.
   */
  readonly ready: Promise<number>;
  /** why the scan runs on one thread, or null when it runs on several */
  threadsOff: string | null = null;
  private closed = false;

  constructor(
    readonly vectors: Int8Vectors,
    opts: Int8VectorSearchOptions = {},
  ) {
    const want = opts.simd === false ? 1 : (opts.threads ?? 'auto');
    const bytes = vectors.count * vectors.dims;
    let reason: string | null = null;
    if (opts.simd === false) reason = 'the JS loop runs on one thread';
    else if (want !== 'auto' && !(want > 1)) reason = 'one thread was asked for';
    else if (!canShareMemory()) reason = 'memory cannot be shared here (no SharedArrayBuffer: the page is not cross-origin isolated)';
    else if (!mayBlock()) reason = "a page's main thread cannot wait for threads";
    else if (want === 'auto' && bytes < MIN_THREADED_BYTES) reason = `the store is small (${bytes} bytes < ${MIN_THREADED_BYTES}): one thread is as fast`;
    this.simd = opts.simd === false ? null : simdInt8Store(vectors, { shared: reason === null });
    if (reason === null && !this.simd) reason = 'WebAssembly SIMD is not available for these vectors';
    else if (reason === null && !this.simd!.shared) reason = 'a shared memory could not be made for the store';
    this.threadsOff = reason;
    const store = this.simd;
    if (reason !== null || !store) {
      this.ready = Promise.resolve(1);
      return;
    }
    closeOnCollect?.register(this, store, this);
    this.ready = (async () => {
      const n = want === 'auto' ? Math.min(MAX_CPU_THREADS, await hardwareThreads()) : Math.min(MAX_CPU_THREADS, Math.floor(want));
      try {
        const used = await store.startThreads(n);
        if (!this.closed) this.threadsOff = used > 1 ? null : n <= 1 ? 'one thread is all this machine offers or was asked for' : 'the store has too few vectors to split';
        return used;
      } catch (e) {
        this.threadsOff = `the threads could not start (${e instanceof Error ? e.message : String(e)})`;
        return 1;
      }
    })();
  }

  get usesSimd(): boolean {
    return this.simd !== null;
  }

  /** threads the next query uses (1 until `ready` resolves, and after `close`) */
  get threads(): number {
    return this.simd ? this.simd.threads : 1;
  }

  /** queries whose scan was split over threads so far (a busy machine makes the pool back off to one for a while) */
  get splitQueries(): number {
    return this.simd ? this.simd.splitCalls : 0;
  }

  /** Scores of every vector (`scale[i] · dot`, f32), bit-identical with and without SIMD, on any number of threads. */
  scores(q: Int8Array): Float32Array {
    if (this.simd) return this.simd.scores(q).slice();
    const out = new Float32Array(this.vectors.count);
    int8Scores(q, this.vectors, out);
    return out;
  }

  /** The k best vectors (k clipped to the count). */
  topK(q: Int8Array, k: number): TopK {
    const n = this.vectors.count;
    const kk = Math.min(k, n);
    if (kk <= 0) return { ids: new Int32Array(0), scores: new Float32Array(0) };
    const ids = new Int32Array(kk);
    const scores = new Float32Array(kk);
    // the SIMD store's scores are selected in place (no copy of the n scores)
    const all = this.simd ? this.simd.scores(q) : this.scores(q);
    topK(all, 1, n, kk, ids, scores);
    return { ids, scores };
  }

  /** Stops the threads (the search goes on on one thread); also done when the search is garbage-collected. */
  close(): void {
    if (!this.simd || this.closed) return;
    this.closed = true;
    closeOnCollect?.unregister(this);
    this.simd.close();
    this.threadsOff ??= 'the search was closed';
  }
}
