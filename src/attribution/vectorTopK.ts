/**
 * Exact top-k over int8 passage vectors on the CPU: scores by WASM SIMD integer dots where available (else
 * the JS twin), then the engine's exact top-k (value descending, lower id first on ties; the same order as
 * shaders/topk.wgsl on the GPU).
 */
import { topK } from '../engine/cpu/kernels/topK.ts';
import { int8Scores, type Int8Vectors } from './int8Vectors.ts';
import { simdInt8Store, type SimdInt8Store } from './int8Simd.ts';

export interface TopK {
  ids: Int32Array;
  scores: Float32Array;
}

export class Int8VectorSearch {
  private readonly simd: SimdInt8Store | null;
  constructor(
    readonly vectors: Int8Vectors,
    opts: { simd?: boolean } = {},
  ) {
    this.simd = opts.simd === false ? null : simdInt8Store(vectors);
  }

  get usesSimd(): boolean {
    return this.simd !== null;
  }

  /** Scores of every vector (`scale[i] · dot`, f32), bit-identical with and without SIMD. */
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
}
