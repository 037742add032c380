/**
 * Rotary position embedding, half-split layout (HF Llama `rotate_half`): for each head and `i < headDim/2`,
 * `(x[i], x[i+h]) ← (x[i]·cos − x[i+h]·sin, x[i+h]·cos + x[i]·sin)` with angle `positions[t] · invFreq[i]`.
 * Angles, sines and cosines are computed in f64.
 *
 * `ropeInvFreq` follows HF `ROPE_INIT_FUNCTIONS`: default, `linear` (÷ factor) and `llama3` (smooth
 * interpolation between low and high frequency bands).
 *
 * @example
 * const inv = ropeInvFreq(64, 500000, { rope_type: 'llama3', factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 });
 * ropeInPlace(q, T, nHeads, 64, positions, inv);
 */
import { TributaryError } from '../../../core/errors.ts';

/** `rope_scaling` from an HF config.json (only the fields used here). */
export interface RopeScaling {
  rope_type?: string;
  /** older configs spell `rope_type` as `type` */
  type?: string;
  factor?: number;
  low_freq_factor?: number;
  high_freq_factor?: number;
  original_max_position_embeddings?: number;
}

export function ropeInvFreq(headDim: number, theta: number, scaling?: RopeScaling | null): Float32Array {
  if (!Number.isInteger(headDim) || headDim <= 0 || headDim % 2 !== 0) {
    throw new TributaryError('engine/bad-config', `RoPE: the head size must be a positive even number (got ${headDim}).`);
  }
  const half = headDim / 2;
  const inv = new Float64Array(half);
  for (let i = 0; i < half; i++) inv[i] = 1 / Math.pow(theta, (2 * i) / headDim);
  const type = scaling?.rope_type ?? scaling?.type ?? 'default';
  if (scaling && type === 'linear') {
    const f = scaling.factor ?? 1;
    for (let i = 0; i < half; i++) inv[i] = inv[i]! / f;
  } else if (scaling && type === 'llama3') {
    const factor = scaling.factor ?? 8;
    const lowF = scaling.low_freq_factor ?? 1;
    const highF = scaling.high_freq_factor ?? 4;
    const oldCtx = scaling.original_max_position_embeddings ?? 8192;
    const lowWavelen = oldCtx / lowF;
    const highWavelen = oldCtx / highF;
    for (let i = 0; i < half; i++) {
      const f = inv[i]!;
      const wavelen = (2 * Math.PI) / f;
      if (wavelen < highWavelen) continue; // high frequency: unchanged
      if (wavelen > lowWavelen) {
        inv[i] = f / factor; // low frequency: scaled
        continue;
      }
      const smooth = (oldCtx / wavelen - lowF) / (highF - lowF);
      inv[i] = (1 - smooth) * (f / factor) + smooth * f;
    }
  } else if (type !== 'default') {
    throw new TributaryError('engine/bad-config', `RoPE scaling type "${type}" is not supported (default, linear and llama3 are).`);
  }
  return Float32Array.from(inv);
}

/**
 * cos/sin of `p · invFreq[i]` for positions `0 .. n-1` (f64, exactly what the loop below would compute), kept per
 * frequency vector: every layer of a forward pass rotates the same positions, so the trigonometry is done once per
 * position instead of once per layer. Matched by content (a tensor's data may be rewritten in place).
 */
interface TrigTable {
  inv: Float32Array;
  n: number;
  cos: Float64Array;
  sin: Float64Array;
}
const tables: TrigTable[] = [];
const EMPTY = new Float64Array(0);
const MAX_TABLE_POSITIONS = 1 << 15;

function sameContent(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

function trigTable(invFreq: Float32Array, needPositions: number): TrigTable | null {
  if (needPositions > MAX_TABLE_POSITIONS) return null;
  const half = invFreq.length;
  // the last table used first: every layer of a pass asks for the same one
  const last = tables[tables.length - 1];
  let tab = last && sameContent(last.inv, invFreq) ? last : tables.find((t) => sameContent(t.inv, invFreq));
  if (!tab) {
    tab = { inv: invFreq.slice(), n: 0, cos: new Float64Array(0), sin: new Float64Array(0) };
    tables.push(tab);
    if (tables.length > 8) tables.shift();
  } else if (tab !== last) {
    tables.splice(tables.indexOf(tab), 1);
    tables.push(tab);
  }
  if (tab.n < needPositions) {
    const n = Math.min(MAX_TABLE_POSITIONS, Math.max(needPositions, 2 * tab.n, 256));
    const cos = new Float64Array(n * half);
    const sin = new Float64Array(n * half);
    cos.set(tab.cos);
    sin.set(tab.sin);
    for (let p = tab.n; p < n; p++) {
      for (let i = 0; i < half; i++) {
        const a = p * tab.inv[i]!;
        cos[p * half + i] = Math.cos(a);
        sin[p * half + i] = Math.sin(a);
      }
    }
    Object.assign(tab, { n, cos, sin });
  }
  return tab;
}

export function ropeInPlace(x: Float32Array, T: number, nHeads: number, headDim: number, positions: Int32Array, invFreq: Float32Array): void {
  const half = headDim >> 1;
  if (x.length < T * nHeads * headDim || positions.length < T || invFreq.length !== half) {
    throw new TributaryError('engine/bad-shape', `ropeInPlace: x needs ${T}×${nHeads}×${headDim} values, positions ${T}, invFreq ${half}.`);
  }
  let maxPos = -1;
  let minPos = 0;
  for (let t = 0; t < T; t++) {
    maxPos = Math.max(maxPos, positions[t]!);
    minPos = Math.min(minPos, positions[t]!);
  }
  const tab = minPos >= 0 ? trigTable(invFreq, maxPos + 1) : null;
  const cosRow = tab ? EMPTY : new Float64Array(half);
  const sinRow = tab ? EMPTY : new Float64Array(half);
  for (let t = 0; t < T; t++) {
    const p = positions[t]!;
    let cos: Float64Array, sin: Float64Array;
    if (tab) {
      cos = tab.cos.subarray(p * half, (p + 1) * half);
      sin = tab.sin.subarray(p * half, (p + 1) * half);
    } else {
      for (let i = 0; i < half; i++) {
        const a = p * invFreq[i]!;
        cosRow[i] = Math.cos(a);
        sinRow[i] = Math.sin(a);
      }
      cos = cosRow;
      sin = sinRow;
    }
    for (let h = 0; h < nHeads; h++) {
      const b = (t * nHeads + h) * headDim;
      for (let i = 0; i < half; i++) {
        const x1 = x[b + i]!;
        const x2 = x[b + i + half]!;
        const c = cos[i]!;
        const s = sin[i]!;
        x[b + i] = x1 * c - x2 * s;
        x[b + i + half] = x2 * c + x1 * s;
      }
    }
  }
}
