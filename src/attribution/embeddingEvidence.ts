/**
 * What an attribution record commits to about its embedding evidence (record version 2), and how a verifier checks it.
 *
 * The model's float computation of a vector is not bit-identical between JavaScript engines (Chromium's and Node's
 * differ in the last ulp of a few values), so a record cannot be recomputed exactly by re-encoding. Instead the record
 * names, in its `embedding` method's params, the SHA-256 of the exact int8 inputs it was scored with — the answer's
 * quantised vector (`query`) and each Datanet's passage vectors (`vectors`) — and everything after those integers is
 * recomputed exactly (an int8 dot is exact, `fround(scale · dot)` is one IEEE rounding). A verifier re-encodes with the
 * same model and accepts the committed vectors when they agree with its own within `EMBEDDING_TOLERANCE`.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { Hex } from '../core/types.ts';
import type { Int8Vectors } from './int8Vectors.ts';

/** The answer's vector as scored: int8 values and the f32 scale (`quantizeVector`). */
export interface QueryVector {
  int8: Int8Array;
  scale: number;
}

/**
 * How far a committed vector may be from the verifier's own: every int8 value within one step, every scale within
 * 1e-5 relative (measured between Chromium and Node: at most one step, scales within 1e-6).
 */
export const EMBEDDING_TOLERANCE = { maxStep: 1, scaleRel: 1e-5 } as const;

const cache = new WeakMap<Int8Vectors, Hex>();

/**
 * SHA-256 over `dims` and `count` (u32 little-endian), the int8 values (row-major) and the scales (f32 little-endian):
 * the identity of a set of passage vectors, independent of the file they are kept in. Cached per object.
 */
export function int8VectorsHash(v: Int8Vectors): Hex {
  const known = cache.get(v);
  if (known) return known;
  const h = sha256.create();
  const head = new DataView(new ArrayBuffer(8));
  head.setUint32(0, v.dims, true);
  head.setUint32(4, v.count, true);
  h.update(new Uint8Array(head.buffer));
  h.update(new Uint8Array(v.data.buffer, v.data.byteOffset, v.count * v.dims));
  const scales = new DataView(new ArrayBuffer(v.count * 4));
  for (let i = 0; i < v.count; i++) scales.setFloat32(i * 4, v.scales[i]!, true);
  h.update(new Uint8Array(scales.buffer));
  const out: Hex = `0x${bytesToHex(h.digest())}`;
  cache.set(v, out);
  return out;
}

/** The answer vector as a one-row `Int8Vectors` (for hashing and comparing). */
export function queryAsVectors(q: QueryVector): Int8Vectors {
  return { dims: q.int8.length, count: 1, data: q.int8, scales: Float32Array.of(q.scale) };
}

export function queryVectorHash(q: QueryVector): Hex {
  return int8VectorsHash(queryAsVectors(q));
}

export interface VectorsAgreement {
  ok: boolean;
  /** why not, in words (empty when ok) */
  why: string;
  maxStep: number;
  maxScaleRel: number;
  /** int8 values that differ at all */
  differing: number;
}

/** Whether `got` (committed) agrees with `want` (recomputed here) within `EMBEDDING_TOLERANCE`. */
export function vectorsAgree(got: Int8Vectors, want: Int8Vectors): VectorsAgreement {
  if (got.dims !== want.dims || got.count !== want.count) {
    return { ok: false, why: `${got.count} vectors of ${got.dims} dimensions, expected ${want.count} of ${want.dims}`, maxStep: Infinity, maxScaleRel: Infinity, differing: NaN };
  }
  let maxStep = 0;
  let differing = 0;
  for (let i = 0; i < want.count * want.dims; i++) {
    const d = Math.abs(got.data[i]! - want.data[i]!);
    if (d > 0) differing++;
    if (d > maxStep) maxStep = d;
  }
  let maxScaleRel = 0;
  for (let i = 0; i < want.count; i++) {
    const a = got.scales[i]!;
    const b = want.scales[i]!;
    const rel = a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b));
    if (!(rel <= maxScaleRel)) maxScaleRel = rel; // NaN stays the maximum
  }
  const stepOk = maxStep <= EMBEDDING_TOLERANCE.maxStep;
  const scaleOk = maxScaleRel <= EMBEDDING_TOLERANCE.scaleRel;
  const why = stepOk && scaleOk ? '' : `${!stepOk ? `an int8 value is ${maxStep} steps from this model's (at most ${EMBEDDING_TOLERANCE.maxStep} allowed)` : ''}${!stepOk && !scaleOk ? ' and ' : ''}${!scaleOk ? `a scale differs by ${maxScaleRel.toExponential(2)} relative (at most ${EMBEDDING_TOLERANCE.scaleRel} allowed)` : ''}`;
  return { ok: stepOk && scaleOk, why, maxStep, maxScaleRel, differing };
}
